/**
 * Stored exports: the admin page writes each export next to the database (data/exports, or
 * ARBITER_EXPORTS_DIR) as snapshot-<id>.<ext>, lists a project's snapshots and diffs two of them
 * by the judgments they used.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { and, desc, eq } from "drizzle-orm";
import { snapshotJudgments, snapshots } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, type Op } from "@/server/database";
import { AppError } from "@/server/domain/errors";
import { exportSnapshot } from "./export-snapshot";
import type { ExportFormat } from "./formats";
import type { ExportPoliciesInput } from "./policies";

const EXTENSION: Record<ExportFormat, string> = {
  trl: "jsonl",
  "trl-conversational": "jsonl",
  hh: "jsonl",
  arena: "jsonl",
  raw: "jsonl",
  csv: "csv",
  parquet: "parquet",
};

/**
 * ARBITER_EXPORTS_DIR, else `exports/` beside the database file (PostgreSQL, which has no file:
 * `data/exports`; instances that serve each other's downloads need ARBITER_EXPORTS_DIR on shared storage).
 */
export function exportsDir(): string {
  if (process.env.ARBITER_EXPORTS_DIR) return path.resolve(process.env.ARBITER_EXPORTS_DIR);
  const db = process.env.ARBITER_DB ?? "data/arbiter.db";
  if (/^postgres(ql)?:\/\//i.test(db)) return path.resolve("data/exports");
  return path.resolve(path.join(path.dirname(db), "exports"));
}

function fileFor(id: number, format: string): string {
  return path.join(exportsDir(), `snapshot-${id}.${EXTENSION[format as ExportFormat] ?? "dat"}`);
}

/** Exports into the store and returns the snapshot; the file is then served by openSnapshotFile. */
export async function createStoredExport(
  db: AnyDb,
  params: {
    projectId: number;
    format: ExportFormat;
    policies?: ExportPoliciesInput;
    /** Only this annotator group's judgments. */
    group?: string;
    actorId?: number | null;
    onProgress?: (itemsDone: number, itemsTotal: number) => void;
  },
) {
  fs.mkdirSync(exportsDir(), { recursive: true });
  const tmp = path.join(exportsDir(), `tmp-${randomUUID()}`);
  const r = await exportSnapshot(db, { ...params, out: tmp });
  fs.renameSync(tmp, fileFor(r.snapshot, params.format));
  return r;
}

export const listSnapshots = domainOp(function* listSnapshots(c: Conn, projectId: number) {
  const rows = yield* c.all(
    c.q
      .select({
        id: snapshots.id,
        format: snapshots.format,
        policies: snapshots.policies,
        filter: snapshots.filter,
        rowCount: snapshots.rowCount,
        sha256: snapshots.sha256,
        createdBy: snapshots.createdBy,
        createdAt: snapshots.createdAt,
      })
      .from(snapshots)
      .where(eq(snapshots.projectId, projectId))
      .orderBy(desc(snapshots.id)),
  );
  return rows.map((s) => ({ ...s, downloadable: fs.existsSync(fileFor(s.id, s.format)) }));
});

function* storedFile(c: Conn, snapshotId: number) {
  const s = yield* c.first(c.q.select().from(snapshots).where(eq(snapshots.id, snapshotId)));
  if (!s) throw new AppError("NOT_FOUND", `snapshot ${snapshotId} does not exist`);
  const file = fileFor(s.id, s.format);
  if (!fs.existsSync(file))
    throw new AppError("NOT_FOUND", `snapshot ${snapshotId} was not stored for download (CLI exports stay where they were written)`);
  return { snapshot: s, file };
}

/** What a download of a stored snapshot is called and how big it is. No server path: that stays on the server. */
export const getSnapshotDownload = domainOp(function* getSnapshotDownload(c: Conn, snapshotId: number) {
  const { snapshot: s, file } = yield* storedFile(c, snapshotId);
  return {
    snapshotId: s.id,
    filename: `project-${s.projectId}-${s.format}-snapshot-${s.id}${path.extname(file)}`,
    format: s.format,
    size: fs.statSync(file).size,
  };
});

/** The stored file's bytes as a stream, for the download route (never buffered whole). */
export const openSnapshotFile = domainOp(function* openSnapshotFile(c: Conn, snapshotId: number): Op<fs.ReadStream> {
  return fs.createReadStream((yield* storedFile(c, snapshotId)).file);
});

/** Judgments used by `to` but not `from` (added) and the other way round (removed). */
export const diffSnapshots = domainOp(function* diffSnapshots(c: Conn, params: { projectId: number; from: number; to: number }) {
  function* ids(snapshotId: number): Op<Set<number>> {
    const s = yield* c.first(
      c.q
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(and(eq(snapshots.id, snapshotId), eq(snapshots.projectId, params.projectId))),
    );
    if (!s) throw new AppError("NOT_FOUND", `snapshot ${snapshotId} is not in project ${params.projectId}`);
    const rows = yield* c.all(
      c.q.select({ id: snapshotJudgments.judgmentId }).from(snapshotJudgments).where(eq(snapshotJudgments.snapshotId, snapshotId)),
    );
    return new Set(rows.map((r) => r.id));
  }
  const a = yield* ids(params.from);
  const b = yield* ids(params.to);
  const added = [...b].filter((id) => !a.has(id)).sort((x, y) => x - y);
  const removed = [...a].filter((id) => !b.has(id)).sort((x, y) => x - y);
  return {
    added: added.length,
    removed: removed.length,
    kept: b.size - added.length,
    addedIds: added.slice(0, 200),
    removedIds: removed.slice(0, 200),
  };
});
