/**
 * Streams a project's judgments to a file in one export format and records a snapshot: the
 * manifest (format, policies, row count, sha256) plus the judgment ids used (lineage) and an audit
 * event. Items are read in keyset pages (never one long-lived cursor, so the shared connection stays
 * usable while we wait for the disk) and written with stream backpressure, so memory stays flat.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import { snapshots } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { getProject } from "@/server/domain/projects";
import type { CategoricalLabel } from "@/server/domain/stats/dawid-skene";
import { dawidSkeneLabels, fitPairPosteriors } from "./dawid-skene-labels";
import { csvHeader, type ExportFormat, recordsForItem, serializeRecord, type WriterContext } from "./formats";
import { writeParquet } from "./parquet";
import { type ExportItem, type ExportJudgment, type ExportPoliciesInput, zExportPolicies } from "./policies";
import { pseudonymizer, pseudonymKey } from "./pseudonym";

export type ExportParams = {
  projectId: number;
  format: ExportFormat;
  policies?: ExportPoliciesInput;
  out: string;
  actorId?: number | null;
  /** Items per page read from SQLite. */
  pageSize?: number;
  onProgress?: (itemsDone: number, itemsTotal: number) => void;
};
export type ExportResult = { rows: number; sha256: string; snapshot: number };

type ItemRow = {
  id: number;
  external_id: string | null;
  prompt: string;
  metadata: string;
  responses: string;
  judgments: string;
};

// Gold items and excluded annotators never reach an export. JSON aggregation keeps one query per page.
const PAGE_SQL = `
SELECT i.id, i.external_id, i.prompt, i.metadata,
  (SELECT json_group_array(json_object('idx', r.idx, 'model', r.model, 'content', json(r.content)))
     FROM (SELECT * FROM responses r WHERE r.item_id = i.id ORDER BY r.idx) r) AS responses,
  (SELECT json_group_array(json_object('id', j.id, 'annotatorId', j.annotator_id, 'outcome', j.outcome,
       'ranking', json(j.ranking), 'strength', j.strength, 'criteria', json(j.criteria), 'rationale', j.rationale,
       'shownOrder', json(j.shown_order), 'timeOnTaskMs', j.time_on_task_ms, 'source', j.source,
       'supersedesId', j.supersedes_id, 'createdAt', j.created_at,
       'repeatOf', (SELECT a.repeat_of FROM assignments a WHERE a.id = j.assignment_id)))
     FROM (SELECT * FROM judgments j WHERE j.project_id = i.project_id AND j.item_id = i.id
             AND j.annotator_id NOT IN (SELECT user_id FROM annotator_exclusions WHERE project_id = i.project_id)
           ORDER BY j.id) j) AS judgments
FROM items i
WHERE i.project_id = ? AND i.id > ? AND i.id NOT IN (SELECT item_id FROM gold)
ORDER BY i.id LIMIT ?`;

function toItem(r: ItemRow): ExportItem {
  return {
    id: r.id,
    externalId: r.external_id,
    prompt: JSON.parse(r.prompt),
    metadata: JSON.parse(r.metadata),
    responses: JSON.parse(r.responses),
    judgments: JSON.parse(r.judgments) as ExportJudgment[],
  };
}

/** Pages of items with their responses and (non-excluded) judgments, in id order. */
export function* itemPages(db: Db, projectId: number, pageSize = 500): Generator<ExportItem[]> {
  const stmt = db.$client.prepare(PAGE_SQL);
  let after = 0;
  for (;;) {
    const rows = stmt.all(projectId, after, pageSize) as ItemRow[];
    if (rows.length === 0) return;
    after = (rows[rows.length - 1] as ItemRow).id;
    yield rows.map(toItem);
  }
}

export async function exportSnapshot(db: Db, params: ExportParams): Promise<ExportResult> {
  const project = getProject(db, params.projectId);
  const policies = zExportPolicies.parse(params.policies ?? {});
  const ctx: WriterContext = { policies, pseudonym: pseudonymizer(pseudonymKey(db), project.id) };
  if (policies.aggregate === "dawid-skene") {
    // EM needs every label of the project before the first row can be written: one reading pass first.
    const labels: CategoricalLabel[] = [];
    for (const page of itemPages(db, project.id, params.pageSize))
      for (const item of page) labels.push(...dawidSkeneLabels(item, policies));
    ctx.posteriors = fitPairPosteriors(labels);
  }
  const hash = createHash("sha256");
  const partial = `${params.out}.partial`;
  const stream = fs.createWriteStream(partial);
  const streamError = new Promise<never>((_, reject) => stream.once("error", reject));
  streamError.catch(() => {});
  const write = async (chunk: string | Uint8Array) => {
    hash.update(chunk);
    if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), streamError]);
  };
  const used = new Set<number>();
  let rows = 0;
  let done = 0;
  const total = project.itemCount;
  try {
    if (params.format === "parquet") {
      rows = await writeParquet(itemPages(db, project.id, params.pageSize), ctx, write, (ids, n) => {
        for (const id of ids) used.add(id);
        done += n;
        params.onProgress?.(done, total);
      });
    } else {
      const format = params.format;
      if (format === "csv") await write(csvHeader());
      for (const page of itemPages(db, project.id, params.pageSize)) {
        let chunk = "";
        for (const item of page) {
          const out = recordsForItem(format, item, ctx);
          for (const r of out.records) chunk += serializeRecord(format, r);
          for (const id of out.judgmentIds) used.add(id);
          rows += out.records.length;
        }
        if (chunk) await write(chunk);
        done += page.length;
        params.onProgress?.(done, total);
      }
    }
    stream.end();
    await Promise.race([once(stream, "finish"), streamError]);
  } catch (e) {
    stream.destroy();
    fs.rmSync(partial, { force: true });
    throw e;
  }
  fs.renameSync(partial, params.out);
  const sha256 = hash.digest("hex");
  const snapshot = transaction(db, () => {
    const id = db
      .insert(snapshots)
      .values({
        projectId: project.id,
        format: params.format,
        filter: { goldRemoved: true, excludedAnnotatorsRemoved: true, criterion: policies.criterion ?? null },
        policies,
        rowCount: rows,
        sha256,
        createdBy: params.actorId ?? null,
      })
      .returning({ id: snapshots.id })
      .get().id;
    // Lineage can be a million rows: one prepared insert per id, not the query builder.
    const insert = db.$client.prepare("INSERT INTO snapshot_judgments (snapshot_id, judgment_id) VALUES (?, ?)");
    for (const judgmentId of [...used].sort((a, b) => a - b)) insert.run(id, judgmentId);
    recordAuditEvent(db, {
      actorId: params.actorId,
      action: "project.export",
      projectId: project.id,
      detail: { snapshot: id, format: params.format, rows, sha256 },
    });
    return id;
  });
  return { rows, sha256, snapshot };
}
