/**
 * Row writers: each export format as a pure function from an item (with its judgments) to the
 * records and the exact text lines written for it. Pair formats (trl, trl-conversational, hh)
 * carry only decided preferences; arena and csv also carry tie rows when ties are kept;
 * raw is one row per stored judgment.
 *
 * Whose preferences: raw and csv always carry `annotator_group` (the judge's admin-defined group, null
 * when in none; a label for many people, never more about the person than the existing pseudonym).
 * trl, trl-conversational, parquet and arena carry it when the export holds judgments of grouped
 * annotators (`groupColumn`), so a project without groups exports the very bytes it always did;
 * hh never does: its lines are HH's own {chosen, rejected} bytes.
 */
import type { Content, Message } from "@/db/schema";
import type { PairPosteriors } from "./dawid-skene-labels";
import { type ExportItem, type ExportPolicies, type ExportPoliciesInput, type PairRow, pairRowsForItem, zExportPolicies } from "./policies";

export const EXPORT_FORMATS = ["trl", "trl-conversational", "hh", "arena", "raw", "csv", "parquet"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * The policies an export of `format` runs with. `raw` is the record of every stored judgment, so it keeps
 * ties and both-bad judgments unless `ties` / `bothBad` say "drop"; the other formats drop them by default.
 */
export function exportPoliciesFor(format: ExportFormat, input: ExportPoliciesInput = {}): ExportPolicies {
  if (format !== "raw") return zExportPolicies.parse(input);
  return zExportPolicies.parse({ ...input, ties: input.ties ?? "keep", bothBad: input.bothBad ?? "keep" });
}

export type WriterContext = {
  policies: ExportPolicies;
  pseudonym: (annotatorId: number) => string;
  /** Dawid-Skene posteriors per item and pair, fitted over the whole project (aggregate dawid-skene). */
  posteriors?: PairPosteriors;
  /** Whether trl, trl-conversational, parquet and arena rows carry `annotator_group` (raw and csv always do). */
  groupColumn?: boolean;
};
export type ItemOutput = { records: Record<string, unknown>[]; judgmentIds: number[] };

/** Plain text of a prompt or response; chat messages are written in HH dialogue form. */
export function contentText(c: Content): string {
  return typeof c === "string" ? c : c.map((m) => m.content).join("\n\n");
}

export function promptMessages(c: Content): Message[] {
  return typeof c === "string" ? [{ role: "user", content: c }] : c;
}

const HH_ROLE: Record<Message["role"], string> = { user: "Human", assistant: "Assistant", system: "System" };

/** "\n\nHuman: …\n\nAssistant:" — the HH prefix for a prompt. */
export function renderHhPrefix(c: Content): string {
  return `${promptMessages(c)
    .map((m) => `\n\n${HH_ROLE[m.role]}: ${m.content}`)
    .join("")}\n\nAssistant:`;
}

/** HH import details kept on the item so an export gives back the very same bytes. */
type HhMetadata = { prefix?: string; bare?: number[] };

function hhMeta(item: ExportItem): HhMetadata {
  const hh = item.metadata.hh;
  return typeof hh === "object" && hh !== null ? (hh as HhMetadata) : {};
}

/** The text before a response: the stored prefix of an imported text pair, else the HH rendering of the prompt. */
export function hhPrefix(item: ExportItem): string {
  const meta = hhMeta(item);
  return typeof meta.prefix === "string" ? meta.prefix : renderHhPrefix(item.prompt);
}

/** Whether a response follows its prefix directly (HH replies start with a space after "Assistant:"). */
function isBare(item: ExportItem, responseIdx: number): boolean {
  const meta = hhMeta(item);
  return Array.isArray(meta.bare) && meta.bare.includes(responseIdx);
}

/** A response as it continues `hhPrefix`: with its leading space unless it was imported bare. */
export function hhCompletion(item: ExportItem, responseIdx: number, content: Content): string {
  return `${isBare(item, responseIdx) ? "" : " "}${contentText(content)}`;
}

/** The full text of one response in HH form: `hhPrefix + hhCompletion`, byte for byte. */
export function hhText(item: ExportItem, responseIdx: number, content: Content): string {
  return hhPrefix(item) + hhCompletion(item, responseIdx, content);
}

/** JSON as Python's json.dumps writes it (", " and ": " separators, non-ASCII as \uXXXX): HH's own bytes. */
export function pythonJson(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) =>
      ch === "\u007f" ? ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value);
}

