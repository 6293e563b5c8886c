/**
 * One line of the `arbiter` import format (DESIGN.md): an item with K responses and optional
 * judgments from named external annotators. Validation returns every problem with its field path.
 */
import { z } from "zod";
import type { FieldIssue } from "@/server/domain/errors";
import { zContent, zPairOutcome, zStrength } from "@/server/domain/schemas";

export const MAX_RESPONSES = 16;
export const MAX_TEXT_CHARS = 1_000_000;

const textOf = (c: string | { content: string }[]) => (typeof c === "string" ? c : c.map((m) => m.content).join(""));

const zText = zContent
  .refine((c) => textOf(c).length <= MAX_TEXT_CHARS, `longer than ${MAX_TEXT_CHARS.toLocaleString("en")} characters`)
  // NUL characters are valid JSON (\u0000) but break tokenizers, CSV tools and C strings downstream.
  .refine((c) => !textOf(c).includes("\u0000"), "contains a NUL character (\\u0000)");

const zImportJudgment = z
  .object({
    annotator: z.string().trim().min(1, "name the annotator").max(200),
    winner: zPairOutcome.optional(),
    ranking: z.array(z.number().int().min(0)).optional(),
    strength: zStrength.optional(),
    criteria: z.record(z.string(), zPairOutcome).optional(),
    rationale: z.string().max(20_000).optional(),
  })
  .strict();

export const zImportLine = z.object({
  id: z.union([z.string().trim().min(1).max(200), z.number().int().transform(String)]).optional(),
  prompt: zText.refine((p) => typeof p !== "string" || p.trim().length > 0, "the prompt is empty"),
  responses: z
    .array(z.object({ model: z.string().trim().min(1, "name the model").max(200), text: zText }).strict())
    .min(2, "an item needs at least 2 responses to compare")
    .max(MAX_RESPONSES, `at most ${MAX_RESPONSES} responses per item`),
  judgments: z.array(zImportJudgment).max(1000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type ImportLine = z.infer<typeof zImportLine>;

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}

export const JSONL_HINT = "the file must hold one whole JSON object per line (JSONL), not a pretty-printed object or a JSON array";

/** A line that is a piece of a pretty-printed object or array: `{`, `},`, `"prompt": "…",`, `[`. */
function looksLikeFragment(text: string): boolean {
  const t = text.trim();
  return /^[[\]{}],?$/.test(t) || /^"[^"]*"\s*:/.test(t) || /^[\]}]\s*,?\s*$/.test(t);
}

/** One JSONL line as a JSON object, or the `(line)` issue every import format reports for it. */
export function parseJsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; issues: FieldIssue[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = looksLikeFragment(text)
      ? `not a whole JSON object: ${JSONL_HINT}`
      : `invalid JSON (${(e as Error).message}); ${JSONL_HINT}`;
    return { ok: false, issues: [{ field: "(line)", message }] };
  }
  if (Array.isArray(raw)) return { ok: false, issues: [{ field: "(line)", message: `a JSON array: ${JSONL_HINT}` }] };
  if (typeof raw !== "object" || raw === null) {
    return { ok: false, issues: [{ field: "(line)", message: `expected a JSON object; ${JSONL_HINT}` }] };
  }
  return { ok: true, value: raw as Record<string, unknown> };
}

/** The value at a zod issue's path in the parsed line (undefined when the field is absent). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * zod's message in words a person importing a file acts on: a missing field says it is missing
 * ("expected array, received undefined" and a bare "Invalid input" did not).
 */
export function readableIssue(issue: z.core.$ZodIssue, line: unknown): string {
  if ((issue.code === "invalid_type" || issue.code === "invalid_union") && valueAt(line, issue.path) === undefined) {
    const kind = issue.code === "invalid_type" ? (issue.expected === "array" ? " (a list)" : ` (a ${issue.expected})`) : "";
    return `missing: this field is required${kind}`;
  }
  if (issue.code === "unrecognized_keys") return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return issue.message;
}

/** Parses and validates one line. Returns the item, or every issue found (without the line number). */
export function parseImportLine(text: string): { ok: true; value: ImportLine } | { ok: false; issues: FieldIssue[] } {
  const raw = parseJsonObject(text);
  if (!raw.ok) return raw;
  const parsed = zImportLine.safeParse(raw.value);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({ field: pathOf(i.path) || "(line)", message: readableIssue(i, raw.value) })),
    };
  }
  const item = parsed.data;
  const k = item.responses.length;
  const issues: FieldIssue[] = [];
  item.judgments?.forEach((j, n) => {
    const at = `judgments[${n}]`;
    if ((j.winner === undefined) === (j.ranking === undefined)) {
      issues.push({ field: at, message: "give either winner or ranking" });
    } else if (j.winner !== undefined && k !== 2) {
      issues.push({ field: `${at}.winner`, message: `winner is for 2 responses; this item has ${k}, use ranking` });
    } else if (j.ranking !== undefined) {
      const r = j.ranking;
      if (r.length !== k || new Set(r).size !== k || r.some((i) => i >= k)) {
        issues.push({ field: `${at}.ranking`, message: `must list each response index 0..${k - 1} once, best first` });
      }
    }
    if (j.strength !== undefined && j.winner !== "a" && j.winner !== "b" && j.ranking === undefined) {
      issues.push({ field: `${at}.strength`, message: "strength applies only when one response wins" });
    }
  });
  return issues.length ? { ok: false, issues } : { ok: true, value: item };
}
