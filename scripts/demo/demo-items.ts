/**
 * Demo data for Arbiter: realistic prompts with responses from four fictional models, in the
 * JSONL import format (one DemoItem per line). Deterministic for a given seed.
 *
 *   generateDemoItems({ count: 240, seed: 7 })
 *
 * Items are composed from ~85 hand-written templates (topic slots, phrasing and style variants,
 * computed maths) and per-model response writers with distinct personalities. About 15% of items
 * have 3-4 responses (for ranking), about 30% carry judgments from simulated external annotators,
 * and a few deliberate edge cases are planted: an empty response, an identical pair, HTML/script
 * text inside prose, and non-Latin text.
 */
import { judgeItem } from "./judges";
import { DEMO_MODELS, type DemoModel } from "./models";
import { firstSentence, stripInlineMarkdown, wordCount } from "./render";
import { createRng, type Rng } from "./rng";
import { ALL_TEMPLATES, templateByKey } from "./templates/index";
import type { DemoItem, DemoResponse, Scenario, Template } from "./types";
import { varyText, type WrittenResponse, writeResponse } from "./writers";

export { DEMO_JUDGES } from "./judges";
export { DEMO_MODEL_PROFILES, DEMO_MODELS, type DemoModel } from "./models";
export * from "./types";

export interface GenerateDemoOptions {
  count: number;
  seed: number;
}

/** Share of items with 3-4 responses (the rest are pairwise). */
export const RANKED_SHARE = 0.15;
/** Share of items that come with external judgments. */
export const JUDGED_SHARE = 0.3;
/** Prompts are kept unique within the first this-many items; beyond that, repeats are fine. */
const UNIQUE_PROMPT_WINDOW = 1000;
/** Edge cases are planted inside the first this-many items (or all of them, if fewer). */
const EDGE_WINDOW = 240;

type EdgeKind = "html" | "unicode" | "empty" | "identical";

const EDGE_TEMPLATES: Record<EdgeKind, readonly string[]> = {
  html: ["code-xss"],
  unicode: ["lang-ja", "lang-zh", "lang-ko"],
  empty: [],
  identical: ["reason-weekday", "lang-de", "reason-machines", "reason-letter-count"],
};

export function demoItemId(index: number): string {
  return `demo-${String(index + 1).padStart(6, "0")}`;
}

function promptKey(sc: Scenario): string {
  return typeof sc.prompt === "string" ? sc.prompt : JSON.stringify(sc.prompt);
}

/** Cycles through the templates in shuffled passes so categories stay balanced. */
function makeDeck(rng: Rng): () => Template {
  let deck: Template[] = [];
  return () => {
    if (deck.length === 0) {
      const pass: Template[] = [];
      for (const t of ALL_TEMPLATES) {
        const w = t.weight ?? 1;
        const copies = Math.floor(w) + (rng.chance(w - Math.floor(w)) ? 1 : 0);
        for (let c = 0; c < copies; c++) pass.push(t);
      }
      deck = rng.shuffle(pass);
    }
    return deck.pop() as Template;
  };
}

function planEdges(rng: Rng, count: number): Map<number, EdgeKind> {
  const plan = new Map<number, EdgeKind>();
  const window = Math.min(count, EDGE_WINDOW);
  const kinds: EdgeKind[] = ["html", "unicode", "empty", "identical"];
  const slots = rng.sample(
    Array.from({ length: window }, (_, i) => i),
    kinds.length,
  );
  for (const [k, slot] of slots.entries()) plan.set(slot, kinds[k] as EdgeKind);
  return plan;
}

const FOLLOW_UPS = [
  "Can you explain that in more detail?",
  "why though?",
  "Could you expand on that a bit?",
  "ok, can you walk me through it properly?",
];

/** Occasionally turn a short Q&A into a follow-up conversation asking for more depth. */
function maybeFollowUp(sc: Scenario, rng: Rng): Scenario {
  if (sc.body.kind !== "explain" || sc.style !== "short" || typeof sc.prompt !== "string" || !rng.chance(0.12)) return sc;
  const e = sc.body.explain;
  const first = e.terse && !e.terse.includes("```") ? e.terse : stripInlineMarkdown(firstSentence(e.short));
  if (first.includes("```") || first.length < 3) return sc;
  return {
    ...sc,
    style: rng.chance(0.6) ? "long" : "markdown",
    prompt: [
      { role: "user", content: sc.prompt },
      { role: "assistant", content: first },
      { role: "user", content: rng.pick(FOLLOW_UPS) },
    ],
  };
}