function softColumns(row: PairRow): Record<string, unknown> {
  return row.votes ? { ...row.votes } : {};
}

function margin(row: PairRow, policies: ExportPolicies): Record<string, number> {
  return policies.margin ? { margin: row.strength ?? 0 } : {};
}

/**
 * The group a row's preference comes from: the judge's group on a one-vote row; on an aggregated row
 * the group every counted vote shares, or null when they come from several groups (or from none).
 */
export function rowGroup(row: PairRow): string | null {
  if (row.judgment) return row.judgment.annotatorGroup ?? null;
  let group: string | null | undefined;
  for (const j of row.item.judgments) {
    if (!row.judgmentIds.includes(j.id)) continue;
    const g = j.annotatorGroup ?? null;
    if (group === undefined) group = g;
    else if (group !== g) return null;
  }
  return group ?? null;
}

function groupColumn(row: PairRow, ctx: WriterContext): { annotator_group?: string | null } {
  return ctx.groupColumn ? { annotator_group: rowGroup(row) } : {};
}

/**
 * Standard TRL rows split the full HH text as TRL's `extract_prompt` splits HH: the prompt ends at
 * "\n\nAssistant:" and the completion starts with its space, so `prompt + chosen` is exactly the text
 * `--format hh` writes (a plain prompt is one human turn; an imported text pair keeps its own prefix).
 */
function trlRecord(row: PairRow, ctx: WriterContext): Record<string, unknown> {
  return {
    prompt: hhPrefix(row.item),
    chosen: hhCompletion(row.item, row.chosen.idx, row.chosen.content),
    rejected: hhCompletion(row.item, row.rejected.idx, row.rejected.content),
    ...margin(row, ctx.policies),
    ...softColumns(row),
    ...groupColumn(row, ctx),
  };
}

function assistant(c: Content): Message[] {
  return typeof c === "string" ? [{ role: "assistant", content: c }] : c;
}

const ARENA_WINNER = { win: "model_a", tie: "tie", both_bad: "tie (bothbad)" } as const;

function arenaRecord(row: PairRow, ctx: WriterContext): Record<string, unknown> {
  // Arena rows keep canonical order (model_a = the lower response index), the winner names a side.
  const swapped = row.chosen.idx > row.rejected.idx;
  const a = swapped ? row.rejected : row.chosen;
  const b = swapped ? row.chosen : row.rejected;
  const winner = row.result === "win" && swapped ? "model_b" : ARENA_WINNER[row.result];
  const messages = promptMessages(row.item.prompt);
  return {
    question_id: row.item.externalId ?? String(row.item.id),
    model_a: a.model,
    model_b: b.model,
    winner,
    judge: row.judgment ? ctx.pseudonym(row.judgment.annotatorId) : "majority",
    conversation_a: [...messages, ...assistant(a.content)],
    conversation_b: [...messages, ...assistant(b.content)],
    turn: messages.filter((m) => m.role === "user").length,
    anony: row.item.metadata.live === undefined ? true : (row.item.metadata.live as { anony?: boolean }).anony !== false,
    language: typeof row.item.metadata.language === "string" ? row.item.metadata.language : "unknown",
    tstamp: row.judgment ? row.judgment.createdAt : null,
    ...softColumns(row),
    ...groupColumn(row, ctx),
  };
}

