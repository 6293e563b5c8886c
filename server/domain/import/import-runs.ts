/**
 * Browser imports with progress: an uploaded file (already spooled to a temp file) is checked line by
 * line asynchronously, so progress polls are answered meanwhile (lines parsed, bytes read), then
 * imported in one all-or-nothing transaction (synchronous on SQLite, awaited on PostgreSQL). Progress
 * is kept in this process's memory: it describes a request this process is serving; the import itself
 * is in the database. Behind a load balancer, polls need the same instance (sticky sessions); a
 * finished run is forgotten after a while.
 */
import { randomUUID } from "node:crypto";
import type { AnyDb } from "@/server/database";
import { AppError, type FieldIssue, isAppError } from "@/server/domain/errors";
import { checkImportFile, type ImportFormat, importItems, recordFailedImport } from "./import-items";

export type ImportRunPhase = "checking" | "writing" | "done" | "failed";

export type ImportRun = {
  id: string;
  projectId: number;
  fileName: string;
  format: ImportFormat;
  phase: ImportRunPhase;
  bytesRead: number;
  totalBytes: number;
  /** Lines parsed so far by the checking pass. */
  lines: number;
  /** Items found valid by the checking pass (what the writing phase inserts). */
  itemsChecked: number;
  result: { items: number; responses: number; judgments: number; errors: FieldIssue[]; errorCount: number } | null;
  /** Set when the run failed for a reason other than bad lines. */
  error: string | null;
};

/** How long a finished run can still be polled. */
const KEEP_FINISHED_MS = 10 * 60 * 1000;
const runs = new Map<string, { run: ImportRun; finishedAt: number | null }>();

function forgetOldRuns(now: number) {
  for (const [id, r] of runs) if (r.finishedAt !== null && now - r.finishedAt > KEEP_FINISHED_MS) runs.delete(id);
}

export type StartImportParams = {
  projectId: number;
  file: string;
  fileName: string;
  totalBytes: number;
  format: ImportFormat;
  actorId?: number;
  /** Called once the run no longer needs the file (e.g. to delete the spooled upload). */
  cleanup?: () => void;
};

/** Starts checking and importing in the background; returns the run to poll with getImportRun. */
export function startImportRun(db: AnyDb, params: StartImportParams): ImportRun {
  forgetOldRuns(Date.now());
  const run: ImportRun = {
    id: randomUUID(),
    projectId: params.projectId,
    fileName: params.fileName,
    format: params.format,
    phase: "checking",
    bytesRead: 0,
    totalBytes: params.totalBytes,
    lines: 0,
    itemsChecked: 0,
    result: null,
    error: null,
  };
  const entry = { run, finishedAt: null as number | null };
  runs.set(run.id, entry);
  void executeRun(db, run, params).finally(() => {
    entry.finishedAt = Date.now();
    params.cleanup?.();
  });
  return { ...run };
}

async function executeRun(db: AnyDb, run: ImportRun, params: StartImportParams): Promise<void> {
  try {
    const checked = await checkImportFile(db, {
      projectId: params.projectId,
      file: params.file,
      format: params.format,
      onProgress: (p) => {
        run.bytesRead = p.bytesRead;
        run.lines = p.lines;
      },
    });
    run.itemsChecked = checked.items;
    if (checked.errorCount > 0) {
      await recordFailedImport(db, {
        projectId: params.projectId,
        actorId: params.actorId,
        format: params.format,
        file: params.fileName,
        result: checked,
      });
      run.result = { items: 0, responses: 0, judgments: 0, errors: checked.errors, errorCount: checked.errorCount };
      run.phase = "done";
      return;
    }
    run.phase = "writing";
    // One event-loop turn so a waiting poll can see the writing phase before the transaction blocks.
    await new Promise((resolve) => setImmediate(resolve));
    const r = await importItems(db, { projectId: params.projectId, file: params.file, format: params.format, actorId: params.actorId });
    if (r.errorCount > 0) {
      await recordFailedImport(db, {
        projectId: params.projectId,
        actorId: params.actorId,
        format: params.format,
        file: params.fileName,
        result: r,
      });
    }
    run.result = { items: r.items, responses: r.responses, judgments: r.judgments, errors: r.errors, errorCount: r.errorCount };
    run.phase = "done";
  } catch (e) {
    run.phase = "failed";
    run.error = isAppError(e) ? e.message : "the import failed on the server";
    if (!isAppError(e)) console.error("[import]", e);
  }
}

/** A run's progress; only for the project it belongs to. */
export function getImportRun(projectId: number, importId: string): ImportRun {
  const entry = runs.get(importId);
  if (!entry || entry.run.projectId !== projectId)
    throw new AppError("NOT_FOUND", `import ${importId} is not running here (finished runs are kept for 10 minutes)`);
  return { ...entry.run };
}
