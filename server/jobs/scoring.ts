/**
 * The scoring worker pool: one long-lived `ARBITER_PYTHON -m arbiter_trainer serve --model DIR` per
 * loaded model, started on the first request for it, ended after `idleMs` without requests, and
 * started afresh on the next request after it died (killed, crashed, OOM). Requests are multiplexed
 * over the worker's stdin by id; the worker batches whatever lines are waiting (length-sorted, token
 * budget), so many small concurrent requests cost few forward passes. A missing or corrupt model
 * directory is the worker's one `{"type":"error"}` line, surfaced as a BAD_INPUT naming the model.
 *
 * The pool is a cache of processes, not state: two server instances each keep their own.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import readline from "node:readline";
import { eq } from "drizzle-orm";
import { type Content, jobs } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, type Op } from "@/server/database";
import { AppError, isAppError } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import {
  getScoringModel,
  type ScoreFn,
  type ScoreScope,
  type ScoringModel,
  scoreProjectResponses,
} from "@/server/domain/scoring/project-scores";
import { childProcessEnv } from "@/server/env";
import { finishJob, getJob, type Job } from "@/server/jobs/jobs";
import { parseServeLine, type Score, type ServeReady } from "@/server/jobs/protocol";
import { trainerDir, trainerPython } from "@/server/jobs/runner";

/** `prompt` as stored (text or chat messages): the worker renders it exactly as training did. */
export type ScoreInput = { prompt: Content; response: string };
export type ScoredItem = { reward: number; reward_raw: number };
export type ModelRef = { id: number; dir: string };

export type ScoringPoolOptions = {
  /** Unload a worker after this long without requests (default 10 minutes). */
  idleMs?: number;
  /** The worker's token budget per forward pass (serve's --batch-tokens). */
  batchTokens?: number;
  device?: "auto" | "cpu" | "cuda";
  /** Items per request line: big files are split so progress moves and lines stay small. */
  chunkItems?: number;
};

/** The worker went away while requests were in flight: the pool retries those once on a fresh worker. */
class WorkerGoneError extends Error {}

const STDERR_TAIL = 4000;

class Worker {
  readonly ready: Promise<ServeReady>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (s: Score[]) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = "";
  private startError: string | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  exited = false;
  /** Resolves when the process has exited, whatever the reason. */
  readonly closed: Promise<void>;
  private markClosed: () => void = () => {};

  constructor(
    readonly model: ModelRef,
    private readonly opts: Required<Pick<ScoringPoolOptions, "idleMs">> & ScoringPoolOptions,
    private readonly onExit: (w: Worker) => void,
  ) {
    const args = ["-m", "arbiter_trainer", "serve", "--model", model.dir];
    if (opts.batchTokens) args.push("--batch-tokens", String(opts.batchTokens));
    if (opts.device) args.push("--device", opts.device);
    this.child = spawn(trainerPython(), args, {
      cwd: trainerDir(),
      env: childProcessEnv({ PYTHONPATH: trainerDir(), PYTHONUNBUFFERED: "1" }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let markReady: (r: ServeReady) => void = () => {};
    let failReady: (e: Error) => void = () => {};
    this.ready = new Promise<ServeReady>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // A start failure is reported to whoever awaits `ready`; keep Node from calling it unhandled meanwhile.
    this.ready.catch(() => {});
    this.closed = new Promise<void>((resolve) => {
      this.markClosed = resolve;
    });
    let isReady = false;

    this.child.stderr.on("data", (b: Buffer) => {
      this.stderr = (this.stderr + b.toString("utf8")).slice(-STDERR_TAIL);
    });
    // EPIPE when the worker died between our check and the write: the exit handler reports it.
    this.child.stdin.on("error", () => {});
    readline.createInterface({ input: this.child.stdout }).on("line", (text) => {
      const line = parseServeLine(text);
      if (!line) {
        this.stderr = `${this.stderr}\n${text}`.slice(-STDERR_TAIL);
        return;
      }
      if (line.kind === "ready") {
        isReady = true;
        markReady(line.line);
        this.armIdle();
      } else if (line.kind === "error") {
        const id = typeof line.line.id === "number" ? line.line.id : null;
        const waiter = id === null ? undefined : this.pending.get(id);
        if (waiter && id !== null) {
          this.pending.delete(id);
          waiter.reject(new AppError("BAD_INPUT", `model ${model.id}: ${line.line.message}`));
          this.armIdle();
        } else if (!isReady) {
          this.startError = line.line.message;
        }
      } else {
        const waiter = this.pending.get(line.id);
        if (!waiter) return;
        this.pending.delete(line.id);
        waiter.resolve(line.items);
        this.armIdle();
      }
    });
    // A spawn failure (no such interpreter) may come without a "close": both end the worker, once.
    const finish = (how: string) => {
      if (this.exited) return;
      this.exited = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      if (!isReady) {
        const why = this.startError ?? (this.stderr.trim().split("\n").slice(-3).join(" | ") || how);
        failReady(new AppError("BAD_INPUT", `model ${model.id} cannot be loaded: ${why}`));
      }
      for (const [, waiter] of this.pending) waiter.reject(new WorkerGoneError(`the scoring worker for model ${model.id} ${how}`));
      this.pending.clear();
      this.onExit(this);
      this.markClosed();
    };
    this.child.on("error", (e) => {
      this.startError = `cannot start ${trainerPython()}: ${e.message} (set ARBITER_PYTHON to a Python with torch)`;
      if (this.child.pid === undefined) finish("could not start");
    });
    this.child.on("close", (code, signal) => finish(signal ? `was killed (${signal})` : `exited with status ${code}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Scores one request line's items (the worker batches them with every other waiting line). */
  request(items: ScoreInput[]): Promise<Score[]> {
    if (this.exited) return Promise.reject(new WorkerGoneError(`the scoring worker for model ${this.model.id} is gone`));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const id = this.nextId++;
    return new Promise<Score[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, items })}\n`);
    });
  }

  private armIdle() {
    if (this.pending.size > 0 || this.exited) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.opts.idleMs);
    this.idleTimer.unref();
  }

  /** EOF on stdin: the worker finishes what it has and exits. */
  stop() {
    if (!this.exited) this.child.stdin.end();
  }

  kill(signal: NodeJS.Signals = "SIGKILL") {
    this.child.kill(signal);
  }

  /** Keeps a CLI process from waiting on an idle worker (it still ends when stdin closes). */
  unref() {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
  }
}

export class ScoringPool {
  private readonly workers = new Map<number, Worker>();
  private readonly opts: Required<Pick<ScoringPoolOptions, "idleMs" | "chunkItems">> & ScoringPoolOptions;