export const CSV_COLUMNS = [
  "item_id",
  "external_id",
  "result",
  "chosen_model",
  "rejected_model",
  "strength",
  "annotator",
  "annotator_group",
  "prompt",
  "chosen",
  "rejected",
  "votes_a",
  "votes_b",
  "votes_tie",
  "p_chosen",
  "entropy",
  "judgment_ids",
] as const;

function csvRecord(row: PairRow, ctx: WriterContext): Record<string, unknown> {
  return {
    item_id: row.item.id,
    external_id: row.item.externalId,
    result: row.result,
    chosen_model: row.chosen.model,
    rejected_model: row.rejected.model,
    strength: row.strength,
    annotator: row.judgment ? ctx.pseudonym(row.judgment.annotatorId) : "",
    annotator_group: rowGroup(row),
    prompt: typeof row.item.prompt === "string" ? row.item.prompt : JSON.stringify(row.item.prompt),
    chosen: contentText(row.chosen.content),
    rejected: contentText(row.rejected.content),
    ...(row.votes ?? {}),
    judgment_ids: row.judgmentIds.join(" "),
  };
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 header line for csv exports. */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(",")}\r\n`;
}

function rawRecords(item: ExportItem, ctx: WriterContext): ItemOutput {
  const replaced = new Set(item.judgments.map((j) => j.supersedesId).filter((id) => id !== null));
  const records: Record<string, unknown>[] = [];
  const judgmentIds: number[] = [];
  for (const j of item.judgments) {
    const outcome = ctx.policies.criterion ? j.criteria[ctx.policies.criterion] : j.outcome;
    if (outcome === undefined) continue;
    if (outcome === "tie" && ctx.policies.ties === "drop") continue;
    if (outcome === "both_bad" && ctx.policies.bothBad === "drop") continue;
    judgmentIds.push(j.id);
    records.push({
      judgment_id: j.id,
      item_id: item.id,
      external_id: item.externalId,
      annotator: ctx.pseudonym(j.annotatorId),
      annotator_group: j.annotatorGroup ?? null,
      source: j.source,
      outcome: j.outcome,
      ranking: j.ranking,
      strength: j.strength,
      criteria: j.criteria,
      rationale: j.rationale,
      shown_order: j.shownOrder,
      time_on_task_ms: j.timeOnTaskMs,
      created_at: j.createdAt,
      supersedes_id: j.supersedesId,
      superseded: replaced.has(j.id),
      repeat_of_assignment: j.repeatOf ?? null,
      prompt: item.prompt,
      responses: item.responses.map((r) => ({ model: r.model, content: r.content })),
    });
  }
  return { records, judgmentIds };
}

/** The records one item contributes to an export, and the judgments they used. */
export function recordsForItem(format: ExportFormat, item: ExportItem, ctx: WriterContext): ItemOutput {
  if (format === "raw") return rawRecords(item, ctx);
  const rows = pairRowsForItem(item, ctx.policies, ctx.posteriors?.get(item.id));
  const kept = format === "arena" || format === "csv" ? rows : rows.filter((r) => r.result === "win");
  const judgmentIds = [...new Set(kept.flatMap((r) => r.judgmentIds))];
  let records: Record<string, unknown>[];
  switch (format) {
    case "trl":
    case "parquet":
      records = kept.map((r) => trlRecord(r, ctx));
      break;
    case "trl-conversational":
      records = kept.map((r) => ({
        prompt: promptMessages(r.item.prompt),
        chosen: assistant(r.chosen.content),
        rejected: assistant(r.rejected.content),
        ...margin(r, ctx.policies),
        ...softColumns(r),
        ...groupColumn(r, ctx),
      }));
      break;
    case "hh":
      records = kept.map((r) => ({
        chosen: hhText(r.item, r.chosen.idx, r.chosen.content),
        rejected: hhText(r.item, r.rejected.idx, r.rejected.content),
        ...margin(r, ctx.policies),
        ...softColumns(r),
      }));
      break;
    case "arena":
      records = kept.map((r) => arenaRecord(r, ctx));
      break;
    case "csv":
      records = kept.map((r) => csvRecord(r, ctx));
      break;
  }
  return { records, judgmentIds };
}

/** The text a record is written as. */
export function serializeRecord(format: Exclude<ExportFormat, "parquet">, record: Record<string, unknown>): string {
  if (format === "hh") return `${pythonJson(record)}\n`;
  if (format === "csv") return `${CSV_COLUMNS.map((c) => csvCell(record[c])).join(",")}\r\n`;
  return `${JSON.stringify(record)}\n`;
}

/** Whether a stored JSON text is a JSON string (JSON.stringify wrote it), so its bytes can be copied. */
function isStoredString(stored: string | undefined): stored is string {
  return stored !== undefined && stored.charCodeAt(0) === 34;
}

// JSON text of the HH turn markers, split where a stored JSON string's body goes between them.
const HUMAN_OPEN = JSON.stringify("\n\nHuman: ").slice(0, -1);
const ASSISTANT_CLOSE = JSON.stringify("\n\nAssistant:").slice(1);

function trlPromptJson(item: ExportItem): string {
  if (typeof hhMeta(item).prefix !== "string" && typeof item.prompt === "string" && isStoredString(item.promptJson)) {
    return HUMAN_OPEN + item.promptJson.slice(1, -1) + ASSISTANT_CLOSE;
  }
  return JSON.stringify(hhPrefix(item));
}

function trlCompletionJson(item: ExportItem, r: PairRow["chosen"]): string {
  if (typeof r.content === "string" && isStoredString(r.json)) return isBare(item, r.idx) ? r.json : `" ${r.json.slice(1)}`;
  return JSON.stringify(hhCompletion(item, r.idx, r.content));
}

