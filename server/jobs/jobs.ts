/**
 * Training jobs in the database: create (writes the training data and its snapshot), list, read,
 * cancel, and recovery of jobs a dead process left "running". The runner (runner.ts) executes them.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, asc, desc, eq, gt } from "drizzle-orm";
import { z } from "zod";
import { jobEvents, jobJudgments, jobs, models, snapshotJudgments, snapshots } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import { zId } from "@/server/domain/schemas";
import { validateBaseSpec } from "@/server/domain/training/bases";
import { writeTrainingFile, zTrainingSource } from "@/server/domain/training/training-data";

export const zTrainParams = z.object({
  projectId: zId,
  /** "tiny", a model folder under ARBITER_MODELS_DIR or the HF cache, or a Hub id (validateBaseSpec). */
  base: z.string().trim().min(1).max(1000).default("tiny"),
  /** "random" initialises the base's architecture with random weights (benchmarks); never implicit. */
  init: z.enum(["pretrained", "random"]).default("pretrained"),
  epochs: z.number().int().min(1).max(100).default(1),
  loss: z.enum(["bt", "bt-ties"]).default("bt"),
  lr: z.number().positive().nullable().default(null),
  evalFraction: z.number().min(0).max(0.5).default(0.1),
  seed: z.number().int().default(0),
  /** Checkpoint cadence: a restart resumes from the newest checkpoint, so this bounds lost work. */
  checkpointEverySteps: z.number().int().min(0).default(500),
  checkpointEverySeconds: z.number().min(0).default(60),
  /** Which judgments: a project's current ones under export policies, or an export snapshot's. */
  data: zTrainingSource.prefault({ source: "filters" }),
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
  const base = validateBaseSpec(params.base);
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
    let data: ReturnType<typeof writeTrainingFile>;
    try {
      // The split is decided here, whole items at a time, and recorded below (job_judgments).
      data = writeTrainingFile(db, project.id, trainFile, params.data, { evalFraction: params.evalFraction, seed: params.seed });
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    if (data.rows === 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      const where = params.data.source === "snapshot" ? `snapshot ${params.data.snapshotId}` : `project ${project.id}`;
      throw new AppError("BAD_INPUT", `${where} has no judgments to train on under these policies`, [
        { field: params.data.source === "snapshot" ? "data.snapshotId" : "projectId", message: "no usable judgments" },
      ]);
    }
    const { judgmentIds, split, ...summary } = data;
    const dataRecord = {
      ...summary,
      judgments: judgmentIds.length,
      split: split && {
        eval_fraction: split.evalFraction,
        seed: split.seed,
        train_items: split.trainItems,
        eval_items: split.evalItems,
        train_judgments: split.trainJudgmentIds.length,
        eval_judgments: split.evalJudgmentIds.length,
      },
    };
    const snapshot = db
      .insert(snapshots)
      .values({
        projectId: project.id,
        format: "trainer-jsonl",
        filter: { source: data.source, snapshot_id: data.snapshotId, loss: params.loss },
        policies: data.policies,
        rowCount: data.rows,
        sha256: data.sha256,
        createdBy: opts.actorId ?? null,
      })
      .returning({ id: snapshots.id })
      .get();
    for (let i = 0; i < judgmentIds.length; i += 500) {
      db.insert(snapshotJudgments)
        .values(judgmentIds.slice(i, i + 500).map((judgmentId) => ({ snapshotId: snapshot.id, judgmentId })))
        .run();
    }
    for (const [name, ids] of [
      ["train", split?.trainJudgmentIds ?? []],
      ["eval", split?.evalJudgmentIds ?? []],
    ] as const) {
      for (let i = 0; i < ids.length; i += 500) {
        db.insert(jobJudgments)
          .values(ids.slice(i, i + 500).map((judgmentId) => ({ jobId: job.id, judgmentId, split: name })))
          .run();
      }
    }
    const config = {
      train_file: trainFile,
      output_dir: path.join(dir, "model"),
      base: base.base,
      init: params.init,
      epochs: params.epochs,
      loss: params.loss,
      lr: params.lr,
      eval_fraction: params.evalFraction,
      seed: params.seed,
      margin_from_strength: data.policies.margin,
      checkpoint_every_steps: params.checkpointEverySteps,
      checkpoint_every_seconds: params.checkpointEverySeconds,
      meta: { job_id: job.id, project_id: project.id, data: { ...dataRecord, training_snapshot_id: snapshot.id } },
    };
    recordAuditEvent(db, {
      actorId: opts.actorId ?? null,
      action: "job.create",
      projectId: project.id,
      detail: {
        job: job.id,
        base: base.base,
        init: params.init,
        epochs: params.epochs,
        loss: params.loss,
        rows: data.rows,
        data: params.data,
      },
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
export function listJobs(db: Db, limit = 50, kind?: (typeof jobs.$inferSelect)["kind"]) {
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
    .where(kind ? eq(jobs.kind, kind) : undefined)
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

/**
 * Signals a trainer and everything it started: the runner spawns it as a process-group leader, so
 * under torchrun the launcher and every rank get the signal (a SIGKILLed launcher alone would leave
 * ranks waiting on each other in a collective).
 */
export function signalTrainer(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    process.kill(pid, signal); // not a group leader (started by something else)
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
    if (job.pid && isAlive(job.pid)) signalTrainer(job.pid, "SIGTERM");
    else if (!runnerAlive(job)) finishJob(db, id, "cancelled", "the process running this job was gone");
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

/** This boot of the machine (Linux); a pid recorded in another boot names some other process now. */
export function bootId(): string | null {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}

/** Is the job's runner (a server or a CLI `train --wait`) still alive? */
export function runnerAlive(job: Pick<Job, "progress">): boolean {
  const boot = job.progress?.runner_boot;
  if (typeof boot === "string" && boot !== bootId()) return false;
  return isAlive(runnerPid(job));
}

/** A live process that is our trainer (not an unrelated process that reused the pid). */
function isTrainer(pid: number | null): boolean {
  if (!pid || !isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("arbiter_trainer");
  } catch {
    return !fs.existsSync("/proc"); // no procfs (macOS): trust the pid
  }
}

/**
 * The newest checkpoint the trainer left for this job. The folder is read, not only the path the
 * runner recorded: a trainer killed together with its runner may have saved one more checkpoint
 * than the runner saw. Checkpoints are written to a temp file and renamed, so any file is whole.
 */
export function latestCheckpoint(job: Pick<Job, "config" | "checkpoint">): { path: string; step: number } | null {
  const out = (job.config as { output_dir?: unknown }).output_dir;
  if (typeof out === "string") {
    const root = path.join(out, "checkpoints");
    const steps = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^step-\d+$/.test(d)) : [];
    for (const dir of steps.sort().reverse()) {
      const file = path.join(root, dir, "checkpoint.pt");
      if (fs.existsSync(file)) return { path: file, step: Number(dir.slice(5)) };
    }
  }
  if (job.checkpoint && fs.existsSync(job.checkpoint)) {
    const m = /step-(\d+)/.exec(job.checkpoint);
    return { path: job.checkpoint, step: m ? Number(m[1]) : 0 };
  }
  return null;
}

/** A job interrupted this many times in a row by dying runners is failed instead of resumed again. */
export const MAX_AUTO_RESUMES = 3;

/** Puts a job back in the queue to continue from `checkpoint` (the trainer's `resume_from`). */
function requeueFromCheckpoint(db: Db, job: Job, checkpoint: { path: string; step: number }, why: string, autoResumes: number) {
  transaction(db, () => {
    db.update(jobs)
      .set({
        state: "queued",
        pid: null,
        error: null,
        finishedAt: null,
        checkpoint: checkpoint.path,
        config: { ...job.config, resume_from: checkpoint.path },
        progress: { resumed_from: checkpoint.path, resumed_at_step: checkpoint.step, auto_resumes: autoResumes },
        log: `${job.log}[arbiter] ${why}: resuming from step ${checkpoint.step} (${checkpoint.path})\n`,
      })
      .where(eq(jobs.id, job.id))
      .run();
    db.insert(jobEvents)
      .values({
        jobId: job.id,
        type: "resume",
        payload: { type: "resume", step: checkpoint.step, checkpoint: checkpoint.path, reason: why },
      })
      .run();
  });
}

/**
 * Jobs left "running" by a process that is gone (a server or CLI that crashed or was killed) are
 * queued again to resume from their newest checkpoint, or marked failed when they have none (or
 * were interrupted MAX_AUTO_RESUMES times): never a ghost "running". An orphaned trainer still
 * alive is killed first; its stdout reader is gone, so it could report nothing, and its
 * checkpoints are atomic, so SIGKILL loses only the steps since the last one.
 */
export function recoverJobs(db: Db): { resumed: number[]; failed: number[] } {
  const stale = db
    .select()
    .from(jobs)
    .where(eq(jobs.state, "running"))
    .all()
    .filter((j) => !runnerAlive(j));
  const result = { resumed: [] as number[], failed: [] as number[] };
  for (const job of stale) {
    if (job.kind === "generate") {
      // Sampling jobs keep their progress per prompt (generation_prompts): the next run samples what is pending.
      db.update(jobs).set({ state: "queued", pid: null }).where(eq(jobs.id, job.id)).run();
      result.resumed.push(job.id);
      continue;
    }
    if (job.pid && isTrainer(job.pid)) signalTrainer(job.pid, "SIGKILL");
    const checkpoint = latestCheckpoint(job);
    // Counted "in a row": a run that saved a newer checkpoint than it resumed from made progress.
    const from = job.progress?.resumed_at_step;
    const stuck = typeof from === "number" && (checkpoint?.step ?? 0) <= from;
    const autoResumes = stuck && typeof job.progress?.auto_resumes === "number" ? job.progress.auto_resumes : 0;
    if (checkpoint && autoResumes < MAX_AUTO_RESUMES) {
      requeueFromCheckpoint(db, job, checkpoint, "the process running this job stopped", autoResumes + 1);
      result.resumed.push(job.id);
    } else {
      const why = checkpoint
        ? `interrupted ${autoResumes + 1} times in a row; resume it by hand from ${checkpoint.path} if the cause is fixed`
        : "interrupted: the process running this job stopped before the trainer saved a checkpoint; start it again";
      finishJob(db, job.id, "failed", why);
      result.failed.push(job.id);
    }
  }
  return result;
}

/** Resumes a failed or cancelled job from its newest checkpoint: it is queued again with `resume_from`. */
export function resumeJob(db: Db, id: number, actorId?: number): Job {
  const job = getJob(db, id);
  if (job.state !== "failed" && job.state !== "cancelled")
    throw new AppError("CONFLICT", `job ${id} is ${job.state}; only a failed or cancelled job can be resumed`);
  const checkpoint = latestCheckpoint(job);
  if (!checkpoint) throw new AppError("CONFLICT", `job ${id} has no checkpoint to resume from; start a new job instead`);
  requeueFromCheckpoint(db, job, checkpoint, `resumed by ${actorId ? `user ${actorId}` : "the CLI"}`, 0);
  recordAuditEvent(db, {
    actorId: actorId ?? null,
    action: "job.resume",
    projectId: job.projectId,
    detail: { job: id, checkpoint: checkpoint.path },
  });
  return getJob(db, id);
}

export function getModelForJob(db: Db, jobId: number) {
  return db.select().from(models).where(eq(models.jobId, jobId)).get() ?? null;
}
