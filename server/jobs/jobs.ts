/**
 * Training jobs in the database: create (writes the training data and its snapshot), list, read,
 * cancel, and recovery of jobs a dead process left "running". The runner (runner.ts) executes them.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, asc, desc, eq, gt, sql } from "drizzle-orm";
import { z } from "zod";
import { jobEvents, jobJudgments, jobs, models, snapshotJudgments, snapshots } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, forUpdateOnPg, isPg, type Op } from "@/server/database";
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

/**
 * Where job folders live: ARBITER_JOBS_DIR, else `jobs/` beside the database file (PostgreSQL, which has
 * no file: `data/jobs`; instances that resume each other's jobs need ARBITER_JOBS_DIR on shared storage).
 */
export function jobsRoot(db: AnyDb): string {
  if (process.env.ARBITER_JOBS_DIR) return path.resolve(process.env.ARBITER_JOBS_DIR);
  if (isPg(db)) return path.resolve("data/jobs");
  const file = db.$client.name;
  if (!file || file === ":memory:") return path.join(os.tmpdir(), "arbiter-jobs");
  return path.join(path.dirname(path.resolve(file)), "jobs");
}

/**
 * Queues a training job. The training file is written now and recorded as a snapshot (with the
 * judgment ids it used), so the model's lineage is fixed when the job is created.
 */
