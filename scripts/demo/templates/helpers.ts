/** Building blocks shared by the template modules. */
import type { Rng } from "../rng";
import type { Category, Explain, FixedTexts, SafetyTexts, Scenario, Style, Template } from "../types";

/** Phrases users append to ask for a particular answer style. */
export const STYLE_SUFFIX: Record<Style, readonly string[]> = {
  short: ["Keep it short.", "Just a quick answer please.", "One or two sentences is enough.", "tl;dr version please", "Briefly, please."],
  long: ["", "Please explain in detail.", "I'd like a thorough explanation, not just the headline.", "Can you go into some depth?"],
  markdown: [
    "Use headings and bullet points.",
    "Please format it with markdown — headings, lists, and a table if it helps.",
    "Structure the answer so I can skim it.",
  ],
  plain: [
    "Plain text please, no markdown.",
    "(plain text please, it's for a chat widget that doesn't render markdown)",
    "Please answer in plain paragraphs without any formatting.",
    "No bullet points or headings please, just prose.",
  ],
};

export const DEFAULT_STYLE_WEIGHTS: ReadonlyArray<readonly [Style, number]> = [
  ["short", 0.3],
  ["long", 0.3],
  ["markdown", 0.25],
  ["plain", 0.15],
];

export function pickStyle(rng: Rng, allowed?: readonly Style[]): Style {
  const entries = DEFAULT_STYLE_WEIGHTS.filter(([s]) => !allowed || allowed.includes(s));
  return rng.weighted(entries.length ? entries : DEFAULT_STYLE_WEIGHTS);
}

/** The user's question plus a style request, e.g. "Why is the sky blue? Keep it short." */
export function styledAsk(rng: Rng, ask: string, style: Style): string {
  const suffix = rng.pick(STYLE_SUFFIX[style]);
  if (!suffix) return ask.trim();
  // After pasted code or multi-line input the request goes on its own line, as people type it.
  return ask.includes("\n") ? `${ask.trim()}\n\n${suffix}` : `${ask.trim()} ${suffix}`;
}

export interface ExplainVariant {
  asks: readonly string[];
  explain: Explain;
  styles?: readonly Style[];
}

/** A template whose answers are derived from structured material, with optional topic variants. */
export function explainTemplate(def: {
  key: string;
  category: Category;
  weight?: number;
  styles?: readonly Style[];
  variants: readonly ExplainVariant[];
}): Template {
  return {
    key: def.key,
    category: def.category,
    weight: def.weight,
    build(rng: Rng): Scenario {
      const v = rng.pick(def.variants);
      const style = pickStyle(rng, v.styles ?? def.styles);
      return {
        category: def.category,
        style,
        prompt: styledAsk(rng, rng.pick(v.asks), style),
        body: { kind: "explain", explain: v.explain },
      };
    },
  };
}

/** A template with a computed scenario (maths, puzzles, slot-filled prompts). */
export function computedTemplate(def: {
  key: string;
  category: Category;
  weight?: number;
  build: (rng: Rng) => Omit<Scenario, "category">;
}): Template {
  return {
    key: def.key,
    category: def.category,
    weight: def.weight,
    build: (rng) => ({ category: def.category, ...def.build(rng) }),
  };
}

export function fixed(texts: FixedTexts): Scenario["body"] {
  return { kind: "fixed", texts };
}

export function safety(texts: SafetyTexts): Scenario["body"] {
  return { kind: "safety", texts };
}

export function explain(e: Explain): Scenario["body"] {
  return { kind: "explain", explain: e };
}

export const money = (x: number): string => `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export const fmt = (x: number, digits = 2): string => {
  const r = Number(x.toFixed(digits));
  return r.toLocaleString("en-US", { maximumFractionDigits: digits });
};
