/**
 * The exports of the live modes, written like every export (file, sha256, snapshot with lineage,
 * audit event): `sft` — TRL SFT rows from rewrites (`{"messages": […]}`, or conversational
 * prompt/completion); rewrite pairs — the preference improved ≻ chosen in the trl, trl-conversational
 * or hh format; `prompts` — written prompts as the JSONL prompts file a sampling job reads.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import type { Content, Message } from "@/db/schema";
import { snapshotJudgments, snapshots } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, type Op, runOp } from "@/server/database";
import type { Db } from "@/server/db";
import type { PgDb } from "@/server/db-pg";
import { recordAuditEvent } from "@/server/domain/audit";
import { contentText, promptMessages, pythonJson, renderHhPrefix } from "@/server/domain/export/formats";
import { pseudonymizer, pseudonymKey } from "@/server/domain/export/pseudonym";
import { getProject } from "@/server/domain/projects";
import { listProjectRewrites, listWrittenPrompts, type ProjectRewrite } from "./rewrites";

export const LIVE_EXPORT_FORMATS = ["sft", "prompts"] as const;
export type LiveExportFormat = (typeof LIVE_EXPORT_FORMATS)[number];
export const REWRITE_PAIR_FORMATS = ["trl", "trl-conversational", "hh"] as const;
export type RewritePairFormat = (typeof REWRITE_PAIR_FORMATS)[number];
export const SFT_STYLES = ["messages", "prompt-completion"] as const;
export type SftStyle = (typeof SFT_STYLES)[number];

export type LiveExportParams = {
  projectId: number;
  out: string;
  actorId?: number | null;
} & ({ format: "sft"; style?: SftStyle } | { format: "prompts" } | { format: "rewrite-pairs"; pairFormat: RewritePairFormat });

function hhPrefixOf(r: ProjectRewrite): string {
  const hh = r.metadata.hh as { prefix?: unknown } | undefined;
  return typeof hh?.prefix === "string" ? hh.prefix : renderHhPrefix(r.prompt);
}

const asAssistant = (text: string): Message[] => [{ role: "assistant", content: text }];

/** One SFT row: TRL's conversational language-modeling form, or its conversational prompt-completion form. */
export function sftRow(prompt: Content, text: string, style: SftStyle): Record<string, unknown> {
  const messages = promptMessages(prompt);
  return style === "messages" ? { messages: [...messages, ...asAssistant(text)] } : { prompt: messages, completion: asAssistant(text) };
}

/** One preference line improved ≻ chosen, in the bytes the named pair format writes. */
export function rewritePairLine(r: ProjectRewrite, format: RewritePairFormat): string {
  const original = contentText(r.original);
  if (format === "trl-conversational")
    return `${JSON.stringify({ prompt: promptMessages(r.prompt), chosen: asAssistant(r.text), rejected: asAssistant(original) })}\n`;
  const prefix = hhPrefixOf(r);
  if (format === "trl") return `${JSON.stringify({ prompt: prefix, chosen: ` ${r.text}`, rejected: ` ${original}` })}\n`;
  return `${pythonJson({ chosen: `${prefix} ${r.text}`, rejected: `${prefix} ${original}` })}\n`;
}

export type LiveExportResult = { rows: number; sha256: string; snapshot: number };

function* render(c: Conn, params: LiveExportParams, key: string | null): Op<{ text: string; rows: number; judgmentIds: number[] }> {
  if (params.format === "prompts") {
    const pseudonym = pseudonymizer(key as string, params.projectId);
    const rows = yield* listWrittenPrompts.op(c, params.projectId);
    const text = rows
      .map(
        (p) =>
          `${JSON.stringify({ id: `written-${p.id}`, prompt: p.prompt, metadata: { author: pseudonym(p.userId), written_at: p.createdAt } })}\n`,
      )
      .join("");
    return { text, rows: rows.length, judgmentIds: [] };
  }
  const rewrites = yield* listProjectRewrites.op(c, params.projectId);
  const lines =
    params.format === "sft"
      ? rewrites.map((r) => `${JSON.stringify(sftRow(r.prompt, r.text, params.style ?? "messages"))}\n`)
      : rewrites.map((r) => rewritePairLine(r, params.pairFormat));
  return { text: lines.join(""), rows: lines.length, judgmentIds: rewrites.map((r) => r.judgmentId) };
}

/** The manifest, its lineage (the judgments whose rewrites were written) and the audit event, in one transaction. */
const recordLiveSnapshot = domainOp(function* recordLiveSnapshot(
  c: Conn,
  s: { projectId: number; format: string; params: LiveExportParams; rows: number; sha256: string; judgmentIds: number[] },
): Op<number> {
  return yield* c.transaction(function* (tx): Op<number> {
    const row = yield* tx.first(
      tx.q
        .insert(snapshots)
        .values({
          projectId: s.projectId,
          format: s.format,
          filter: { rewrites: s.params.format !== "prompts" },
          policies: s.params.format === "sft" ? { style: s.params.style ?? "messages" } : {},
          rowCount: s.rows,
          sha256: s.sha256,
          createdBy: s.params.actorId ?? null,
        })
        .returning({ id: snapshots.id }),
    );
    if (!row) throw new Error("the snapshot's row did not come back");
    const ids = [...new Set(s.judgmentIds)];
    for (let i = 0; i < ids.length; i += 5_000) {
      yield* tx.run(
        tx.q.insert(snapshotJudgments).values(ids.slice(i, i + 5_000).map((judgmentId) => ({ snapshotId: row.id, judgmentId }))),
      );
    }
    yield* recordAuditEvent.op(tx, {
      actorId: s.params.actorId,
      action: "project.export",
      projectId: s.projectId,
      detail: { snapshot: row.id, format: s.format, rows: s.rows, sha256: s.sha256 },
    });
    return row.id;
  });
});

/**
 * Writes the export file, then records its snapshot (either engine; SQLite answers at once, PostgreSQL
 * with a promise). The rows are read first, the file is written, and only then is the snapshot stored,
 * in a transaction of its own that touches nothing outside the database.
 */
export function exportLiveSnapshot(db: Db, params: LiveExportParams): LiveExportResult;
export function exportLiveSnapshot(db: PgDb, params: LiveExportParams): Promise<LiveExportResult>;
export function exportLiveSnapshot(db: AnyDb, params: LiveExportParams): LiveExportResult | Promise<LiveExportResult>;
export function exportLiveSnapshot(db: AnyDb, params: LiveExportParams): LiveExportResult | Promise<LiveExportResult> {
  const key = params.format === "prompts" ? pseudonymKey(db) : null;
  return runOp(db, function* (c): Op<LiveExportResult> {
    const project = yield* getProject.op(c, params.projectId);
    const { text, rows, judgmentIds } = yield* render(c, params, key);
    const sha256 = createHash("sha256").update(text).digest("hex");
    const partial = `${params.out}.partial`;
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, params.out);
    const format = params.format === "rewrite-pairs" ? `rewrites-${params.pairFormat}` : params.format;
    const snapshot = yield* recordLiveSnapshot.op(c, { projectId: project.id, format, params, rows, sha256, judgmentIds });
    return { rows, sha256, snapshot };
  });
}
