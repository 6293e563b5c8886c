/**
 * The job runner: claims queued training jobs one at a time (one GPU job at a time across every
 * process sharing the database), writes the trainer config, spawns
 * `ARBITER_PYTHON -m arbiter_trainer train --config FILE`, parses each stdout line with the protocol
 * schemas and persists progress, events, checkpoints and the produced model. Lines that are not
 * protocol, and stderr, go to the job log. Cancel is SIGTERM (cancelJob): the trainer checkpoints and
 * reports `cancelled`. Recovery (jobs.ts#recoverJobs, at start and before each claim) queues a job
 * whose runner died again with `resume_from` set to its newest checkpoint, so a restarted server
 * continues it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { eq, ne, sql } from "drizzle-orm";
import { jobEvents, jobs, models, projects } from "@/db/schema";
import { type AnyDb, forUpdateOnPg, isPg, runOp } from "@/server/database";
import { childProcessEnv } from "@/server/env";
import { type ClaimRule, claimNextJobOp, claimOnOwnConnection } from "@/server/jobs/claim";
import { bootId, finishJob, getJob, type Job, recoverJobs, signalTrainer, TRAIN_SLOT } from "@/server/jobs/jobs";
import { parseTrainLine, type TrainLine } from "@/server/jobs/protocol";

const LOG_LIMIT = 256 * 1024;

export function trainerPython(): string {
  return process.env.ARBITER_PYTHON ?? "/usr/bin/python3";
}

export function trainerDir(): string {
  return path.join(process.env.ARBITER_ROOT ?? process.cwd(), "server/trainer");
}

/** Who runs the job (for recovery) plus what a resume must keep showing. */
function runnerProgress(job: Job): Record<string, unknown> {
  const keep = ["resumed_from", "resumed_at_step", "auto_resumes"] as const;
  const kept = Object.fromEntries(keep.filter((k) => job.progress?.[k] !== undefined).map((k) => [k, job.progress?.[k]]));
  return { ...kept, runner_pid: process.pid, runner_boot: bootId(), runner_host: os.hostname() };
}

/** Processes per job: ARBITER_TRAIN_NPROC (e.g. the number of GPUs); more than 1 runs under torchrun. */
export function trainerProcesses(): number {
  const n = Number(process.env.ARBITER_TRAIN_NPROC ?? "1");
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/**
 * The trainer's command line. Several processes go through torchrun (`python -m
 * torch.distributed.run`, DDP: nccl on GPUs, gloo on CPU); only rank 0 writes protocol lines.
 * `--redirects 2 --tee 2` leave stdout alone and prefix each rank's stderr; they are also what
 * torch 1.13's launcher needs on Python 3.11, where its default "0" fails to parse.
 */
export function trainerArgs(configFile: string, nproc: number, port: number): string[] {
  const train = ["-m", "arbiter_trainer", "train", "--config", configFile];
  if (nproc <= 1) return train;
  return [
    "-m",
    "torch.distributed.run",
    "--nnodes",
    "1",
    "--nproc_per_node",
    String(nproc),
    "--master_addr",
    "127.0.0.1",
    "--master_port",
    String(port),
    "--redirects",
    "2",
    "--tee",
    "2",
    ...train,
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 29500));
    });
  });
}

export type RunnerOptions = { pollMs?: number; only?: number };

/** How often a running job's cancel request is looked for (it may come from another instance). */
const CANCEL_POLL_MS = 1000;

/**
 * Runs queued training jobs one at a time, on SQLite or PostgreSQL. Several instances may run one each
 * on one PostgreSQL database: they still train one job at a time between them (TRAIN_SLOT), and each
 * holds its job's liveness lock (JOB_LOCK) on a connection of its own until the job ends.
 */
export class JobRunner {
  private timer: NodeJS.Timeout | null = null;
  private child: ChildProcess | null = null;
  private current: Promise<Job | null> | null = null;
  private stopping = false;

  constructor(
    private readonly db: AnyDb,
    private readonly opts: RunnerOptions = {},
  ) {}

