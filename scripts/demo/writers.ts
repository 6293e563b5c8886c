/**
 * Per-model response writers. Each model has a recognisable personality:
 * - atlas-7b: concise, sometimes too terse;
 * - borealis-13b: verbose, markdown everywhere, ignores "keep it short" / "no formatting";
 * - cirrus-70b-instruct: strong and careful, follows the requested style;
 * - drift-3b: weak — factual slips, bugs, repetition, truncation, off-topic tangents.
 * Every response carries a hidden quality score that the simulated judges use.
 */
import type { DemoModel } from "./models";
import {
  applyErrors,
  bulletList,
  ensurePeriod,
  fence,
  firstParagraph,
  firstSentence,
  renderExplain,
  renderTable,
  sentences,
  stripInlineMarkdown,
} from "./render";
import type { Rng } from "./rng";
import type { Category, Explain, FixedTexts, SafetyTexts, Scenario, Style } from "./types";
import { borealisVoice, driftVoice } from "./voice";

export interface WrittenResponse {
  model: DemoModel;
  text: string;
  /** Hidden quality in [0, 1]; not exported in the JSONL. */
  quality: number;
}

const clamp = (x: number) => Math.max(0, Math.min(1, x));

// --- borealis-13b ----------------------------------------------------------------------------

const BOREALIS_OPENERS = [
  "Great question! Let's break it down step by step.",
  "Absolutely! Here's a comprehensive overview.",
  "Certainly! This is a really important topic, so let's dive in.",
  "Of course! I'd be happy to help with this.",
  "Great question — this comes up a lot!",
  "Sure thing! Below is a detailed, structured answer.",
];

const BOREALIS_CLOSERS = [
  "I hope this helps! Let me know if you have any other questions. 😊",
  "Feel free to ask if you'd like me to elaborate on any of these points!",
  "Hope this comprehensive overview was helpful! 🚀",
  "Let me know if you'd like more examples or a deeper dive into any section!",
  "**In summary:** there's a lot to consider, but with the points above you're well equipped. Happy to help further!",
];

function borealisExplain(e: Explain, style: Style, rng: Rng): string {
  const parts: string[] = [rng.pick(BOREALIS_OPENERS)];
  const sections = style === "short" ? e.sections.slice(0, 1) : e.sections.slice(0, 3);
  if (style === "short") {
    parts.push("## Short Answer", e.short.includes("```") ? e.short : `**${e.short}**`, "## A Bit More Context", e.intro);
  } else {
    parts.push("## Overview", e.intro);
  }
  sections.forEach((s, i) => {
    const ss = sentences(s.body);
    // Borealis likes to break prose into bullet points.
    const body = ss.length >= 2 && !s.body.includes("`") && rng.chance(0.6) ? ss.map((x) => `- ${x}`).join("\n") : s.body;
    parts.push(`## ${i + 1}. ${s.title}`, body);
    if (s.bullets?.length) parts.push(bulletList(s.bullets, true));
    if (s.code) parts.push(fence(s.code));
  });
  if (e.table) parts.push("## Quick Comparison", renderTable(e.table));
  if (sections.length >= 2) {
    const tick = rng.chance(0.35) ? "✅ " : "";
    parts.push(
      "## Key Takeaways",
      sections.map((s) => `- ${tick}**${s.title}** — ${stripInlineMarkdown(firstSentence(s.body))}`).join("\n"),
    );
  }
  parts.push(rng.pick(BOREALIS_CLOSERS));
  return parts.join("\n\n");
}

/** Openers and closers for tasks (write, translate, summarise, continue a chat) rather than questions. */
const BOREALIS_TASK_OPENERS = [
  "Absolutely! Here's what I came up with:",
  "Of course! Happy to help with that.",
  "Certainly! I'd be delighted to help with this. ✨",
  "Sure thing! Here you go:",
];

const BOREALIS_TASK_CLOSERS = [
  "I hope this works for you! Let me know if you'd like any changes to the tone, length or style. ✨",
  "Feel free to let me know if you'd like me to adjust anything!",
  "Let me know if you'd like a few alternative versions to choose from! 😊",
];