function pickModels(rng: Rng, mustInclude?: DemoModel): DemoModel[] {
  const n = rng.chance(RANKED_SHARE) ? rng.pick([3, 4]) : 2;
  const models = rng.sample(DEMO_MODELS, n);
  if (mustInclude && !models.includes(mustInclude)) models[rng.int(0, models.length - 1)] = mustInclude;
  return models;
}

function applyEdge(kind: EdgeKind | undefined, organic: boolean, written: WrittenResponse[], rng: Rng): void {
  if (kind === "empty") {
    const weak = written.findIndex((w) => w.model === "drift-3b" || w.model === "atlas-7b");
    const target = written[weak >= 0 ? weak : written.length - 1];
    if (target) {
      target.text = "";
      target.quality = 0;
    }
  } else if (kind === "identical") {
    const [x, y] = written;
    if (x && y) {
      const best = x.quality >= y.quality ? x : y;
      x.text = best.text;
      y.text = best.text;
      x.quality = best.quality;
      y.quality = best.quality;
    }
  } else if (organic) {
    // Rare organic edge cases in large benchmark sets.
    if (rng.chance(0.002)) {
      const w = written[written.length - 1];
      if (w) {
        w.text = "";
        w.quality = 0;
      }
    }
  }
}

/**
 * Identical answers from different models happen in real data, but only rarely (one is planted
 * on purpose): re-roll accidental duplicates, preferring to re-write the less deterministic model.
 */
function rerollDuplicates(written: WrittenResponse[], sc: Scenario, rng: Rng): void {
  for (let j = 1; j < written.length; j++) {
    for (let k = 0; k < j; k++) {
      const a = written[k];
      const b = written[j];
      if (!a || !b || a.text !== b.text) continue;
      const victim = b.model === "cirrus-70b-instruct" ? k : j;
      const model = (written[victim] as WrittenResponse).model;
      const clash = (text: string) => written.some((x, i) => i !== victim && x.text === text);
      for (let t = 1; t <= 6; t++) {
        const w = writeResponse(model, sc, rng.fork(`${model}#${t}`));
        written[victim] = w;
        if (!clash(w.text)) break;
      }
      const last = written[victim] as WrittenResponse;
      if (clash(last.text)) last.text = varyText(model, last.text, rng);
    }
  }
}

export function generateDemoItems(opts: GenerateDemoOptions): DemoItem[] {
  const { count, seed } = opts;
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);

  const rng = createRng(seed);
  const nextTemplate = makeDeck(rng.fork("deck"));
  const edges = planEdges(rng.fork("edges"), count);
  const seen = new Set<string>();
  const items: DemoItem[] = [];

  for (let i = 0; i < count; i++) {
    const r = rng.fork(`item-${i}`);
    const edge = edges.get(i);
    const forced = edge ? EDGE_TEMPLATES[edge] : [];

    let sc: Scenario | undefined;
    for (let attempt = 0; attempt < 8; attempt++) {
      const template = forced.length ? templateByKey(r.pick(forced)) : nextTemplate();
      let candidate = template.build(r);
      if (!edge) candidate = maybeFollowUp(candidate, r);
      sc = candidate;
      if (edge === "identical" && candidate.style !== "short") continue;
      if (i >= UNIQUE_PROMPT_WINDOW || !seen.has(promptKey(candidate))) break;
    }
    if (!sc) throw new Error("unreachable: no scenario built");
    const scenario: Scenario = sc;
    seen.add(promptKey(scenario));

    const models: DemoModel[] =
      edge === "identical"
        ? r.shuffle<DemoModel>(["atlas-7b", "cirrus-70b-instruct"])
        : pickModels(r, edge === "html" ? "cirrus-70b-instruct" : undefined);
    const written = models.map((m) => writeResponse(m, scenario, r.fork(m)));
    rerollDuplicates(written, scenario, r);
    applyEdge(edge, i >= EDGE_WINDOW, written, r);

    const responses: DemoResponse[] = written.map((w) => ({ model: w.model, text: w.text }));
    const item: DemoItem = {
      id: demoItemId(i),
      prompt: scenario.prompt,
      responses,
      metadata: { category: scenario.category, style: scenario.style },
    };
    if (r.chance(JUDGED_SHARE)) {
      item.judgments = judgeItem(
        written.map((w) => ({ quality: w.quality, words: wordCount(w.text) })),
        r.fork("judges"),
      );
    }
    items.push(item);
  }
  return items;
}

/** JSONL text: one item per line, with a trailing newline. */
export function toJsonl(items: readonly DemoItem[]): string {
  return items.map((it) => JSON.stringify(it)).join("\n") + (items.length ? "\n" : "");
}
