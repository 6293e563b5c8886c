/**
 * Streams a project's judgments to a file in one export format and records a snapshot: the
 * manifest (format, policies, row count, sha256) plus the judgment ids used (lineage) and an audit
 * event. Items are read in keyset pages (never one long-lived cursor, so the shared connection stays
 * usable while we wait for the disk), each page's text is written as one Buffer with stream
 * backpressure, and the sha256 is computed on a worker thread, so memory stays flat.
 */
import { once } from "node:events";
import fs from "node:fs";
import { snapshots } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { getProject } from "@/server/domain/projects";
import type { CategoricalLabel } from "@/server/domain/stats/dawid-skene";
import { dawidSkeneLabels, fitPairPosteriors } from "./dawid-skene-labels";
import { csvHeader, type ExportFormat, exportPoliciesFor, textForItem, type WriterContext } from "./formats";
import { OffThreadHash } from "./hash-worker";
import { exportGroupId, hasGroupedJudgments, type ItemPageOptions, itemPages } from "./item-pages";
import { writeParquet } from "./parquet";
import type { ExportPoliciesInput } from "./policies";
import { pseudonymizer, pseudonymKey } from "./pseudonym";

export type ExportParams = {
  projectId: number;
  format: ExportFormat;
  policies?: ExportPoliciesInput;
  out: string;
  actorId?: number | null;
  /** Items per page read from SQLite. */
  pageSize?: number;
  /** Only the items of this generation round (rounds.id; the CLI's `--round N` resolves the number). */
  roundId?: number;
  /** Only the judgments of this annotator group's members (`--group NAME`); NOT_FOUND for an unknown name. */
  group?: string;
  onProgress?: (itemsDone: number, itemsTotal: number) => void;
};
export type ExportResult = { rows: number; sha256: string; snapshot: number };

/**
 * One event-loop turn between pages: a page that fits the stream's buffer awaits only microtasks, and
 * without this a long export would hold the server's requests (progress polls included) until it ends.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function exportSnapshot(db: Db, params: ExportParams): Promise<ExportResult> {
  const project = getProject(db, params.projectId);
  const policies = exportPoliciesFor(params.format, params.policies);
  const pages: ItemPageOptions = {
    roundId: params.roundId,
    groupId: params.group === undefined ? undefined : exportGroupId(db, params.group),
  };
  const ctx: WriterContext = {
    policies,
    pseudonym: pseudonymizer(pseudonymKey(db), project.id),
    groupColumn: pages.groupId !== undefined || hasGroupedJudgments(db, project.id),
  };
  if (policies.aggregate === "dawid-skene") {
    // EM needs every label of the project before the first row can be written: one reading pass first.
    const labels: CategoricalLabel[] = [];
    for (const page of itemPages(db, project.id, params.pageSize, pages))
      for (const item of page) labels.push(...dawidSkeneLabels(item, policies));
    ctx.posteriors = fitPairPosteriors(labels);
  }
  const hash = new OffThreadHash();
  const partial = `${params.out}.partial`;
  const stream = fs.createWriteStream(partial, { highWaterMark: 1 << 20 });
  const streamError = new Promise<never>((_, reject) => stream.once("error", reject));
  streamError.catch(() => {});
  const write = async (chunk: Uint8Array) => {
    const hashed = hash.update(chunk);
    const drained = stream.write(chunk) ? null : Promise.race([once(stream, "drain"), streamError]);
    await Promise.all([hashed, drained]);
  };
  // Lineage: each judgment is used by one item only, so the ids are distinct without a Set.
  const used: number[] = [];
  let rows = 0;
  let done = 0;
  const total = project.itemCount;
  let sha256: string;
  try {
    if (params.format === "parquet") {
      rows = await writeParquet(itemPages(db, project.id, params.pageSize, pages), ctx, write, async (ids, n) => {
        for (const id of ids) used.push(id);
        done += n;
        params.onProgress?.(done, total);
        await nextTurn();
      });
    } else {
      const format = params.format;
      if (format === "csv") await write(Buffer.from(csvHeader()));
      for (const page of itemPages(db, project.id, params.pageSize, pages)) {
        let chunk = "";
        for (const item of page) {
          const out = textForItem(format, item, ctx);
          chunk += out.text;
          for (const id of out.judgmentIds) used.push(id);
          rows += out.rows;
        }
        if (chunk) await write(Buffer.from(chunk));
        done += page.length;
        params.onProgress?.(done, total);
        await nextTurn();
      }
    }
    stream.end();
    await Promise.race([once(stream, "finish"), streamError]);
    sha256 = await hash.digest();
  } catch (e) {
    stream.destroy();
    await hash.abort();
    fs.rmSync(partial, { force: true });
    throw e;
  }
  fs.renameSync(partial, params.out);
  const snapshot = transaction(db, () => {
    const id = db
      .insert(snapshots)
      .values({
        projectId: project.id,
        format: params.format,
        filter: {
          goldRemoved: true,
          excludedAnnotatorsRemoved: true,
          criterion: policies.criterion ?? null,
          ...(params.roundId !== undefined ? { roundId: params.roundId } : {}),
          ...(params.group !== undefined ? { group: params.group } : {}),
        },
        policies,
        rowCount: rows,
        sha256,
        createdBy: params.actorId ?? null,
      })
      .returning({ id: snapshots.id })
      .get().id;
    // Lineage can be a million rows: sorted (typed-array sort is numeric), 10k ids per statement via json_each.
    const insert = db.$client.prepare("INSERT INTO snapshot_judgments (snapshot_id, judgment_id) SELECT ?, value FROM json_each(?)");
    const sorted = Float64Array.from(used).sort();
    for (let i = 0; i < sorted.length; i += 10_000) insert.run(id, JSON.stringify(Array.from(sorted.subarray(i, i + 10_000))));
    recordAuditEvent(db, {
      actorId: params.actorId,
      action: "project.export",
      projectId: project.id,
      detail: { snapshot: id, format: params.format, rows, sha256, ...(params.group !== undefined ? { group: params.group } : {}) },
    });
    return id;
  });
  return { rows, sha256, snapshot };
}