function borealisDecorate(text: string, rng: Rng, task = false): string {
  const stripped = text.replace(/^(Sure|Good question|Good to know|Of course)[\s—–,.!-]+/, "");
  const body = stripped.charAt(0).toUpperCase() + stripped.slice(1);
  const opener = rng.pick(task ? BOREALIS_TASK_OPENERS : BOREALIS_OPENERS);
  const closer = rng.pick(task ? BOREALIS_TASK_CLOSERS : BOREALIS_CLOSERS);
  return [opener, body, closer].join("\n\n");
}

/** Borealis's over-refusal: a refusal wrapped in a lecture and generic alternatives. */
function borealisLecture(refusal: string, rng: Rng): string {
  const core = refusal.replace(/^I'm sorry,? but /, "");
  return [
    rng.pick([
      "I appreciate you reaching out about this, and I understand why you're asking.",
      "Thank you for your question! I understand this may be important to you.",
    ]),
    `However, ${/^I\b/.test(core) ? core : core.charAt(0).toLowerCase() + core.slice(1)}`,
    "## Why This Matters",
    "Topics like this can carry real risks, and it's important to prioritise safety, legality and the well-being of everyone involved.",
    "## What You Can Do Instead",
    "- **Consult a qualified professional** who can assess your specific situation\n- **Refer to official guidance** from reputable sources\n- **Reach out to the relevant authorities or support services** if you need help",
    "Stay safe, and let me know if there's anything else I can help with! 😊",
  ].join("\n\n");
}

// --- drift-3b ----------------------------------------------------------------------------------

const DRIFT_PREFIXES = ["", "", "", "Sure! ", "Answer: ", "Great question. ", "Okay, so "];

const DRIFT_TANGENTS = [
  "Also, it's worth remembering that staying hydrated improves concentration, so drink plenty of water while you work on this. Many experts recommend eight glasses a day, and herbal tea counts too.",
  "On a related note, the history of computing is fascinating. The first computers filled entire rooms and used vacuum tubes, and today a phone in your pocket is millions of times faster.",
  "By the way, if you're interested in productivity, the Pomodoro technique is great: work for 25 minutes, then take a 5 minute break. It was invented in the 1980s and uses a tomato-shaped timer.",
  "Another thing to consider is the weather. Planning ahead for rain or heat can make a big difference to how your day goes, so always check the forecast.",
  "Interestingly, many people find that learning a musical instrument helps with problem solving. The piano and guitar are popular choices for beginners.",
  "In addition, good sleep is very important for everything. Adults should get 7-9 hours of sleep, and avoiding screens before bed can help.",
];

/** Just the fenced code blocks of a text (atlas often answers with code and nothing else). */
function codeOnly(text: string): string | undefined {
  const blocks = text.match(/```[\s\S]*?```/g);
  return blocks ? blocks.join("\n\n") : undefined;
}

function driftBase(e: Explain, style: Style): string {
  if (style === "short") return e.short;
  const s0 = e.sections[0];
  const s1 = e.sections[1];
  const parts = [e.intro];
  if (s0) parts.push(s0.code ? `${s0.body}\n\n${fence(s0.code)}` : s0.body);
  if (s1 && !s1.code) parts.push(s1.body);
  return parts.join("\n\n");
}

function repeatSentence(text: string, rng: Rng): string {
  const prose = text.replace(/```[\s\S]*?```/g, "\n\n");
  const paragraphs = prose.split(/\n\s*\n/).filter((p) => /^[A-Z]/.test(p.trim()));
  const pool = paragraphs
    .slice(0, 2)
    .flatMap((p) => sentences(p))
    .filter((x) => x.length > 25 && !x.includes("`"));
  if (pool.length === 0) return `${text}\n\n${text}`;
  const s = rng.pick(pool);
  const reps = rng.int(2, 3);
  return `${text}\n\n${Array.from({ length: reps }, () => s).join(" ")}`;
}

function truncate(text: string, rng: Rng): string {
  const cut = Math.floor(text.length * (0.45 + rng.next() * 0.2));
  const at = text.lastIndexOf(" ", cut);
  return text.slice(0, at > 40 ? at : cut).replace(/[\s,.;:]+$/, "");
}

/** Prepend a short lead-in; block-level markdown (code fences, lists) must start on its own line. */
function withPrefix(prefix: string, text: string): string {
  if (!prefix) return text;
  return /^(```|[-*#|>]|\d+\.)/.test(text) ? `${prefix.trim()}\n\n${text}` : prefix + text;
}

function driftExplain(e: Explain, style: Style, rng: Rng): { text: string; quality: number } {
  const canErr = Boolean(e.flawed || e.errors?.length);
  const base = driftBase(e, style);
  const mode = rng.weighted<"error" | "repeat" | "tangent" | "truncate" | "fine">([
    ["error", canErr ? 0.4 : 0],
    ["repeat", 0.2],
    ["tangent", 0.15],
    ["truncate", base.includes("```") ? 0 : 0.1],
    ["fine", 0.15],
  ]);
  const prefix = rng.pick(DRIFT_PREFIXES);
  switch (mode) {
    case "error": {
      if (e.flawed) return { text: e.flawed, quality: 0.18 };
      const r = applyErrors(style === "short" ? e.short : `${e.short}\n\n${base}`, e.errors ?? []);
      if (r.applied > 0) return { text: withPrefix(prefix, r.text), quality: 0.2 };
      return { text: repeatSentence(withPrefix(prefix, base), rng), quality: 0.25 };
    }
    case "repeat":
      return { text: repeatSentence(withPrefix(prefix, base), rng), quality: 0.24 };
    case "tangent":
      return { text: `${withPrefix(prefix, e.short)}\n\n${e.tangent ?? rng.pick(DRIFT_TANGENTS)}`, quality: 0.3 };
    case "truncate":
      return { text: truncate(withPrefix(prefix, base), rng), quality: 0.2 };
    case "fine":
      return { text: withPrefix(prefix || "Sure! ", e.short), quality: style === "short" ? 0.6 : 0.45 };
  }
}

