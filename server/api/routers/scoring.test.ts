/** The scoring router end to end: a real tiny model directory, real serve workers, a real database. */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { models } from "@/db/schema";
import { createCaller } from "@/server/api/root";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { getScoringPool } from "@/server/jobs/scoring";
import { addAnnotator, memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { writeTinyModel } from "@/server/testing/tiny-model";

afterAll(() => getScoringPool().close());

describe("scoring router", () => {
  it("scores playground candidates, scores a project as a job, compares with humans and reorders the queue", {
    timeout: 120_000,
  }, async () => {
    const db = memoryDb();
    const dir = writeTinyModel(path.join(tempDir(), "model"));
    const model = db.insert(models).values({ name: "tiny", base: "tiny", dir }).returning().get();
    const project = createProject(db, { name: "p", overlap: 2 });
    const lines = Array.from({ length: 30 }, (_, i) => ({
      prompt: `question ${i}?`,
      responses: [
        { model: "x", text: `answer ${"a".repeat(i)}` },
        { model: "y", text: `reply ${"b".repeat(30 - i)}` },
      ],
      judgments:
        i < 20
          ? [
              { annotator: "j1", winner: "a" },
              { annotator: "j2", winner: i % 3 ? "a" : "b" },
            ]
          : undefined,
    }));
    expect(importItems(db, { projectId: project.id, file: writeJsonl(lines) }).errorCount).toBe(0);
    const id = addAnnotator(db, "res");
    const caller = createCaller({ db, user: { id, email: "r@test.local", name: "res", role: "researcher" } });

    const scored = await caller.scoring.score({ modelId: model.id, prompt: "Hi?", responses: ["Hello!", "Hi.", "**bold** answer"] });
    expect(scored.rewards).toHaveLength(3);
    expect(scored.ranked.map((c) => c.index).sort()).toEqual([0, 1, 2]);
    expect(scored.matrix[1]?.[1]).toBe(0.5);
    const again = await caller.scoring.score({ modelId: model.id, prompt: "Hi?", responses: ["Hello!"] });
    expect(again.rewards[0]?.reward).toBeCloseTo(scored.rewards[0]?.reward ?? Number.NaN, 4);
    await expect(caller.scoring.score({ modelId: 999, prompt: "Hi?", responses: ["x"] })).rejects.toThrow(/model 999 does not exist/);
    await expect(caller.scoring.score({ modelId: model.id, prompt: "Hi?", responses: [] })).rejects.toThrow(/at least one response/);

    const job = await caller.scoring.scoreProject({ projectId: project.id, modelId: model.id, scope: "judged" });
    expect(job.kind).toBe("score");
    await expect.poll(async () => (await caller.research.job({ jobId: job.id })).job.state, { timeout: 60_000 }).toBe("succeeded");
    expect((await caller.research.job({ jobId: job.id })).job.metrics).toEqual({ scored: 40, cached: 0, total: 40 });
    // the training page's job list stays training jobs only
    expect((await caller.research.jobs()).map((j) => j.id)).not.toContain(job.id);

    const vs = await caller.scoring.modelVsHumans({ projectId: project.id, modelId: model.id });
    expect(vs.scoredItems).toBe(20);
    expect(vs.overall.n).toBe(40);
    expect(vs.humanHuman.items).toBe(20);

    const r = await caller.scoring.reorderQueue({ projectId: project.id, strategy: "uncertainty", modelId: model.id, randomShare: 0 });
    expect(r.reordered).toBe(10);
    expect(r.unscored).toBe(0);
    const margins = r.next.map((n) => n.margin as number);
    expect(margins.every((m) => typeof m === "number")).toBe(true);
    expect(margins).toEqual([...margins].sort((a, b) => a - b));
    expect((await caller.scoring.queue({ projectId: project.id, modelId: model.id, limit: 3 })).map((n) => n.item)).toEqual(
      r.next.slice(0, 3).map((n) => n.item),
    );
  });
});
