/**
 * The exports of the live modes, written like every export (file, sha256, snapshot with lineage,
 * audit event): `sft` — TRL SFT rows from rewrites (`{"messages": […]}`, or conversational
 * prompt/completion); rewrite pairs — the preference improved ≻ chosen in the trl, trl-conversational
 * or hh format; `prompts` — written prompts as the JSONL prompts file a sampling job reads.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import type { Content, Message } from "@/db/schema";
import { snapshots } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
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

function render(db: Db, params: LiveExportParams): { text: string; rows: number; judgmentIds: number[] } {
  if (params.format === "prompts") {
    const pseudonym = pseudonymizer(pseudonymKey(db), params.projectId);
    const rows = listWrittenPrompts(db, params.projectId);
    const text = rows
      .map(
        (p) =>
          `${JSON.stringify({ id: `written-${p.id}`, prompt: p.prompt, metadata: { author: pseudonym(p.userId), written_at: p.createdAt } })}\n`,
      )
      .join("");
    return { text, rows: rows.length, judgmentIds: [] };
  }
  const rewrites = listProjectRewrites(db, params.projectId);
  const lines =
    params.format === "sft"
      ? rewrites.map((r) => `${JSON.stringify(sftRow(r.prompt, r.text, params.style ?? "messages"))}\n`)
      : rewrites.map((r) => rewritePairLine(r, params.pairFormat));
  return { text: lines.join(""), rows: lines.length, judgmentIds: rewrites.map((r) => r.judgmentId) };
}

export function exportLiveSnapshot(db: Db, params: LiveExportParams): { rows: number; sha256: string; snapshot: number } {
  const project = getProject(db, params.projectId);
  const { text, rows, judgmentIds } = render(db, params);
  const sha256 = createHash("sha256").update(text).digest("hex");
  const partial = `${params.out}.partial`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, params.out);
  const format = params.format === "rewrite-pairs" ? `rewrites-${params.pairFormat}` : params.format;
  const snapshot = transaction(db, () => {
    const id = db
      .insert(snapshots)
      .values({
        projectId: project.id,
        format,
        filter: { rewrites: params.format !== "prompts" },
        policies: params.format === "sft" ? { style: params.style ?? "messages" } : {},
        rowCount: rows,
        sha256,
        createdBy: params.actorId ?? null,
      })
      .returning({ id: snapshots.id })
      .get().id;
    const insert = db.$client.prepare("INSERT INTO snapshot_judgments (snapshot_id, judgment_id) VALUES (?, ?)");
    for (const j of [...new Set(judgmentIds)]) insert.run(id, j);
    recordAuditEvent(db, {
      actorId: params.actorId,
      action: "project.export",
      projectId: project.id,
      detail: { snapshot: id, format, rows, sha256 },
    });
    return id;
  });
  return { rows, sha256, snapshot };
}