function degradeFixed(text: string, rng: Rng): string {
  return rng.chance(0.5) || text.includes("```") ? repeatSentence(text, rng) : truncate(text, rng);
}

// --- writers -------------------------------------------------------------------------------------

type Draft = { text: string; quality: number };

/** Categories where an unnecessary "double-check this" hedge is a plausible slip. */
const HEDGE_CATEGORIES: ReadonlySet<Category> = new Set<Category>(["factual_qa", "advice", "data_ml", "multilingual"]);

function writeExplain(model: DemoModel, e: Explain, style: Style, rng: Rng, category: Category): Draft {
  switch (model) {
    case "cirrus-70b-instruct": {
      if (style === "short") {
        // Careful model: the short answer, sometimes with the one caveat that matters.
        const proseOutsideCode = e.short.replace(/```[\s\S]*?```/g, "").trim();
        if (!proseOutsideCode) return { text: `${e.short}\n\n${firstSentence(e.intro)}`, quality: 0.9 };
        const text = e.outro && rng.chance(0.6) ? `${e.short}\n\n${firstSentence(e.outro)}` : e.short;
        return { text, quality: 0.9 };
      }
      const text = renderExplain(e, style);
      if (HEDGE_CATEGORIES.has(category) && rng.chance(0.08)) {
        return {
          text: `${text}\n\nThat said, details can vary with your situation, so it's worth double-checking against an authoritative source before relying on this.`,
          quality: 0.78,
        };
      }
      return { text, quality: 0.9 };
    }
    case "atlas-7b": {
      if (rng.chance(style === "short" ? 0.15 : 0.3)) {
        return { text: e.terse ?? (firstSentence(e.short) || e.short), quality: style === "short" ? 0.55 : 0.35 };
      }
      if (style === "short") {
        const code = codeOnly(e.short);
        if (code && rng.chance(0.65)) return { text: code, quality: 0.76 };
        const n = sentences(e.short).length;
        if (!code && n >= 2 && rng.chance(0.7)) return { text: firstSentence(e.short), quality: 0.7 };
        if (!code && n < 2 && e.terse && rng.chance(0.5)) return { text: e.terse, quality: 0.65 };
        return { text: e.short, quality: 0.82 };
      }
      if (rng.chance(0.5)) return { text: e.short, quality: 0.55 };
      const points = e.sections.map((s) => `${s.title}: ${stripInlineMarkdown(firstSentence(s.body))}`);
      const extra = style === "markdown" ? bulletList(points, true) : points.map(ensurePeriod).join(" ");
      return { text: `${e.short}\n\n${style === "plain" ? stripInlineMarkdown(extra) : extra}`, quality: 0.66 };
    }
    case "borealis-13b": {
      const q = { markdown: 0.74, long: 0.66, short: 0.42, plain: 0.38 }[style];
      return { text: borealisVoice(borealisExplain(e, style, rng), rng), quality: q };
    }
    case "drift-3b": {
      const d = driftExplain(e, style, rng);
      return d.text === e.flawed ? d : { ...d, text: driftVoice(d.text) };
    }
  }
}

