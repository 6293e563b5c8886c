/**
 * The training job runner on PostgreSQL, with the real trainer on the tiny model: several app
 * instances (pools) on one database train one job at a time between them; recovery tells a dead
 * runner from a live one by its liveness lock, not by a pid (which means nothing on another host);
 * a runner process killed mid-training leaves a job that the next runner resumes from its checkpoint.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { and, asc, eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { jobEvents, jobs, models } from "@/db/schema";
import { runOp } from "@/server/database";
import { openPg, type PgDb } from "@/server/db-pg";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { cancelJob, createTrainJob, getJob, isAlive, JOB_LOCK, recoverJobs } from "@/server/jobs/jobs";
import { JobRunner } from "@/server/jobs/runner";
import { tempDir, writeJsonl } from "@/server/testing/fixtures";
import { createPgTestDatabase } from "@/server/testing/pg";

let pgTest: Awaited<ReturnType<typeof createPgTestDatabase>>;
let a: PgDb;
let b: PgDb;

beforeAll(async () => {
  pgTest = await createPgTestDatabase("runner");
  a = await openPg(pgTest.url, { max: 4 });
  b = await openPg(pgTest.url, { max: 4 }); // a second app instance
});
afterAll(async () => {
  await a?.$client.end();
  await b?.$client.end();
  await pgTest?.drop();
});

/** A project whose preferred response says "good": learnable in a few steps. */
async function trainableProject(db: PgDb, n: number): Promise<number> {
  const project = await createProject(db, { name: `synthetic-${Math.random().toString(36).slice(2, 8)}` });
  const lines = Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    prompt: `q${i}: sky tree ${i % 7}?`,
    responses: [
      { model: "m1", text: i % 2 ? `river ${i} good` : `river ${i} meh` },
      { model: "m2", text: i % 2 ? `stone ${i} meh` : `stone ${i} good` },
    ],
    judgments: [{ annotator: "judge", winner: i % 2 ? "a" : "b" }],
  }));
  const result = await importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  expect(result.errorCount).toBe(0);
  return project.id;
}

const states = (db: PgDb) =>
  runOp(db, function* (c) {
    return yield* c.all(c.q.select({ id: jobs.id, state: jobs.state }).from(jobs).where(eq(jobs.kind, "train")).orderBy(asc(jobs.id)));
  });

const eventsOf = (db: PgDb, jobId: number) =>
  runOp(db, function* (c) {
    return yield* c.all(c.q.select().from(jobEvents).where(eq(jobEvents.jobId, jobId)).orderBy(asc(jobEvents.id)));
  });

/** Marks a job as left running by a process that is gone (or, with `pid`, by that process). */
const leaveRunning = (db: PgDb, jobId: number, pid: number) =>
  runOp(db, function* (c) {
    yield* c.run(
      c.q
        .update(jobs)
        .set({ state: "running", pid, progress: { runner_pid: pid } })
        .where(eq(jobs.id, jobId)),
    );
  });

