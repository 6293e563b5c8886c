/**
 * Streams a project's judgments to a file in one export format and records a snapshot (either engine): the
 * manifest (format, policies, row count, sha256) plus the judgment ids used (lineage) and an audit
 * event. Items are read in keyset pages (never one long-lived cursor, so the shared connection stays
 * usable while we wait for the disk), each page's text is written as one Buffer with stream
 * backpressure, and the sha256 is computed on a worker thread, so memory stays flat.
 */
import { once } from "node:events";
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { snapshots } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, type Op } from "@/server/database";
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

/** The manifest, the lineage (the judgment ids used) and the audit event of a written export, in one transaction. */
const recordSnapshot = domainOp(function* recordSnapshot(
  c: Conn,
  s: {
    project: number;
    format: ExportFormat;
    filter: Record<string, unknown>;
    policies: ReturnType<typeof exportPoliciesFor>;
    rows: number;
    sha256: string;
    used: number[];
    actorId: number | null;
    group?: string;
  },
): Op<number> {
  return yield* c.transaction(function* (tx): Op<number> {
    const row = yield* tx.first(
      tx.q
        .insert(snapshots)
        .values({
          projectId: s.project,
          format: s.format,
          filter: s.filter,
          policies: s.policies,
          rowCount: s.rows,
          sha256: s.sha256,
          createdBy: s.actorId,
        })
        .returning({ id: snapshots.id }),
    );
    if (!row) throw new Error("the snapshot's row did not come back");
    const id = row.id;
    // Lineage can be a million rows: sorted (typed-array sort is numeric), 10k ids per statement.
    const sorted = Float64Array.from(s.used).sort();
    for (let i = 0; i < sorted.length; i += 10_000) {
      const ids = JSON.stringify(Array.from(sorted.subarray(i, i + 10_000)));
      yield* tx.exec(
        tx.engine === "sqlite"
          ? sql`INSERT INTO snapshot_judgments (snapshot_id, judgment_id) SELECT ${id}, value FROM json_each(${ids})`
          : sql`INSERT INTO snapshot_judgments (snapshot_id, judgment_id) SELECT ${id}, value::bigint FROM jsonb_array_elements_text(${ids}::jsonb)`,
      );
    }
    yield* recordAuditEvent.op(tx, {
      actorId: s.actorId,
      action: "project.export",
      projectId: s.project,
      detail: { snapshot: id, format: s.format, rows: s.rows, sha256: s.sha256, ...(s.group !== undefined ? { group: s.group } : {}) },
    });
    return id;
  });
});

/** Writes the export file, then records its snapshot: on SQLite or PostgreSQL, the same bytes from the same data. */
export async function exportSnapshot(db: AnyDb, params: ExportParams): Promise<ExportResult> {
  const project = await getProject(db, params.projectId);
  const policies = exportPoliciesFor(params.format, params.policies);
  const pages: ItemPageOptions = {
    roundId: params.roundId,
    groupId: params.group === undefined ? undefined : await exportGroupId(db, params.group),
  };
  const ctx: WriterContext = {
    policies,
    pseudonym: pseudonymizer(pseudonymKey(db), project.id),
    groupColumn: pages.groupId !== undefined || (await hasGroupedJudgments(db, project.id)),
  };
  if (policies.aggregate === "dawid-skene") {
    // EM needs every label of the project before the first row can be written: one reading pass first.
    const labels: CategoricalLabel[] = [];
    for await (const page of itemPages(db, project.id, params.pageSize, pages))
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
      for await (const page of itemPages(db, project.id, params.pageSize, pages)) {
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
  const snapshot = await recordSnapshot(db, {
    project: project.id,
    format: params.format,
    filter: {
      goldRemoved: true,
      excludedAnnotatorsRemoved: true,
      criterion: policies.criterion ?? null,
      ...(params.roundId !== undefined ? { roundId: params.roundId } : {}),
      ...(params.group !== undefined ? { group: params.group } : {}),
    },
    policies,
    rows,
    sha256,
    used,
    actorId: params.actorId ?? null,
    group: params.group,
  });
  return { rows, sha256, snapshot };
}
