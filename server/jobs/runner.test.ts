/** Integration: the real trainer (ARBITER_PYTHON or /usr/bin/python3) on the tiny model, real DB. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { jobEvents, jobs, models } from "@/db/schema";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { cancelJob, createTrainJob, getJob, recoverJobs } from "@/server/jobs/jobs";
import { JobRunner } from "@/server/jobs/runner";
import { memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";

const WORDS = ["sky", "tree", "river", "stone", "light", "cloud", "paper", "glass", "road", "field"];

/** Items whose preferred response carries a learnable signal: it contains "good". */
function syntheticProject(n: number) {
  const db = memoryDb();
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

  it("marks a job left running by a dead process failed", () => {
    const { db, project } = syntheticProject(5);
    const job = createTrainJob(db, { projectId: project.id }, { root: tempDir() });
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    db.update(jobs)
      .set({ state: "running", pid: dead, progress: { runner_pid: dead } })
      .where(eq(jobs.id, job.id))
      .run();
    expect(recoverJobs(db)).toEqual([job.id]);
    const after = getJob(db, job.id);
    expect(after.state).toBe("failed");
    expect(after.error).toMatch(/interrupted/);
  });

  it("refuses a project with nothing to train on", () => {
    const db = memoryDb();
    const project = createProject(db, { name: "empty" });
    expect(() => createTrainJob(db, { projectId: project.id }, { root: tempDir() })).toThrow(/no judgments to train on/);
  });
});