  constructor(opts: ScoringPoolOptions = {}) {
    this.opts = { idleMs: 10 * 60_000, chunkItems: 256, ...opts };
  }

  private worker(model: ModelRef): Worker {
    const existing = this.workers.get(model.id);
    if (existing && !existing.exited && existing.model.dir === model.dir) return existing;
    existing?.stop();
    const w = new Worker(model, this.opts, (gone) => {
      if (this.workers.get(model.id) === gone) this.workers.delete(model.id);
    });
    this.workers.set(model.id, w);
    return w;
  }

  /** Loads the model's worker if it is not running; resolves with its ready line. */
  async load(model: ModelRef): Promise<ServeReady> {
    return this.worker(model).ready;
  }

  /**
   * Rewards for `inputs`, in order. Inputs go out in chunks that are all in flight at once, so the
   * worker sorts and batches across them; `onProgress(done, total)` follows the chunks coming back.
   * Chunks lost to a dying worker are retried once on a fresh one.
   */
  async score(model: ModelRef, inputs: ScoreInput[], onProgress?: (done: number, total: number) => void): Promise<ScoredItem[]> {
    const out: ScoredItem[] = new Array(inputs.length);
    let done = 0;
    const chunks: number[] = [];
    for (let start = 0; start < inputs.length; start += this.opts.chunkItems) chunks.push(start);
    const run = async (start: number, attempt: number): Promise<void> => {
      const slice = inputs.slice(start, start + this.opts.chunkItems);
      const w = this.worker(model);
      try {
        await w.ready;
        const scores = await w.request(slice);
        if (scores.length !== slice.length)
          throw new AppError("BAD_INPUT", `model ${model.id}: the worker answered ${scores.length} of ${slice.length} items`);
        scores.forEach((s, i) => {
          if (s.reward === null || s.reward_raw === null) {
            throw new AppError("BAD_INPUT", `model ${model.id}: item ${start + i} scored a non-finite reward (is the model diverged?)`);
          }
          out[start + i] = { reward: s.reward, reward_raw: s.reward_raw };
        });
      } catch (e) {
        if (e instanceof WorkerGoneError && attempt === 0) return run(start, 1);
        if (e instanceof WorkerGoneError) throw new AppError("BAD_INPUT", `${e.message} twice; see the server log`);
        throw e;
      }
      done += slice.length;
      onProgress?.(done, inputs.length);
    };
    await Promise.all(chunks.map((start) => run(start, 0)));
    return out;
  }

  /** The worker process id for a model, when one is running (tests and the bench kill or watch it). */
  pid(modelId: number): number | undefined {
    const w = this.workers.get(modelId);
    return w && !w.exited ? w.pid : undefined;
  }

