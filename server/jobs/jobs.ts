/**
 * Training jobs in the database: create (writes the training data and its snapshot), list, read,
 * cancel, and recovery of jobs a dead process left "running". The runner (runner.ts) executes them.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, asc, desc, eq, gt } from "drizzle-orm";
import { z } from "zod";
import { jobEvents, jobs, models, snapshotJudgments, snapshots } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import { zId } from "@/server/domain/schemas";
import { writeTrainingFile } from "@/server/domain/training/training-data";

export const zTrainParams = z.object({
  projectId: zId,
  base: z.string().trim().min(1).default("tiny"),
  epochs: z.number().int().min(1).max(100).default(1),
  loss: z.enum(["bt", "bt-ties"]).default("bt"),
  lr: z.number().positive().nullable().default(null),
  evalFraction: z.number().min(0).max(0.5).default(0.1),
  seed: z.number().int().default(0),
});
export type TrainParams = z.input<typeof zTrainParams>;

export type Job = typeof jobs.$inferSelect;

/** Where job folders live: ARBITER_JOBS_DIR, else `jobs/` beside the database file. */
export function jobsRoot(db: Db): string {
  if (process.env.ARBITER_JOBS_DIR) return path.resolve(process.env.ARBITER_JOBS_DIR);
  const file = db.$client.name;
  if (!file || file === ":memory:") return path.join(os.tmpdir(), "arbiter-jobs");
  return path.join(path.dirname(path.resolve(file)), "jobs");
}

/**
 * Queues a training job. The training file is written now and recorded as a snapshot (with the
 * judgment ids it used), so the model's lineage is fixed when the job is created.
 */
export function createTrainJob(db: Db, input: TrainParams, opts: { actorId?: number; root?: string } = {}): Job {
  const params = zTrainParams.parse(input);
  const project = getProject(db, params.projectId);
  const root = opts.root ?? jobsRoot(db);
  return transaction(db, () => {
    const job = db
      .insert(jobs)
      .values({ projectId: project.id, kind: "train", config: {}, createdBy: opts.actorId ?? null })
      .returning()
      .get();
    const dir = path.join(root, `job-${job.id}`);
    fs.mkdirSync(dir, { recursive: true });
    const trainFile = path.join(dir, "train.jsonl");
    const data = writeTrainingFile(db, project.id, trainFile);
    if (data.rows === 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new AppError(
        "BAD_INPUT",
        `project ${project.id} has no judgments to train on (both-bad and excluded annotators do not count)`,
        [{ field: "projectId", message: "no usable judgments" }],
      );
    }
    const snapshot = db
      .insert(snapshots)
      .values({
        projectId: project.id,
        format: "trainer-jsonl",
        policies: { both_bad: "drop", ties: params.loss === "bt" ? "skipped by the bt loss" : "keep", excluded_annotators: "drop" },
        rowCount: data.rows,
        sha256: data.sha256,
        createdBy: opts.actorId ?? null,
      })
      .returning({ id: snapshots.id })
      .get();
    for (let i = 0; i < data.judgmentIds.length; i += 500) {
      db.insert(snapshotJudgments)
        .values(data.judgmentIds.slice(i, i + 500).map((judgmentId) => ({ snapshotId: snapshot.id, judgmentId })))
        .run();
    }
    const config = {
      train_file: trainFile,
      output_dir: path.join(dir, "model"),
      base: params.base,
      epochs: params.epochs,
      loss: params.loss,
      lr: params.lr,
      eval_fraction: params.evalFraction,
      seed: params.seed,
      meta: { job_id: job.id, project_id: project.id, data: { ...data, judgmentIds: undefined } },
    };
    recordAuditEvent(db, {
      actorId: opts.actorId ?? null,
      action: "job.create",
      projectId: project.id,
      detail: { job: job.id, base: params.base, epochs: params.epochs, loss: params.loss, rows: data.rows },
    });
    return db.update(jobs).set({ config, snapshotId: snapshot.id }).where(eq(jobs.id, job.id)).returning().get();
  });
}

