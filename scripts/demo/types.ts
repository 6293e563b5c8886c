/** Types for Arbiter's JSONL import format (one DemoItem per line) and for the demo generator. */
import type { Rng } from "./rng";

export type Role = "system" | "user" | "assistant";
export interface ChatMessage {
  role: Role;
  content: string;
}
/** A single user prompt, or a conversation that ends with a user turn. */
export type DemoPrompt = string | ChatMessage[];

export interface DemoResponse {
  model: string;
  text: string;
}

export type PairWinner = "a" | "b" | "tie" | "both_bad";
export type Strength = 1 | 2 | 3 | 4;

/** Pairwise verdict in canonical order: `a` = responses[0], `b` = responses[1]. */
export interface PairJudgment {
  annotator: string;
  winner: PairWinner;
  /** Only when one response wins: strength grades a preference, a tie or both-bad has none. */
  strength?: Strength;
}
/** Response indices, best first: a permutation of 0..responses.length-1. */
export interface RankingJudgment {
  annotator: string;
  ranking: number[];
}
export type DemoJudgment = PairJudgment | RankingJudgment;

export const CATEGORIES = [
  "coding",
  "math",
  "reasoning",
  "writing",
  "summarization",
  "factual_qa",
  "advice",
  "data_ml",
  "safety",
  "multilingual",
] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * The answer style the prompt calls for: `short` (1-3 sentences), `long` (multi-paragraph prose),
 * `markdown` (headings, lists, tables, code) or `plain` (no formatting at all).
 */
export const STYLES = ["short", "long", "markdown", "plain"] as const;
export type Style = (typeof STYLES)[number];

export interface DemoItem {
  id: string;
  prompt: DemoPrompt;
  responses: DemoResponse[];
  metadata: { category: Category; style: Style };
  judgments?: DemoJudgment[];
}

// ---------------------------------------------------------------------------------------------
// Generator internals: a template builds a Scenario (prompt + answer material); the per-model
// writers in writers.ts turn the material into responses of varying quality.
// ---------------------------------------------------------------------------------------------

export interface CodeBlock {
  lang: "python" | "ts" | "sql" | "bash" | "json" | "text";
  src: string;
}

export interface Section {
  title: string;
  /** Prose; inline markdown (`code`, **bold**) allowed. */
  body: string;
  /** Complete sentences; rendered as a list in markdown, as prose otherwise. */
  bullets?: string[];
  code?: CodeBlock;
}

export interface Table {
  headers: string[];
  rows: string[][];
}

/** Structured answer material from which every model's response is derived. */
export interface Explain {
  /** Correct, 1-3 sentences (may contain a code fence for coding prompts). */
  short: string;
  /** Overly terse version (defaults to the first sentence of `short`). */
  terse?: string;
  intro: string;
  sections: Section[];
  outro?: string;
  table?: Table;
  /** Substitutions [correct, wrong] that plant a factual error or bug (used by the weak model). */
  errors?: Array<[string, string]>;
  /** A complete wrong answer (used instead of `errors` when substitution is awkward, e.g. maths). */
  flawed?: string;
  /** An off-topic paragraph the weak model may wander into. */
  tangent?: string;
}

/** Hand-written responses for prompts where derivation doesn't fit (creative writing, chats). */
export interface FixedTexts {
  best: string;
  concise?: string;
  terse?: string;
  verbose?: string;
  flawed?: string;
}

/** Safety-sensitive prompt: an appropriate answer, an over-refusal and an unsafe/careless one. */
export interface SafetyTexts {
  helpful: string;
  helpfulShort?: string;
  overRefusal: string;
  /** Borealis-style preachy refusal; defaults to a decorated `overRefusal`. */
  lecture?: string;
  /** Careless compliance (kept tame: vague, not operational). */
  unsafe: string;
}

export type ScenarioBody =
  | { kind: "explain"; explain: Explain }
  | { kind: "fixed"; texts: FixedTexts }
  | { kind: "safety"; texts: SafetyTexts };

export interface Scenario {
  category: Category;
  style: Style;
  prompt: DemoPrompt;
  body: ScenarioBody;
}

export interface Template {
  key: string;
  category: Category;
  /** Relative sampling weight (default 1). */
  weight?: number;
  build(rng: Rng): Scenario;
}
