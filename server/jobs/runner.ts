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
import path from "node:path";
import readline from "node:readline";
import { and, asc, eq, ne, sql } from "drizzle-orm";
import { jobEvents, jobs, models, projects } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { childProcessEnv } from "@/server/env";
import { bootId, finishJob, getJob, type Job, recoverJobs, signalTrainer } from "@/server/jobs/jobs";
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
  return { ...kept, runner_pid: process.pid, runner_boot: bootId() };
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

export class JobRunner {
  private timer: NodeJS.Timeout | null = null;
  private child: ChildProcess | null = null;
  private current: Promise<Job | null> | null = null;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly opts: RunnerOptions = {},
  ) {}

  /** Recovers orphaned jobs, then polls for queued ones. */
  start(): void {
    recoverJobs(this.db);
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
    const job = this.claim();
    if (!job) return Promise.resolve(null);
    this.current = this.run(job).finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private claim(): Job | null {
    return transaction(this.db, () => {
      recoverJobs(this.db);
      // Sampling jobs run in their own runner (server/jobs/generate.ts) and do not hold the trainer's slot.
      const running = this.db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.state, "running"), ne(jobs.kind, "generate")))
        .get();
      if (running) return null;
      const conds = [eq(jobs.state, "queued"), eq(jobs.kind, "train")];
      if (this.opts.only) conds.push(eq(jobs.id, this.opts.only));
      const next = this.db
        .select()
        .from(jobs)
        .where(and(...conds))
        .orderBy(asc(jobs.id))
        .get();
      if (!next) return null;
      return this.db
        .update(jobs)
        .set({ state: "running", startedAt: next.startedAt ?? Math.floor(Date.now() / 1000), progress: runnerProgress(next) })
        .where(eq(jobs.id, next.id))
        .returning()
        .get();
    });
  }

  private appendLog(jobId: number, text: string) {
    this.db
      .update(jobs)
      .set({ log: sql`substr(${jobs.log} || ${text}, -${LOG_LIMIT})` })
      .where(eq(jobs.id, jobId))
      .run();
  }

  private async run(job: Job): Promise<Job> {
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
    if (child.pid) db.update(jobs).set({ pid: child.pid }).where(eq(jobs.id, job.id)).run();
    // A cancel that arrived between claim and spawn.
    if (getJob(db, job.id).progress?.cancel_requested && child.pid) signalTrainer(child.pid, "SIGTERM");

    const onLine = (text: string) => {
      const line = parseTrainLine(text);
      if (!line) {
        this.appendLog(job.id, `${text}\n`);
        return;
      }
      last = line.type === "checkpoint" ? last : line;
      transaction(db, () => {
        db.insert(jobEvents).values({ jobId: job.id, type: line.type, payload: line }).run();
        if (line.type === "progress") {
          const now = Date.now();
          firstStep ??= { step: line.step, at: now };
          const done = line.step - firstStep.step;
          const eta = done > 0 ? ((now - firstStep.at) / 1000 / done) * (line.total - line.step) : null;
          progress = { ...progress, ...line, eta_s: eta, elapsed_s: (now - started) / 1000 };
          db.update(jobs).set({ progress }).where(eq(jobs.id, job.id)).run();
        } else if (line.type === "eval") {
          progress = { ...progress, eval: line };
          db.update(jobs).set({ progress }).where(eq(jobs.id, job.id)).run();
        } else if (line.type === "checkpoint") {
          db.update(jobs).set({ checkpoint: line.path }).where(eq(jobs.id, job.id)).run();
        } else if (line.type === "cancelled" && line.checkpoint) {
          db.update(jobs).set({ checkpoint: line.checkpoint }).where(eq(jobs.id, job.id)).run();
        }
      });
    };

    const rl = readline.createInterface({ input: child.stdout });
    rl.on("line", onLine);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => this.appendLog(job.id, chunk));

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.on("error", (e) => resolve({ code: null, signal: null, spawnError: e }));
      child.on("close", (code, signal) => resolve({ code, signal }));
    });
    rl.close();
    this.child = null;

    const final = last as TrainLine | null;
    if (exit.spawnError) {
      finishJob(db, job.id, "failed", `could not start the trainer (${trainerPython()}): ${exit.spawnError.message}`);
    } else if (final?.type === "done") {
      const doneLine = final;
      transaction(db, () => {
        const project = job.projectId
          ? db.select({ name: projects.name }).from(projects).where(eq(projects.id, job.projectId)).get()
          : undefined;
        db.insert(models)
          .values({
            name: `${project?.name ?? "model"} · job ${job.id}`,
            projectId: job.projectId,
            jobId: job.id,
            snapshotId: job.snapshotId,
            base: config.base ?? "tiny",
            dir: doneLine.model_dir,
            config: job.config,
            metrics: doneLine.metrics,
          })
          .run();
        db.update(jobs).set({ metrics: doneLine.metrics }).where(eq(jobs.id, job.id)).run();
        finishJob(db, job.id, "succeeded");
      });
    } else if (final?.type === "cancelled") {
      finishJob(db, job.id, "cancelled", this.stopping ? "the server stopped during training" : null);
    } else if (final?.type === "error") {
      finishJob(db, job.id, "failed", final.message);
    } else if (exit.signal === "SIGTERM") {
      // Only a cancel (or this server stopping) sends SIGTERM; it reached the trainer before the
      // trainer could handle it (starting up), so there is no new checkpoint: the job's last one stays.
      finishJob(db, job.id, "cancelled", "stopped while the trainer was starting; no new checkpoint");
    } else {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = getJob(db, job.id).log.trimEnd().split("\n").slice(-1)[0] ?? "";
      finishJob(db, job.id, "failed", `the trainer ${how} without finishing${tail ? `: ${tail}` : ""}`);
    }
    return getJob(db, job.id);
  }
}