  loaded(): number[] {
    return [...this.workers.values()].filter((w) => !w.exited).map((w) => w.model.id);
  }

  /** Stops every worker: EOF first; SIGKILL for one that has not exited after `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        const timer = setTimeout(() => w.kill(), graceMs);
        w.stop();
        await w.closed;
        clearTimeout(timer);
      }),
    );
  }

  /** For a CLI: idle workers do not keep the process alive. */
  unrefAll() {
    for (const w of this.workers.values()) w.unref();
  }
}

const globalPool = globalThis as unknown as { arbiterScoringPool?: ScoringPool };

/** The server's pool (one per process; cached on globalThis so dev reloads do not leak workers). */
export function getScoringPool(): ScoringPool {
  if (!globalPool.arbiterScoringPool) {
    const idle = Number(process.env.ARBITER_SCORING_IDLE_SECONDS ?? 600);
    globalPool.arbiterScoringPool = new ScoringPool({ idleMs: Number.isFinite(idle) && idle > 0 ? idle * 1000 : 600_000 });
  }
  return globalPool.arbiterScoringPool;
}

/** The domain's ScoreFn for one model, on the server's pool. */
export function scorerFor(model: ModelRef, pool: ScoringPool = getScoringPool()): ScoreFn {
  return (inputs, onProgress) => pool.score(model, inputs, onProgress);
}

/** The `score` job's row, running from the start: its runner is this process. */
const createScoreJob = domainOp(function* createScoreJob(
  c: Conn,
  params: { projectId: number; modelId: number; scope: ScoreScope; actorId?: number | null },
): Op<{ job: Job; model: ScoringModel }> {
  const model = yield* getScoringModel.op(c, params.modelId);
  yield* getProject.op(c, params.projectId);
  const job = yield* c.first(
    c.q
      .insert(jobs)
      .values({
        projectId: params.projectId,
        kind: "score",
        state: "running",
        config: { model_id: model.id, scope: params.scope },
        progress: { runner_pid: process.pid, done: 0, total: null },
        createdBy: params.actorId ?? null,
        startedAt: Math.floor(Date.now() / 1000),
      })
      .returning(),
  );
  if (!job) throw new Error("the score job's row did not come back");
  return { job, model };
});

const setScoreProgress = domainOp(function* setScoreProgress(c: Conn, jobId: number, progress: Record<string, unknown>): Op<void> {
  yield* c.run(c.q.update(jobs).set({ progress }).where(eq(jobs.id, jobId)));
});

/** Metrics, final progress and state of a finished `score` job, in one transaction. */
const finishScoreJob = domainOp(function* finishScoreJob(
  c: Conn,
  jobId: number,
  r: { scored: number; cached: number; total: number },
): Op<Job> {
  return yield* c.transaction(function* (tx): Op<Job> {
    yield* tx.run(
      tx.q
        .update(jobs)
        .set({ metrics: r, progress: { done: r.scored, total: r.scored } })
        .where(eq(jobs.id, jobId)),
    );
    yield* finishJob.op(tx, jobId, "succeeded");
    return yield* getJob.op(tx, jobId);
  });
});

/**
 * Scores a project's responses as a `score` job in this process: the job row carries progress
 * ({done, total}) for the page to poll, and its state at the end. `done` resolves when it is done.
 */
export async function startProjectScoring(
  db: AnyDb,
  params: { projectId: number; modelId: number; scope: ScoreScope; actorId?: number | null },
  pool: ScoringPool = getScoringPool(),
): Promise<{ job: Job; done: Promise<Job> }> {
  const { job, model } = await createScoreJob(db, params);
  let last = 0;
  // Progress writes go one after another, so a late one never overwrites a newer one or the final state.
  let writes: Promise<unknown> = Promise.resolve();
  const report = (done: number, total: number) => {
    const now = Date.now();
    if (now - last < 250 && done < total) return;
    last = now;
    writes = writes
      .then(() => setScoreProgress(db, job.id, { runner_pid: process.pid, done, total }))
      .catch((e: unknown) => console.error(`score job ${job.id}: progress not recorded:`, e));
  };
  const done = scoreProjectResponses(db, { ...params, score: scorerFor(model, pool), onProgress: report })
    .then(async (r) => {
      await writes;
      return await finishScoreJob(db, job.id, r);
    })
    .catch(async (e: unknown) => {
      await writes;
      await finishJob(db, job.id, "failed", isAppError(e) ? e.message : `scoring failed: ${(e as Error).message}`);
      if (!isAppError(e)) console.error(e);
      return await getJob(db, job.id);
    });
  return { job, done };
}