describe("job runner on PostgreSQL", () => {
  it("two instances train one job at a time between them, and both jobs finish", { timeout: 180_000 }, async () => {
    const projectId = await trainableProject(a, 200);
    const root = tempDir();
    const first = await createTrainJob(a, { projectId, epochs: 1 }, { root });
    const second = await createTrainJob(b, { projectId, epochs: 1 }, { root });
    const runnerA = new JobRunner(a);
    const runnerB = new JobRunner(b);

    // Both instances claim at the same moment: a third session holds the first job's row, so a claim
    // that got as far as marking it running waits there, and releases it once both have started.
    const holder = new pg.Client({ connectionString: pgTest.url });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE", [first.id]);
    const ticks = [runnerA.tick(), runnerB.tick()];
    await sleep(500);
    await holder.query("COMMIT");
    await holder.end();
    let maxRunning = 0;
    let ended = false;
    const watching = (async () => {
      while (!ended) {
        const now = await states(a);
        maxRunning = Math.max(maxRunning, now.filter((s) => s.state === "running").length);
        await sleep(100);
      }
    })();
    const claimed = await Promise.all(ticks);
    // One ran the first job; the other found it running and claimed nothing (not the same job again).
    expect(claimed.filter((j) => j !== null).map((j) => j?.id)).toEqual([first.id]);
    const next = (await Promise.all([runnerA.tick(), runnerB.tick()])).filter((j) => j !== null);
    ended = true;
    await watching;
    await Promise.all([runnerA.stop(), runnerB.stop()]);
    expect(next.map((j) => j?.id)).toEqual([second.id]);
    expect(maxRunning).toBe(1);
    for (const id of [first.id, second.id]) {
      const job = await getJob(a, id);
      expect(job.state, job.error ?? job.log.slice(-1500)).toBe("succeeded");
      const model = await runOp(a, function* (c) {
        return yield* c.first(c.q.select().from(models).where(eq(models.jobId, id)));
      });
      expect(model?.dir).toContain(`job-${id}`);
    }
  });

  it("a cancel sent through another instance stops the trainer", { timeout: 120_000 }, async () => {
    const projectId = await trainableProject(a, 200);
    const job = await createTrainJob(a, { projectId, epochs: 50 }, { root: tempDir() });
    const finished = new JobRunner(a).tick();
    await vi.waitFor(async () => expect((await eventsOf(a, job.id)).some((e) => e.type === "progress")).toBe(true), {
      timeout: 60_000,
      interval: 200,
    });
    await cancelJob(b, job.id); // instance B: only the database connects it to A's runner
    const result = await finished;
    expect(result?.state, result?.log.slice(-1500)).toBe("cancelled");
    expect(result?.pid).toBeNull();
  });

  it("recovery leaves a job whose runner holds its lock, whatever its pid; a job with no lock holder is recovered", async () => {
    const projectId = await trainableProject(a, 5);
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid as number;
    const elsewhere = await createTrainJob(a, { projectId }, { root: tempDir() });
    const orphan = await createTrainJob(a, { projectId }, { root: tempDir() });
    // A runner on another host: its pid means nothing here (dead on this machine), but it holds the lock.
    await leaveRunning(a, elsewhere.id, deadPid);
    // A runner that died: no lock held, though its recorded pid is a live process on this host (ours).
    await leaveRunning(a, orphan.id, process.pid);
    const holder = new pg.Client({ connectionString: pgTest.url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1, $2)", [JOB_LOCK, elsewhere.id]);
      expect(await recoverJobs(b)).toEqual({ resumed: [], failed: [orphan.id] });
      expect((await getJob(a, elsewhere.id)).state).toBe("running");
      expect((await getJob(a, orphan.id)).error).toMatch(/before the trainer saved a checkpoint/);
    } finally {
      await holder.end(); // the remote runner's connection closes: its lock goes with it
    }
    expect(await recoverJobs(b)).toEqual({ resumed: [], failed: [elsewhere.id] });
  });

  it("a runner whose lock connection breaks stops its trainer and leaves the job to recovery", { timeout: 120_000 }, async () => {
    const projectId = await trainableProject(a, 200);
    const job = await createTrainJob(a, { projectId, epochs: 50, checkpointEverySeconds: 0 }, { root: tempDir() });
    const finished = new JobRunner(a).tick();
    await vi.waitFor(async () => expect((await eventsOf(a, job.id)).some((e) => e.type === "progress")).toBe(true), {
      timeout: 60_000,
      interval: 200,
    });
    // The database drops the runner's lock connection (a failover, a network cut, an admin).
    const admin = new pg.Client({ connectionString: pgTest.url });
    await admin.connect();
    try {
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND granted",
        [JOB_LOCK, job.id],
      );
      expect(killed.rows).toEqual([{ ok: true }]);
    } finally {
      await admin.end();
    }
    const result = await finished;
    expect(result?.error).toMatch(/lost its database connection/);
    const left = await getJob(a, job.id);
    expect(left.state).toBe("running"); // not finished by a runner that no longer owns it
    expect(left.pid === null || !isAlive(left.pid)).toBe(true); // its trainer stopped
    expect(await recoverJobs(b)).toEqual({ resumed: [job.id], failed: [] });
    const queued = await getJob(b, job.id);
    expect(queued.config.resume_from).toMatch(/checkpoint\.pt$/);
    await cancelJob(b, job.id);
  });

  it("a runner process killed mid-training: the next runner resumes the job from its checkpoint", { timeout: 180_000 }, async () => {
    const projectId = await trainableProject(a, 300);
    const root = tempDir();
    const job = await createTrainJob(a, { projectId, epochs: 4, checkpointEverySteps: 3, checkpointEverySeconds: 0 }, { root });
    const worker: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/jobs/run-worker.ts"], {
      env: { ...process.env, ARBITER_DB: pgTest.url, ARBITER_RUNNER_POLL_MS: "200" },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => worker.on("exit", resolve));
    try {
      await vi.waitFor(
        async () => {
          const j = await getJob(a, job.id);
          expect(j.state, j.log).toBe("running");
          expect((await eventsOf(a, job.id)).some((e) => e.type === "checkpoint")).toBe(true);
        },
        { timeout: 120_000, interval: 200 },
      );
    } finally {
      worker.kill("SIGKILL");
      await exited;
    }
    const killed = await getJob(a, job.id);
    expect(killed.state).toBe("running");
    if (killed.pid && isAlive(killed.pid)) process.kill(killed.pid, "SIGKILL");
    const progress = (await eventsOf(a, job.id)).filter((e) => e.type === "progress");
    const total = Number(progress[0]?.payload.total);
    expect(Number(progress.at(-1)?.payload.step)).toBeLessThan(total);

    // The dead worker's connection is closed by the server (its lock released) once the socket drops.
    await vi.waitFor(async () => expect((await recoverJobs(b)).resumed).toEqual([job.id]), { timeout: 30_000, interval: 200 });
    const resumed = (await eventsOf(a, job.id)).find((e) => e.type === "resume");
    expect(resumed?.payload.checkpoint).toMatch(/checkpoint\.pt$/);
    const runner = new JobRunner(b, { pollMs: 60_000 });
    const result = await runner.tick();
    await runner.stop();
    expect(result?.id).toBe(job.id);
    expect(result?.state, result?.error ?? result?.log.slice(-1500)).toBe("succeeded");
    expect(result?.metrics?.steps).toBe(total);
    const after = (await eventsOf(a, job.id)).filter((e) => e.id > (resumed?.id ?? 0) && e.type === "progress");
    expect(after[0]?.payload.step).toBe(Number(resumed?.payload.step) + 1);
    const recorded = await runOp(a, function* (c) {
      return yield* c.first(
        c.q
          .select({ state: jobs.state })
          .from(jobs)
          .where(and(eq(jobs.id, job.id), eq(jobs.state, "succeeded"))),
      );
    });
    expect(recorded?.state).toBe("succeeded");
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