export const createTrainJob = domainOp(function* createTrainJob(
  c: Conn,
  input: TrainParams,
  opts: { actorId?: number; root?: string } = {},
): Op<Job> {
  const params = zTrainParams.parse(input);
  const project = yield* getProject.op(c, params.projectId);
  const base = validateBaseSpec(params.base);
  const root = opts.root ?? jobsRoot(c.q);
  // Folders this call made: a transaction PostgreSQL runs again (or one that fails) leaves none behind.
  const made: string[] = [];
  let created: Job;
  try {
    created = yield* c.transaction(function* (tx): Op<Job> {
      const job = yield* tx.first(
        tx.q
          .insert(jobs)
          .values({ projectId: project.id, kind: "train", config: {}, createdBy: opts.actorId ?? null })
          .returning(),
      );
      if (!job) throw new Error("the new job's row did not come back");
      const dir = path.join(root, `job-${job.id}`);
      made.push(dir);
      fs.mkdirSync(dir, { recursive: true });
      const trainFile = path.join(dir, "train.jsonl");
      // The split is decided here, whole items at a time, and recorded below (job_judgments).
      const data = yield* writeTrainingFile.op(tx, project.id, trainFile, params.data, {
        evalFraction: params.evalFraction,
        seed: params.seed,
      });
      if (data.rows === 0) {
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
      const snapshot = yield* tx.first(
        tx.q
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
          .returning({ id: snapshots.id }),
      );
      if (!snapshot) throw new Error("the training snapshot's row did not come back");
      for (let i = 0; i < judgmentIds.length; i += 500) {
        yield* tx.run(
          tx.q
            .insert(snapshotJudgments)
            .values(judgmentIds.slice(i, i + 500).map((judgmentId) => ({ snapshotId: snapshot.id, judgmentId }))),
        );
      }
      for (const [name, ids] of [
        ["train", split?.trainJudgmentIds ?? []],
        ["eval", split?.evalJudgmentIds ?? []],
      ] as const) {
        for (let i = 0; i < ids.length; i += 500) {
          yield* tx.run(
            tx.q.insert(jobJudgments).values(ids.slice(i, i + 500).map((judgmentId) => ({ jobId: job.id, judgmentId, split: name }))),
          );
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
      yield* recordAuditEvent.op(tx, {
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
      const updated = yield* tx.first(tx.q.update(jobs).set({ config, snapshotId: snapshot.id }).where(eq(jobs.id, job.id)).returning());
      if (!updated) throw new Error("the job's row did not come back");
      return updated;
    });
  } catch (e) {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  for (const dir of made) if (dir !== path.join(root, `job-${created.id}`)) fs.rmSync(dir, { recursive: true, force: true });
  return created;
});

export const getJob = domainOp(function* getJob(c: Conn, id: number): Op<Job> {
  const job = yield* c.first(c.q.select().from(jobs).where(eq(jobs.id, id)));
  if (!job) throw new AppError("NOT_FOUND", `no job ${id}`);
  return job;
});

/** Jobs newest first, without their logs. */
export const listJobs = domainOp(function* listJobs(c: Conn, limit?: number, kind?: Job["kind"]) {
  return yield* c.all(
    c.q
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
      .limit(limit ?? 50),
  );
});

/** A job's protocol events after `afterId` (the page polls with the last id it has). */
export const listJobEvents = domainOp(function* listJobEvents(c: Conn, jobId: number, afterId?: number) {
  return yield* c.all(
    c.q
      .select({ id: jobEvents.id, type: jobEvents.type, payload: jobEvents.payload })
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, jobId), gt(jobEvents.id, afterId ?? 0)))
      .orderBy(asc(jobEvents.id)),
  );
});

export const listModels = domainOp(function* listModels(c: Conn) {
  return yield* c.all(c.q.select().from(models).orderBy(desc(models.id)));
});

export const getModel = domainOp(function* getModel(c: Conn, id: number) {
  const model = yield* c.first(c.q.select().from(models).where(eq(models.id, id)));
  if (!model) throw new AppError("NOT_FOUND", `no model ${id}`);
  return model;
});

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

export const finishJob = domainOp(function* finishJob(
  c: Conn,
  id: number,
  state: "succeeded" | "failed" | "cancelled",
  error: string | null = null,
): Op<void> {
  yield* c.run(
    c.q
      .update(jobs)
      .set({ state, error, pid: null, finishedAt: Math.floor(Date.now() / 1000) })
      .where(eq(jobs.id, id)),
  );
});

/**
 * Cancels a job: a queued one at once; a running one by SIGTERM to its trainer, which saves a
 * checkpoint and reports `cancelled` (the runner then records the state).
 */
export const cancelJob = domainOp(function* cancelJob(c: Conn, id: number, actorId?: number): Op<Job> {
  return yield* c.transaction(function* (tx): Op<Job> {
    // Held while deciding, so the request cannot be lost under the runner's progress write.
    const job = yield* tx.first(forUpdateOnPg(tx.engine, tx.q.select().from(jobs).where(eq(jobs.id, id))));
    if (!job) throw new AppError("NOT_FOUND", `no job ${id}`);
    if (job.state === "queued") {
      yield* finishJob.op(tx, id, "cancelled");
    } else if (job.state === "running") {
      // Only a trainer of this machine is signalled (a pid from another instance's host names some other process).
      if (job.pid && onThisHost(job) && isAlive(job.pid)) signalTrainer(job.pid, "SIGTERM");
      else if (!(yield* runnerAliveOp(tx, job))) yield* finishJob.op(tx, id, "cancelled", "the process running this job was gone");
      // Its runner (another instance's, or this one's before it spawned the trainer) sees the request and stops it.
      else
        yield* tx.run(
          tx.q
            .update(jobs)
            .set({ progress: { ...(job.progress ?? {}), cancel_requested: true } })
            .where(eq(jobs.id, id)),
        );
    } else {
      throw new AppError("CONFLICT", `job ${id} is already ${job.state}`);
    }
    yield* recordAuditEvent.op(tx, { actorId: actorId ?? null, action: "job.cancel", projectId: job.projectId, detail: { job: id } });
    return yield* getJob.op(tx, id);
  });
});

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

/** Is the job's runner (a server or a CLI `train --wait`) still alive? (SQLite: its pid on this machine.) */
export function runnerAlive(job: Pick<Job, "progress">): boolean {
  const boot = job.progress?.runner_boot;
  if (typeof boot === "string" && boot !== bootId()) return false;
  return isAlive(runnerPid(job));
}

/** Was the job's runner on this machine (same boot, same host name: not another container or host)? */
export function onThisHost(job: Pick<Job, "progress">): boolean {
  const p = job.progress ?? {};
  return p.runner_boot === bootId() && (p.runner_host === undefined || p.runner_host === os.hostname());
}

/**
 * Advisory lock keys on PostgreSQL. The runner holds (JOB_LOCK, job id) on a connection of its own for
 * as long as it runs the job; when its process dies the connection closes and the lock goes with it, on
 * whichever host it ran. TRAIN_SLOT serializes claims: one training job at a time across instances.
 */
export const JOB_LOCK = 0x4a4f4253; // "JOBS"
export const TRAIN_SLOT: [number, number] = [0x41524249, 2];
/** Serializes sampling-job claims: one `generate` job at a time across instances (server/jobs/generate.ts). */
export const GENERATE_SLOT: [number, number] = [0x41524249, 3];

/**
 * Is the job's runner alive? SQLite: its pid (runnerAlive). PostgreSQL: its lock is held; trying it
 * for the length of the current statement or transaction takes nothing from a live runner.
 */
export function* runnerAliveOp(c: Conn, job: Pick<Job, "id" | "progress">): Op<boolean> {
  if (c.engine === "sqlite") return runnerAlive(job);
  const [row] = yield* c.rows<{ free: boolean }>(sql`SELECT pg_try_advisory_xact_lock(${JOB_LOCK}, ${job.id}::int) AS free`);
  return row?.free === false;
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
function* requeueFromCheckpoint(c: Conn, job: Job, checkpoint: { path: string; step: number }, why: string, autoResumes: number): Op<void> {
  yield* c.transaction(function* (tx) {
    yield* tx.run(
      tx.q
        .update(jobs)
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
        .where(eq(jobs.id, job.id)),
    );
    yield* tx.run(
      tx.q.insert(jobEvents).values({
        jobId: job.id,
        type: "resume",
        payload: { type: "resume", step: checkpoint.step, checkpoint: checkpoint.path, reason: why },
      }),
    );
  });
}

/**
 * Jobs left "running" by a process that is gone (a server or CLI that crashed or was killed) are
 * queued again to resume from their newest checkpoint, or marked failed when they have none (or
 * were interrupted MAX_AUTO_RESUMES times): never a ghost "running". An orphaned trainer still
 * alive is killed first; its stdout reader is gone, so it could report nothing, and its
 * checkpoints are atomic, so SIGKILL loses only the steps since the last one.
 */
export const recoverJobs = domainOp(function* recoverJobs(c: Conn): Op<{ resumed: number[]; failed: number[] }> {
  const result = { resumed: [] as number[], failed: [] as number[] };
  const running = yield* c.all(c.q.select({ id: jobs.id, progress: jobs.progress }).from(jobs).where(eq(jobs.state, "running")));
  for (const candidate of running) {
    if (yield* runnerAliveOp(c, candidate)) continue;
    // Decided under the job's row lock, on a fresh read: between the first look and now another
    // instance may have recovered the job and claimed it again (it is then running, and alive).
    // The outcome is returned, not pushed in the body: a PostgreSQL transaction may run again.
    const outcome = yield* c.transaction(function* (tx): Op<"resumed" | "failed" | null> {
      const job = yield* tx.first(forUpdateOnPg(tx.engine, tx.q.select().from(jobs).where(eq(jobs.id, candidate.id))));
      if (!job || job.state !== "running" || (yield* runnerAliveOp(tx, job))) return null;
      if (job.kind === "generate") {
        // Sampling jobs keep their progress per prompt (generation_prompts): the next run samples what is pending.
        yield* tx.run(tx.q.update(jobs).set({ state: "queued", pid: null }).where(eq(jobs.id, job.id)));
        return "resumed";
      }
      if (job.pid && onThisHost(job) && isTrainer(job.pid)) signalTrainer(job.pid, "SIGKILL");
      const checkpoint = latestCheckpoint(job);
      // Counted "in a row": a run that saved a newer checkpoint than it resumed from made progress.
      const from = job.progress?.resumed_at_step;
      const stuck = typeof from === "number" && (checkpoint?.step ?? 0) <= from;
      const autoResumes = stuck && typeof job.progress?.auto_resumes === "number" ? job.progress.auto_resumes : 0;
      if (checkpoint && autoResumes < MAX_AUTO_RESUMES) {
        yield* requeueFromCheckpoint(tx, job, checkpoint, "the process running this job stopped", autoResumes + 1);
        return "resumed";
      }
      const why = checkpoint
        ? `interrupted ${autoResumes + 1} times in a row; resume it by hand from ${checkpoint.path} if the cause is fixed`
        : "interrupted: the process running this job stopped before the trainer saved a checkpoint; start it again";
      yield* finishJob.op(tx, job.id, "failed", why);
      return "failed";
    });
    if (outcome) result[outcome].push(candidate.id);
  }
  return result;
});

/** Resumes a failed or cancelled job from its newest checkpoint: it is queued again with `resume_from`. */
export const resumeJob = domainOp(function* resumeJob(c: Conn, id: number, actorId?: number): Op<Job> {
  const job = yield* getJob.op(c, id);
  if (job.state !== "failed" && job.state !== "cancelled")
    throw new AppError("CONFLICT", `job ${id} is ${job.state}; only a failed or cancelled job can be resumed`);
  const checkpoint = latestCheckpoint(job);
  if (!checkpoint) throw new AppError("CONFLICT", `job ${id} has no checkpoint to resume from; start a new job instead`);
  yield* requeueFromCheckpoint(c, job, checkpoint, `resumed by ${actorId ? `user ${actorId}` : "the CLI"}`, 0);
  yield* recordAuditEvent.op(c, {
    actorId: actorId ?? null,
    action: "job.resume",
    projectId: job.projectId,
    detail: { job: id, checkpoint: checkpoint.path },
  });
  return yield* getJob.op(c, id);
});

export const getModelForJob = domainOp(function* getModelForJob(c: Conn, jobId: number) {
  return (yield* c.first(c.q.select().from(models).where(eq(models.jobId, jobId)))) ?? null;
});
