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
import type { Db } from "@/server/db";
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

export function exportsDir(): string {
  return path.resolve(process.env.ARBITER_EXPORTS_DIR ?? path.join(path.dirname(process.env.ARBITER_DB ?? "data/arbiter.db"), "exports"));
}

function fileFor(id: number, format: string): string {
  return path.join(exportsDir(), `snapshot-${id}.${EXTENSION[format as ExportFormat] ?? "dat"}`);
}

/** Exports into the store and returns the snapshot; the file is then served by openSnapshotFile. */
export async function createStoredExport(
  db: Db,
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

export function listSnapshots(db: Db, projectId: number) {
  return db
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
    .orderBy(desc(snapshots.id))
    .all()
    .map((s) => ({ ...s, downloadable: fs.existsSync(fileFor(s.id, s.format)) }));
}

function storedFile(db: Db, snapshotId: number) {
  const s = db.select().from(snapshots).where(eq(snapshots.id, snapshotId)).get();
  if (!s) throw new AppError("NOT_FOUND", `snapshot ${snapshotId} does not exist`);
  const file = fileFor(s.id, s.format);
  if (!fs.existsSync(file))
    throw new AppError("NOT_FOUND", `snapshot ${snapshotId} was not stored for download (CLI exports stay where they were written)`);
  return { snapshot: s, file };
}

/** What a download of a stored snapshot is called and how big it is. No server path: that stays on the server. */
export function getSnapshotDownload(db: Db, snapshotId: number) {
  const { snapshot: s, file } = storedFile(db, snapshotId);
  return {
    snapshotId: s.id,
    filename: `project-${s.projectId}-${s.format}-snapshot-${s.id}${path.extname(file)}`,
    format: s.format,
    size: fs.statSync(file).size,
  };
}

/** The stored file's bytes as a stream, for the download route (never buffered whole). */
export function openSnapshotFile(db: Db, snapshotId: number): fs.ReadStream {
  return fs.createReadStream(storedFile(db, snapshotId).file);
}

/** Judgments used by `to` but not `from` (added) and the other way round (removed). */
export function diffSnapshots(db: Db, params: { projectId: number; from: number; to: number }) {
  const ids = (snapshotId: number) => {
    const s = db
      .select({ id: snapshots.id })
      .from(snapshots)
      .where(and(eq(snapshots.id, snapshotId), eq(snapshots.projectId, params.projectId)))
      .get();
    if (!s) throw new AppError("NOT_FOUND", `snapshot ${snapshotId} is not in project ${params.projectId}`);
    return new Set(
      db
        .select({ id: snapshotJudgments.judgmentId })
        .from(snapshotJudgments)
        .where(eq(snapshotJudgments.snapshotId, snapshotId))
        .all()
        .map((r) => r.id),
    );
  };
  const a = ids(params.from);
  const b = ids(params.to);
  const added = [...b].filter((id) => !a.has(id)).sort((x, y) => x - y);
  const removed = [...a].filter((id) => !b.has(id)).sort((x, y) => x - y);
  return {
    added: added.length,
    removed: removed.length,
    kept: b.size - added.length,
    addedIds: added.slice(0, 200),
    removedIds: removed.slice(0, 200),
  };
}
