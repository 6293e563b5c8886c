/**
 * Progress of exports the admin page started: the page names its run with a random id, the export
 * reports items done after each page, and the page polls while its `exports.create` call is pending
 * (the export awaits the disk between pages, so polls are answered meanwhile). Kept in this process's
 * memory for a minute after the export ends; it describes a request this process is serving.
 */
import { AppError } from "@/server/domain/errors";

export type ExportProgress = { phase: "waiting" | "running" | "done"; itemsDone: number; itemsTotal: number };

const KEEP_FINISHED_MS = 60_000;
const runs = new Map<string, { projectId: number; progress: ExportProgress; finishedAt: number | null }>();

/** Registers a run; the returned callbacks feed exportSnapshot's onProgress and mark the end. */
export function trackExportProgress(projectId: number, runId: string) {
  const now = Date.now();
  for (const [id, r] of runs) if (r.finishedAt !== null && now - r.finishedAt > KEEP_FINISHED_MS) runs.delete(id);
  if (runs.has(runId)) throw new AppError("CONFLICT", `export run ${runId} already exists`);
  const entry = {
    projectId,
    progress: { phase: "running", itemsDone: 0, itemsTotal: 0 } as ExportProgress,
    finishedAt: null as number | null,
  };
  runs.set(runId, entry);
  return {
    onProgress: (itemsDone: number, itemsTotal: number) => {
      entry.progress = { phase: "running", itemsDone, itemsTotal };
    },
    finish: () => {
      entry.progress = { ...entry.progress, phase: "done" };
      entry.finishedAt = Date.now();
    },
  };
}

/** A run's progress; a run not registered yet (the poll overtook the call) is "waiting". */
export function getExportProgress(projectId: number, runId: string): ExportProgress {
  const entry = runs.get(runId);
  if (!entry) return { phase: "waiting", itemsDone: 0, itemsTotal: 0 };
  if (entry.projectId !== projectId) throw new AppError("NOT_FOUND", `export run ${runId} is not in project ${projectId}`);
  return { ...entry.progress };
}