  /** Recovers orphaned jobs, then polls for queued ones. */
  start(): void {
    const recovered = recoverJobs(this.db);
    if (recovered instanceof Promise) recovered.catch((e: unknown) => console.error("[jobs] recovery:", e));
    this.timer = setInterval(() => void this.tick(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    void this.tick();
  }

  /** Stops polling; a running trainer is asked to checkpoint and stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.child?.pid) signalTrainer(this.child.pid, "SIGTERM");
    await this.current;
  }

  /** Claims and runs the next queued job, if none is running; resolves with it when it ends. */
  tick(): Promise<Job | null> {
    if (this.current || this.stopping) return this.current ?? Promise.resolve(null);
    const db = this.db;
    if (!isPg(db)) {
      // SQLite: the claim is synchronous, so two ticks can never both claim.
      const job = runOp(db, (c) => claimNextJobOp(c, this.rule()));
      if (!job) return Promise.resolve(null);
      return this.track(this.run(job));
    }
    return this.track(
      claimOnOwnConnection(db, this.rule(), "jobs", () => this.stopping).then((claimed) =>
        claimed ? this.run(claimed.job, claimed.lost).finally(claimed.release) : null,
      ),
    );
  }

  /** Training jobs; any running job but a sampling one (training, scoring) holds the slot. */
  private rule(): ClaimRule {
    return { slot: TRAIN_SLOT, kind: "train", occupies: ne(jobs.kind, "generate"), only: this.opts.only, progress: runnerProgress };
  }

  private track(p: Promise<Job | null>): Promise<Job | null> {
    this.current = p.finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async appendLog(jobId: number, text: string) {
    await runOp(this.db, function* (c) {
      // PostgreSQL's substr does not count from the end for a negative start; right() does.
      const kept =
        c.engine === "postgres" ? sql`right(${jobs.log} || ${text}, ${LOG_LIMIT})` : sql`substr(${jobs.log} || ${text}, ${-LOG_LIMIT})`;
      yield* c.run(c.q.update(jobs).set({ log: kept }).where(eq(jobs.id, jobId)));
    });
  }

  private async run(job: Job, lost: AbortSignal | null = null): Promise<Job> {
    const db = this.db;
    const config = job.config as { output_dir?: string; base?: string };
    const dir = path.dirname(config.output_dir ?? ".");
    const configFile = path.join(dir, "run.json");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));

    let last: TrainLine | null = null;
    let progress: Record<string, unknown> = runnerProgress(job);
    const started = Date.now();
    let firstStep: { step: number; at: number } | null = null;

    const nproc = trainerProcesses();
    const child = spawn(trainerPython(), trainerArgs(configFile, nproc, nproc > 1 ? await freePort() : 0), {
      cwd: trainerDir(),
      env: childProcessEnv({ PYTHONPATH: trainerDir(), PYTHONUNBUFFERED: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: cancel and recovery signal torchrun and every rank at once
    });
    this.child = child;
    // Every write of this job goes through one chain, in the order the trainer printed its lines.
    let writes: Promise<unknown> = Promise.resolve();
    const write = (f: () => unknown) => {
      if (lost?.aborted) return; // the job may be another instance's by now
      writes = writes.then(() => (lost?.aborted ? undefined : f())).catch((e: unknown) => console.error(`[jobs] job ${job.id}:`, e));
    };
    // The liveness lock is gone: stop the trainer (it checkpoints on SIGTERM); recovery resumes the job.
    const onLost = () => {
      if (child.pid) signalTrainer(child.pid, "SIGTERM");
    };
    lost?.addEventListener("abort", onLost, { once: true });
    if (child.pid) {
      const pid = child.pid;
      write(() => runOp(db, (c) => c.run(c.q.update(jobs).set({ pid }).where(eq(jobs.id, job.id)))));
    }
    // A cancel request: made before the trainer started, or by an instance that cannot signal it.
    let signalled = false;
    const checkCancel = async () => {
      if (signalled || !child.pid) return;
      const now = await Promise.resolve()
        .then(() => getJob(db, job.id))
        .catch(() => null);
      if (now?.progress?.cancel_requested === true && !signalled) {
        signalled = true;
        signalTrainer(child.pid, "SIGTERM");
      }
    };
    void checkCancel();
    const cancelPoll = setInterval(() => void checkCancel(), CANCEL_POLL_MS);
    cancelPoll.unref();

    const onLine = (text: string) => {
      const line = parseTrainLine(text);
      if (!line) {
        write(() => this.appendLog(job.id, `${text}\n`));
        return;
      }
      last = line.type === "checkpoint" ? last : line;
      let update: Partial<Job> | null = null;
      if (line.type === "progress") {
        const now = Date.now();
        firstStep ??= { step: line.step, at: now };
        const done = line.step - firstStep.step;
        const eta = done > 0 ? ((now - firstStep.at) / 1000 / done) * (line.total - line.step) : null;
        progress = { ...progress, ...line, eta_s: eta, elapsed_s: (now - started) / 1000 };
        update = { progress };
      } else if (line.type === "eval") {
        progress = { ...progress, eval: line };
        update = { progress };
      } else if (line.type === "checkpoint") {
        update = { checkpoint: line.path };
      } else if (line.type === "cancelled" && line.checkpoint) {
        update = { checkpoint: line.checkpoint };
      }
      write(() =>
        runOp(db, function* (c) {
          yield* c.transaction(function* (tx) {
            yield* tx.run(tx.q.insert(jobEvents).values({ jobId: job.id, type: line.type, payload: line }));
            if (!update) return;
            if (update.progress) {
              // A cancel request written meanwhile (cancelJob holds the row while it decides) is kept.
              const row = yield* tx.first(
                forUpdateOnPg(tx.engine, tx.q.select({ progress: jobs.progress }).from(jobs).where(eq(jobs.id, job.id))),
              );
              if (row?.progress?.cancel_requested === true)
                update = { ...update, progress: { ...update.progress, cancel_requested: true } };
            }
            yield* tx.run(tx.q.update(jobs).set(update).where(eq(jobs.id, job.id)));
          });
        }),
      );
    };

    const rl = readline.createInterface({ input: child.stdout });
    rl.on("line", onLine);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => write(() => this.appendLog(job.id, chunk)));

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.on("error", (e) => resolve({ code: null, signal: null, spawnError: e }));
      child.on("close", (code, signal) => resolve({ code, signal }));
    });
    rl.close();
    clearInterval(cancelPoll);
    lost?.removeEventListener("abort", onLost);
    this.child = null;
    await writes;
    if (lost?.aborted) {
      // Not finished here: the job is left running with no lock holder, which recovery on any
      // instance resumes from the checkpoint the trainer just saved.
      return { ...job, error: "this runner lost its database connection; the job is resumed by recovery" };
    }

    const final = last as TrainLine | null;
    if (exit.spawnError) {
      await finishJob(db, job.id, "failed", `could not start the trainer (${trainerPython()}): ${exit.spawnError.message}`);
    } else if (final?.type === "done") {
      const doneLine = final;
      await runOp(db, function* (c) {
        yield* c.transaction(function* (tx) {
          const project = job.projectId
            ? yield* tx.first(tx.q.select({ name: projects.name }).from(projects).where(eq(projects.id, job.projectId)))
            : undefined;
          yield* tx.run(
            tx.q.insert(models).values({
              name: `${project?.name ?? "model"} · job ${job.id}`,
              projectId: job.projectId,
              jobId: job.id,
              snapshotId: job.snapshotId,
              base: config.base ?? "tiny",
              dir: doneLine.model_dir,
              config: job.config,
              metrics: doneLine.metrics,
            }),
          );
          yield* tx.run(tx.q.update(jobs).set({ metrics: doneLine.metrics }).where(eq(jobs.id, job.id)));
          yield* finishJob.op(tx, job.id, "succeeded");
        });
      });
    } else if (final?.type === "cancelled") {
      await finishJob(db, job.id, "cancelled", this.stopping ? "the server stopped during training" : null);
    } else if (final?.type === "error") {
      await finishJob(db, job.id, "failed", final.message);
    } else if (exit.signal === "SIGTERM") {
      // Only a cancel (or this server stopping) sends SIGTERM; it reached the trainer before the
      // trainer could handle it (starting up), so there is no new checkpoint: the job's last one stays.
      await finishJob(db, job.id, "cancelled", "stopped while the trainer was starting; no new checkpoint");
    } else {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = (await getJob(db, job.id)).log.trimEnd().split("\n").slice(-1)[0] ?? "";
      await finishJob(db, job.id, "failed", `the trainer ${how} without finishing${tail ? `: ${tail}` : ""}`);
    }
    return getJob(db, job.id);
  }
}
