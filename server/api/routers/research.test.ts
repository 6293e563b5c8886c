import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { jobs, models, rounds } from "@/db/schema";
import { createCaller } from "@/server/api/root";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { getScoringPool } from "@/server/jobs/scoring";
import { addAnnotator, memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { writeTinyModel } from "@/server/testing/tiny-model";

describe("research router", () => {
  it("queues a training job, lists it, and cancels it while queued", async () => {
    process.env.ARBITER_JOBS_DIR = tempDir();
    const db = memoryDb();
    const p = createProject(db, { name: "rm" });
    const file = writeJsonl([
      {
        prompt: "q?",
        responses: [
          { model: "x", text: "good" },
          { model: "y", text: "meh" },
        ],
        judgments: [{ annotator: "j", winner: "a" }],
      },
    ]);
    expect(importItems(db, { projectId: p.id, file }).errorCount).toBe(0);
    const id = addAnnotator(db, "res");
    const caller = createCaller({ db, user: { id, email: "r@test.local", name: "res", role: "researcher" } });
    const job = await caller.research.train({ projectId: p.id, epochs: 1 });
    expect(job.state).toBe("queued");
    expect(job.config).toMatchObject({ base: "tiny", epochs: 1, loss: "bt", eval_fraction: 0.1 });
    expect((await caller.research.jobs()).map((j) => j.id)).toEqual([job.id]);
    expect((await caller.research.cancel({ jobId: job.id })).state).toBe("cancelled");
    await expect(caller.research.cancel({ jobId: job.id })).rejects.toThrow(/already cancelled/);

    // Resume: refused without a checkpoint, queued with resume_from once one exists.
    await expect(caller.research.resume({ jobId: job.id })).rejects.toThrow(/no checkpoint to resume from/);
    const ckptDir = path.join(String(job.config.output_dir), "checkpoints", "step-0000004");
    fs.mkdirSync(ckptDir, { recursive: true });
    fs.writeFileSync(path.join(ckptDir, "checkpoint.pt"), "");
    expect((await caller.research.job({ jobId: job.id })).job.resumableFromStep).toBe(4);
    const resumed = await caller.research.resume({ jobId: job.id });
    expect(resumed).toMatchObject({ state: "queued", config: { resume_from: path.join(ckptDir, "checkpoint.pt") } });
    expect((await caller.research.job({ jobId: job.id })).events.map((e) => e.type)).toEqual(["resume"]);

    // Data from filters is recorded on the job: source, policies and counts.
    const strict = await caller.research.train({ projectId: p.id, data: { source: "filters", policies: { ties: "drop", minVotes: 1 } } });
    expect(strict.config.meta).toMatchObject({ data: { source: "filters", policies: { ties: "drop" }, rows: 1, judgments: 1 } });
    await expect(caller.research.train({ projectId: p.id, data: { source: "snapshot", snapshotId: 999 } })).rejects.toThrow(
      /snapshot 999 is not in project/,
    );

    // Bases: a Hub id and random init go to the trainer as given; a folder outside the model roots is refused.
    const hub = await caller.research.train({ projectId: p.id, base: "Qwen/Qwen2.5-0.5B-Instruct", init: "random" });
    expect(hub.config).toMatchObject({ base: "Qwen/Qwen2.5-0.5B-Instruct", init: "random" });
    await expect(caller.research.train({ projectId: p.id, base: "/etc" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/base "\/etc": .*outside the allowed model folders/),
    });
    await expect(caller.research.train({ projectId: p.id, base: "not a model" })).rejects.toThrow(/not a Hub id/);
    delete process.env.ARBITER_JOBS_DIR;
  });

  it("evaluates an uploaded preference file for researchers only; errors name the upload, not a server path", {
    timeout: 120_000,
  }, async () => {
    const db = memoryDb();
    const dir = writeTinyModel(path.join(tempDir(), "model"));
    const model = db.insert(models).values({ name: "m", base: "tiny", dir }).returning().get();
    const ids = { researcher: addAnnotator(db, "researcher"), annotator: addAnnotator(db, "annotator") };
    const as = (role: "researcher" | "annotator") =>
      createCaller({ db, user: { id: ids[role], email: `${role}@test.local`, name: role, role } });
    const content = [
      { prompt: "q1", chosen: "a", rejected: "b", subset: "s1" },
      { chosen: "\n\nHuman: q2\n\nAssistant: yes", rejected: "\n\nHuman: q2\n\nAssistant: no", subset: "s2" },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n");
    try {
      const r = await as("researcher").research.evaluate({ modelId: model.id, fileName: "mine.jsonl", content, subsetField: "subset" });
      expect(r.n).toBe(2);
      expect(Object.keys(r.subsets)).toEqual(["s1", "s2"]);
      expect(r.accuracy === 0 || r.accuracy === 0.5 || r.accuracy === 1).toBe(true);
      await expect(
        as("researcher").research.evaluate({ modelId: model.id, fileName: "mine.jsonl", content: '{"prompt": "p", "chosen": "a"}' }),
      ).rejects.toThrow(/^mine\.jsonl, line 1, field rejected/);
      await expect(as("annotator").research.evaluate({ modelId: model.id, fileName: "x.jsonl", content })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    } finally {
      await getScoringPool().close();
    }
  });
  it("lists models with their held-out verdict and rounds (trained on, generated)", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "rounds" });
    const id = addAnnotator(db, "res");
    const caller = createCaller({ db, user: { id, email: "r@test.local", name: "res", role: "researcher" } });
    const config = { meta: { data: { policies: { rounds: [1] } } } };
    const model = db
      .insert(models)
      .values({ name: "m", base: "tiny", dir: "/m", config, metrics: { eval_accuracy: 0.3, eval_pairs: 40 } })
      .returning()
      .get();
    const job = db.insert(jobs).values({ projectId: p.id, kind: "generate", config: {} }).returning().get();
    db.insert(rounds)
      .values({
        projectId: p.id,
        number: 2,
        jobId: job.id,
        generators: [],
        params: {},
        rewardModelId: model.id,
        promptsSha256: "x",
        promptCount: 1,
      })
      .run();
    const [listed] = await caller.research.models();
    expect(listed?.verdict.level).toBe("below");
    expect(listed?.rounds).toEqual({
      roundFilter: [1],
      trainedOn: [],
      outsideRounds: 0,
      recorded: false,
      generated: [{ projectId: p.id, round: 2, role: "reward-model" }],
    });
  });
});