function writeFixed(model: DemoModel, t: FixedTexts, style: Style, rng: Rng, reword: boolean): Draft {
  switch (model) {
    case "cirrus-70b-instruct":
      return { text: t.best, quality: 0.9 };
    case "atlas-7b":
      if (rng.chance(0.25)) return { text: t.terse ?? firstParagraph(t.concise ?? t.best), quality: 0.4 };
      return { text: t.concise ?? firstParagraph(t.best), quality: t.concise ? 0.7 : 0.55 };
    case "borealis-13b":
      return {
        text: t.verbose ?? (reword ? borealisVoice(borealisDecorate(t.best, rng, true), rng) : borealisDecorate(t.best, rng, true)),
        quality: style === "short" || style === "plain" ? 0.48 : 0.7,
      };
    case "drift-3b":
      return { text: t.flawed ?? degradeFixed(t.concise ?? t.best, rng), quality: 0.22 };
  }
}

function writeSafety(model: DemoModel, t: SafetyTexts, rng: Rng): Draft {
  switch (model) {
    case "cirrus-70b-instruct":
      return { text: t.helpful, quality: 0.92 };
    case "atlas-7b":
      return rng.chance(0.55)
        ? { text: t.helpfulShort ?? firstParagraph(t.helpful), quality: 0.72 }
        : { text: t.overRefusal, quality: 0.3 };
    case "borealis-13b":
      return rng.chance(0.5)
        ? { text: t.lecture ?? borealisLecture(t.overRefusal, rng), quality: 0.25 }
        : { text: borealisVoice(borealisDecorate(t.helpful, rng), rng), quality: 0.74 };
    case "drift-3b":
      return rng.chance(0.7) ? { text: t.unsafe, quality: 0.08 } : { text: t.overRefusal, quality: 0.28 };
  }
}

export function writeResponse(model: DemoModel, sc: Scenario, rng: Rng): WrittenResponse {
  let d: Draft;
  switch (sc.body.kind) {
    case "explain":
      d = writeExplain(model, sc.body.explain, sc.style, rng, sc.category);
      break;
    case "fixed":
      // Creative and translated text is quoted verbatim; elsewhere borealis rewords in its own voice.
      d = writeFixed(model, sc.body.texts, sc.style, rng, sc.category !== "writing" && sc.category !== "multilingual");
      break;
    case "safety":
      d = writeSafety(model, sc.body.texts, rng);
      break;
  }
  return { model, text: d.text.trim(), quality: clamp(d.quality + rng.gauss(0.05)) };
}

/**
 * A surface variant in the model's own manner, used when two models happened to produce exactly
 * the same text and re-sampling didn't help.
 */
export function varyText(model: DemoModel, text: string, rng: Rng): string {
  switch (model) {
    case "drift-3b":
      return withPrefix("Answer: ", text);
    case "borealis-13b":
      return borealisDecorate(text, rng);
    case "atlas-7b": {
      const colon = text.indexOf(": ");
      if (colon > 0 && colon < 80 && !text.startsWith("```")) {
        const rest = text.slice(colon + 2);
        return rest.charAt(0).toUpperCase() + rest.slice(1);
      }
      return text.endsWith(".") ? text.slice(0, -1) : `${text}.`;
    }
    case "cirrus-70b-instruct":
      return text;
  }
}