/**
 * A TRL line built by concatenation: the same bytes as `JSON.stringify(trlRecord(row))`, but a string
 * prompt or response is copied from its stored JSON text instead of being parsed and stringified again.
 */
function trlLine(row: PairRow, ctx: WriterContext): string {
  const { item, chosen, rejected } = row;
  let line = `{"prompt":${trlPromptJson(item)},"chosen":${trlCompletionJson(item, chosen)},"rejected":${trlCompletionJson(item, rejected)}`;
  if (ctx.policies.margin) line += `,"margin":${JSON.stringify(row.strength ?? 0)}`;
  const v = row.votes;
  if (v) {
    line += `,"votes_a":${v.votes_a},"votes_b":${v.votes_b},"votes_tie":${v.votes_tie},"p_chosen":${JSON.stringify(v.p_chosen)},"entropy":${JSON.stringify(v.entropy)}`;
  }
  if (ctx.groupColumn) line += `,"annotator_group":${JSON.stringify(rowGroup(row))}`;
  return `${line}}\n`;
}

export type ItemText = { text: string; rows: number; judgmentIds: number[] };

/** The text one item contributes to a text export, its row count and the judgments it used. */
export function textForItem(format: Exclude<ExportFormat, "parquet">, item: ExportItem, ctx: WriterContext): ItemText {
  if (format === "trl") {
    const rows = pairRowsForItem(item, ctx.policies, ctx.posteriors?.get(item.id));
    let text = "";
    let n = 0;
    const ids: number[] = [];
    for (const r of rows) {
      if (r.result !== "win") continue;
      text += trlLine(r, ctx);
      n++;
      for (const id of r.judgmentIds) if (!ids.includes(id)) ids.push(id);
    }
    return { text, rows: n, judgmentIds: ids };
  }
  const out = recordsForItem(format, item, ctx);
  let text = "";
  for (const r of out.records) text += serializeRecord(format, r);
  return { text, rows: out.records.length, judgmentIds: out.judgmentIds };
}

/** Text of a whole export, for small in-memory uses and tests; exportSnapshot streams instead. */
export function exportText(format: Exclude<ExportFormat, "parquet">, items: ExportItem[], ctx: WriterContext): string {
  let out = format === "csv" ? csvHeader() : "";
  for (const item of items) out += textForItem(format, item, ctx).text;
  return out;
}
