/**
 * Evaluates a reward model on a preference file the way RewardBench does: a row is right when
 * reward(chosen) > reward(rejected), strictly — a tie counts as wrong — and accuracy is right / rows,
 * overall and per subset (`--subset-field`, e.g. RewardBench's `subset`). Rows are read like
 * `import --format trl|hh` reads them (TRL standard or conversational, explicit or implicit prompt; HH
 * text pairs), so a model is scored on the same prompt/response split it would have been trained on.
 * All or nothing: a bad line is an AppError naming the file, line and field before anything is scored.
 */
import { AppError, formatIssue } from "@/server/domain/errors";
import { parseJsonObject } from "@/server/domain/import/arbiter-format";
import { parseHhLine, parseTrlLine } from "@/server/domain/import/preference-formats";
import { readLinesSync } from "@/server/domain/import/read-lines";
import type { ScoreFn, ScoreInput } from "@/server/domain/scoring/project-scores";
import { renderResponse } from "./training-data";

export type EvaluationResult = {
  accuracy: number | null;
  n: number;
  /** Rows the model scored alike (counted wrong). */
  ties: number;
  subsets: Record<string, { accuracy: number | null; n: number }>;
};

type EvalRow = { chosen: ScoreInput; rejected: ScoreInput; subset: string | null };

const MAX_LINE_BYTES = 16 << 20;

/** One preference line as a scoring pair: explicit prompt (TRL), HH text, or an implicit TRL prompt. */
function parseRow(text: string, lineNo: number, file: string, subsetField: string | null): EvalRow {
  const fail = (field: string, message: string): never => {
    throw new AppError("BAD_INPUT", formatIssue({ line: lineNo, field, message }, file), [{ line: lineNo, field, message }]);
  };
  const obj = parseJsonObject(text);
  if (!obj.ok) return fail(obj.issues[0]?.field ?? "(line)", obj.issues[0]?.message ?? "invalid line");
  const o = obj.value;
  const hh = !("prompt" in o) && typeof o.chosen === "string" && o.chosen.includes("\n\nAssistant:");
  const parsed = hh ? parseHhLine(text) : parseTrlLine(text);
  if (!parsed.ok) return fail(parsed.issues[0]?.field ?? "(line)", parsed.issues[0]?.message ?? "invalid line");
  const { prompt, responses } = parsed.value;
  const [chosen, rejected] = responses;
  if (!chosen || !rejected) return fail("chosen", "needs chosen and rejected");
  let subset: string | null = null;
  if (subsetField !== null) {
    const v = o[subsetField];
    if (typeof v !== "string" && typeof v !== "number") fail(subsetField, "missing (every line needs the subset field)");
    subset = String(v);
  }
  return {
    chosen: { prompt, response: renderResponse(chosen.text) },
    rejected: { prompt, response: renderResponse(rejected.text) },
    subset,
  };
}

/** Reads every row first (all or nothing), then scores chosen and rejected of each with `score`. */
export async function evaluatePreferenceFile(params: {
  file: string;
  /** The file's name in error messages (an upload's own name rather than its temp path); default `file`. */
  name?: string;
  subsetField?: string | null;
  score: ScoreFn;
  onProgress?: (done: number, total: number) => void;
}): Promise<EvaluationResult> {
  const subsetField = params.subsetField ?? null;
  const name = params.name ?? params.file;
  const rows: EvalRow[] = [];
  for (const line of readLinesSync(params.file, MAX_LINE_BYTES)) {
    if ("error" in line) {
      throw new AppError("BAD_INPUT", formatIssue({ line: line.lineNo, field: "(line)", message: line.error }, name));
    }
    if (!line.text.trim()) continue;
    rows.push(parseRow(line.text, line.lineNo, name, subsetField));
  }
  if (rows.length === 0) throw new AppError("BAD_INPUT", `${name}: no preference rows to evaluate`, [{ field: "file", message: "empty" }]);
  const scores = await params.score(
    rows.flatMap((r) => [r.chosen, r.rejected]),
    params.onProgress,
  );
  let right = 0;
  let ties = 0;
  const subsets = new Map<string, { right: number; n: number }>();
  rows.forEach((r, i) => {
    const c = scores[2 * i]?.reward_raw ?? Number.NaN;
    const x = scores[2 * i + 1]?.reward_raw ?? Number.NaN;
    const ok = c > x;
    if (c === x) ties++;
    if (ok) right++;
    if (r.subset !== null) {
      const s = subsets.get(r.subset) ?? { right: 0, n: 0 };
      s.n++;
      if (ok) s.right++;
      subsets.set(r.subset, s);
    }
  });
  return {
    accuracy: right / rows.length,
    n: rows.length,
    ties,
    subsets: Object.fromEntries(
      [...subsets].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => [k, { accuracy: s.right / s.n, n: s.n }]),
    ),
  };
}
