/** Integration: the real trainer (ARBITER_PYTHON or /usr/bin/python3) on the tiny model, real DB. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { jobEvents, jobs, models } from "@/db/schema";
import { openDb } from "@/server/db";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { cancelJob, createTrainJob, getJob, isAlive, recoverJobs, resumeJob, runnerPid } from "@/server/jobs/jobs";
import { JobRunner } from "@/server/jobs/runner";
import { memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";

const WORDS = ["sky", "tree", "river", "stone", "light", "cloud", "paper", "glass", "road", "field"];

/** Items whose preferred response carries a learnable signal: it contains "good". */
function syntheticProject(n: number, db = memoryDb()) {
  const project = createProject(db, { name: "synthetic" });
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const text = (k: number) => Array.from({ length: k }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(" ");
  const lines = Array.from({ length: n }, (_, i) => {
    const base = text(3 + Math.floor(rand() * 4));
    const good = `${base} good`;
    const bad = `${base} meh`;
    const goodFirst = rand() < 0.5;
    return {
      id: `s${i}`,
      prompt: `q${i}: ${text(3)}?`,
      responses: [
        { model: "m1", text: goodFirst ? good : bad },
        { model: "m2", text: goodFirst ? bad : good },
      ],
      judgments: [{ annotator: "judge", winner: goodFirst ? "a" : "b" }],
    };
  });
  const result = importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  expect(result.errorCount).toBe(0);
  return { db, project };
}

describe("job runner", () => {
  it("trains the tiny model to a stored model with metrics", { timeout: 60_000 }, async () => {
    const { db, project } = syntheticProject(400);
    const job = createTrainJob(db, { projectId: project.id, epochs: 2 }, { root: tempDir() });
    expect(job.state).toBe("queued");
    const done = await new JobRunner(db).tick();
    expect(done?.state, done?.error ?? done?.log.slice(-2000)).toBe("succeeded");
    const model = db.select().from(models).where(eq(models.jobId, job.id)).get();
    expect(model).toBeDefined();
    expect(fs.existsSync(path.join(model?.dir ?? "", "config.json"))).toBe(true);
    expect(model?.snapshotId).toBe(job.snapshotId);
    expect(Number(model?.metrics.eval_accuracy)).toBeGreaterThanOrEqual(0.9);
    expect(getJob(db, job.id).metrics).toMatchObject({ eval_accuracy: model?.metrics.eval_accuracy });
    const events = db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id)).all();
    expect(events.some((e) => e.type === "progress")).toBe(true);
    expect(events.some((e) => e.type === "eval")).toBe(true);
  });

  it("cancels a running job: SIGTERM, checkpoint, cancelled", { timeout: 60_000 }, async () => {
    const { db, project } = syntheticProject(400);
    const job = createTrainJob(db, { projectId: project.id, epochs: 50 }, { root: tempDir() });
    const finished = new JobRunner(db).tick();
    await vi.waitFor(
      () => {
        const events = db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id)).all();
        expect(events.some((e) => e.type === "progress")).toBe(true);
      },
      { timeout: 30_000, interval: 100 },
    );
    cancelJob(db, job.id);
    const result = await finished;
    expect(result?.state).toBe("cancelled");
    expect(result?.checkpoint).toMatch(/checkpoint\.pt$/);
    expect(result?.pid).toBeNull();
  });

  it("a cancel while the trainer is still starting ends cancelled, not failed", { timeout: 60_000 }, async () => {
    const { db, project } = syntheticProject(50);
    const job = createTrainJob(db, { projectId: project.id, epochs: 50 }, { root: tempDir() });
    const finished = new JobRunner(db).tick();
    // The moment the process exists: before Python has imported anything or installed its handler.
    await vi.waitFor(() => expect(getJob(db, job.id).pid).toBeTruthy(), { timeout: 30_000, interval: 5 });
    cancelJob(db, job.id);
    const result = await finished;
    expect(result?.state, result?.log.slice(-2000)).toBe("cancelled");
    expect(result?.pid).toBeNull();
  });

  it("fails a job left running by a dead process when it has no checkpoint: never a ghost running", async () => {
    const { db, project } = syntheticProject(5);
    const job = createTrainJob(db, { projectId: project.id }, { root: tempDir() });
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    db.update(jobs)
      .set({ state: "running", pid: dead, progress: { runner_pid: dead } })
      .where(eq(jobs.id, job.id))
      .run();
    const runner = new JobRunner(db, { only: -1 }); // a restarted server that has nothing else to run
    runner.start();
    await runner.stop();
    const after = getJob(db, job.id);
    expect(after.state).toBe("failed");
    expect(after.error).toMatch(/before the trainer saved a checkpoint/);
    expect(after.pid).toBeNull();
    expect(recoverJobs(db)).toEqual({ resumed: [], failed: [] });
    expect(() => resumeJob(db, job.id)).toThrow(/no checkpoint to resume from/);
  });

  it("recovery picks the newest checkpoint and stops resuming a job that keeps dying without progress", () => {
    const { db, project } = syntheticProject(5);
    const job = createTrainJob(db, { projectId: project.id }, { root: tempDir() });
    const ckpts = path.join(String(job.config.output_dir), "checkpoints");
    for (const step of [4, 12]) {
      fs.mkdirSync(path.join(ckpts, `step-${String(step).padStart(7, "0")}`), { recursive: true });
      fs.writeFileSync(path.join(ckpts, `step-${String(step).padStart(7, "0")}`, "checkpoint.pt"), "");
    }
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const leftRunning = (progress: Record<string, unknown>) =>
      db
        .update(jobs)
        .set({ state: "running", progress: { runner_pid: dead, ...progress } })
        .where(eq(jobs.id, job.id))
        .run();

    leftRunning({ resumed_at_step: 4, auto_resumes: 3 }); // died 3 times, but got from step 4 to 12
    expect(recoverJobs(db)).toEqual({ resumed: [job.id], failed: [] });
    const queued = getJob(db, job.id);
    expect(queued.config.resume_from).toBe(path.join(ckpts, "step-0000012", "checkpoint.pt"));
    expect(queued.progress).toMatchObject({ resumed_at_step: 12, auto_resumes: 1 });

    leftRunning({ resumed_at_step: 12, auto_resumes: 3 }); // died 3 times at step 12
    expect(recoverJobs(db)).toEqual({ resumed: [], failed: [job.id] });
    expect(getJob(db, job.id).error).toMatch(/interrupted 4 times in a row/);
  });

  it("resumes a job whose server died from its checkpoint, to the same total steps", { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const file = path.join(dir, "arbiter.db");
    const { db, project } = syntheticProject(300, openDb(file));
    const job = createTrainJob(db, { projectId: project.id, epochs: 4, checkpointEverySteps: 3, checkpointEverySeconds: 0 }, { root: dir });

    // The "server": a runner in its own process, killed with SIGKILL (no chance to clean up).
    // One process (node --import tsx, not the tsx CLI, which would run the runner in a grandchild).
    const server: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/jobs/run-worker.ts"], {
      env: { ...process.env, ARBITER_DB: file, ARBITER_RUNNER_POLL_MS: "200" },
      stdio: "ignore",
    });
    const serverExit = new Promise((resolve) => server.on("exit", resolve));
    const events = () => db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id)).all();
    try {
      await vi.waitFor(
        () => {
          const j = getJob(db, job.id);
          expect(j.state, j.log).toBe("running");
          expect(events().some((e) => e.type === "checkpoint")).toBe(true);
        },
        { timeout: 90_000, interval: 100 },
      );
      expect(runnerPid(getJob(db, job.id))).toBe(server.pid);
    } finally {
      server.kill("SIGKILL");
      await serverExit;
    }
    const killed = getJob(db, job.id);
    expect(killed.state).toBe("running"); // what the dead server left behind
    if (killed.pid && isAlive(killed.pid)) process.kill(killed.pid, "SIGKILL");
    const before = events().filter((e) => e.type === "progress");
    const total = Number(before[0]?.payload.total);
    expect(Number(before.at(-1)?.payload.step)).toBeLessThan(total); // killed mid-training

    const restarted = new JobRunner(db, { pollMs: 60_000 });
    restarted.start(); // recovery requeues the job from its checkpoint, then the runner claims it
    const resumed = events().find((e) => e.type === "resume");
    expect(resumed?.payload.checkpoint).toMatch(/checkpoint\.pt$/);
    const result = await restarted.tick();
    await restarted.stop();

    expect(result?.id).toBe(job.id);
    expect(result?.state, result?.error ?? result?.log.slice(-2000)).toBe("succeeded");
    expect(result?.metrics?.steps).toBe(total);
    expect(result?.log).toMatch(/resuming from step \d+/);
    const after = events().filter((e) => e.id > (resumed?.id ?? 0) && e.type === "progress");
    expect(after[0]?.payload.step).toBe(Number(resumed?.payload.step) + 1); // continued, not restarted
    expect(after.at(-1)?.payload.total).toBe(total);
    expect(db.select().from(models).where(eq(models.jobId, job.id)).get()?.dir).toBe(path.join(dir, `job-${job.id}`, "model"));
  });

  it("resumes a cancelled job from its checkpoint by hand", { timeout: 90_000 }, async () => {
    const { db, project } = syntheticProject(300);
    const job = createTrainJob(db, { projectId: project.id, epochs: 3, checkpointEverySeconds: 0 }, { root: tempDir() });
    const runner = new JobRunner(db);
    const first = runner.tick();
    await vi.waitFor(() => expect(db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id)).all().length).toBeGreaterThan(0), {
      timeout: 30_000,
      interval: 100,
    });
    cancelJob(db, job.id);
    const cancelled = await first;
    expect(cancelled?.state).toBe("cancelled");
    const queued = resumeJob(db, job.id);
    expect(queued.state).toBe("queued");
    expect(queued.config.resume_from).toBe(cancelled?.checkpoint);
    const done = await runner.tick();
    expect(done?.state, done?.log.slice(-2000)).toBe("succeeded");
    expect(() => resumeJob(db, job.id)).toThrow(/only a failed or cancelled job/);
  });

  it("runs a job as 2 DDP processes under torchrun and cancels every rank", { timeout: 120_000 }, async () => {
    const { db, project } = syntheticProject(200);
    process.env.ARBITER_TRAIN_NPROC = "2";
    try {
      const job = createTrainJob(db, { projectId: project.id, epochs: 1, checkpointEverySeconds: 0 }, { root: tempDir() });
      const done = await new JobRunner(db).tick();
      expect(done?.state, done?.log.slice(-3000)).toBe("succeeded");
      expect(done?.metrics?.world_size).toBe(2);
      expect(done?.log).toMatch(/\[default1\]:train: /); // rank 1 ran, its stderr in the job log

      const long = createTrainJob(db, { projectId: project.id, epochs: 50, checkpointEverySeconds: 0 }, { root: tempDir() });
      const finished = new JobRunner(db).tick();
      await vi.waitFor(() => expect(db.select().from(jobEvents).where(eq(jobEvents.jobId, long.id)).all().length).toBeGreaterThan(0), {
        timeout: 60_000,
        interval: 100,
      });
      const pid = getJob(db, long.id).pid;
      cancelJob(db, long.id);
      const result = await finished;
      expect(result?.state, result?.log.slice(-3000)).toBe("cancelled");
      expect(result?.checkpoint).toMatch(/checkpoint\.pt$/);
      await vi.waitFor(() => expect(isAlive(pid)).toBe(false)); // launcher gone (ranks with it: same group)
      expect(job.id).not.toBe(long.id);
    } finally {
      delete process.env.ARBITER_TRAIN_NPROC;
    }
  });

  it("refuses a project with nothing to train on", () => {
    const db = memoryDb();
    const project = createProject(db, { name: "empty" });
    expect(() => createTrainJob(db, { projectId: project.id }, { root: tempDir() })).toThrow(/no judgments to train on/);
  });
});