export function getJob(db: Db, id: number): Job {
  const job = db.select().from(jobs).where(eq(jobs.id, id)).get();
  if (!job) throw new AppError("NOT_FOUND", `no job ${id}`);
  return job;
}

/** Jobs newest first, without their logs. */
export function listJobs(db: Db, limit = 50) {
  return db
    .select({
      id: jobs.id,
      projectId: jobs.projectId,
      kind: jobs.kind,
      state: jobs.state,
      progress: jobs.progress,
      metrics: jobs.metrics,
      error: jobs.error,
      createdAt: jobs.createdAt,
      startedAt: jobs.startedAt,
      finishedAt: jobs.finishedAt,
    })
    .from(jobs)
    .orderBy(desc(jobs.id))
    .limit(limit)
    .all();
}

/** A job's protocol events after `afterId` (the page polls with the last id it has). */
export function listJobEvents(db: Db, jobId: number, afterId = 0) {
  return db
    .select({ id: jobEvents.id, type: jobEvents.type, payload: jobEvents.payload })
    .from(jobEvents)
    .where(and(eq(jobEvents.jobId, jobId), gt(jobEvents.id, afterId)))
    .orderBy(asc(jobEvents.id))
    .all();
}

export function listModels(db: Db) {
  return db.select().from(models).orderBy(desc(models.id)).all();
}

export function getModel(db: Db, id: number) {
  const model = db.select().from(models).where(eq(models.id, id)).get();
  if (!model) throw new AppError("NOT_FOUND", `no model ${id}`);
  return model;
}

export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function finishJob(db: Db, id: number, state: "succeeded" | "failed" | "cancelled", error: string | null = null) {
  db.update(jobs)
    .set({ state, error, pid: null, finishedAt: Math.floor(Date.now() / 1000) })
    .where(eq(jobs.id, id))
    .run();
}

/**
 * Cancels a job: a queued one at once; a running one by SIGTERM to its trainer, which saves a
 * checkpoint and reports `cancelled` (the runner then records the state).
 */
export function cancelJob(db: Db, id: number, actorId?: number): Job {
  const job = getJob(db, id);
  if (job.state === "queued") {
    finishJob(db, id, "cancelled");
  } else if (job.state === "running") {
    if (job.pid && isAlive(job.pid)) process.kill(job.pid, "SIGTERM");
    else if (!isAlive(runnerPid(job))) finishJob(db, id, "failed", "the process running this job is gone");
    else
      db.update(jobs)
        .set({ progress: { ...(job.progress ?? {}), cancel_requested: true } })
        .where(eq(jobs.id, id))
        .run();
  } else {
    throw new AppError("CONFLICT", `job ${id} is already ${job.state}`);
  }
  recordAuditEvent(db, { actorId: actorId ?? null, action: "job.cancel", projectId: job.projectId, detail: { job: id } });
  return getJob(db, id);
}

export function runnerPid(job: Pick<Job, "progress">): number | null {
  const pid = job.progress?.runner_pid;
  return typeof pid === "number" ? pid : null;
}

/**
 * Jobs left "running" by a process that is gone (a server or CLI that crashed or was killed) are
 * marked failed, and an orphaned trainer still alive is stopped: never a ghost "running".
 */
export function recoverJobs(db: Db): number[] {
  const stale = db
    .select()
    .from(jobs)
    .where(eq(jobs.state, "running"))
    .all()
    .filter((j) => !isAlive(runnerPid(j)));
  for (const job of stale) {
    if (job.pid && isAlive(job.pid)) process.kill(job.pid, "SIGTERM");
    const where = job.checkpoint ? ` (last checkpoint ${job.checkpoint})` : "";
    finishJob(db, job.id, "failed", `interrupted: the process running this job stopped${where}`);
  }
  return stale.map((j) => j.id);
}

export function getModelForJob(db: Db, jobId: number) {
  return db.select().from(models).where(eq(models.jobId, jobId)).get() ?? null;
}
