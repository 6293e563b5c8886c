import fs from "node:fs";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobJudgments, judgments, models, responseScores, responses } from "@/db/schema";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import {
  chanceVerdict,
  computeHeldOutAgreement,
  jobJudgmentIds,
  verdictFromMetrics,
  wilsonInterval,
} from "@/server/domain/training/held-out";
import { createTrainJob } from "@/server/jobs/jobs";
import { memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";

describe("chance verdict", () => {
  it("flags at or below chance, is unsure when the interval reaches 50 %, passes clear wins", () => {
    expect(chanceVerdict(0.42, 100)).toMatchObject({
      level: "below",
      tips: expect.arrayContaining([expect.stringMatching(/pretrained base/)]),
    });
    expect(chanceVerdict(0.5, 1000).level).toBe("below");
    expect(chanceVerdict(0.6, 20).level).toBe("uncertain");
    expect(chanceVerdict(0.8, 200)).toMatchObject({ level: "above", tips: [] });
    expect(chanceVerdict(null, 0).level).toBe("unknown");
    const [lo, hi] = wilsonInterval(80, 100);
    expect(lo).toBeCloseTo(0.7111, 3);
    expect(hi).toBeCloseTo(0.8666, 3);
  });

  it("reads a job's held-out accuracy and its recorded held-out count", () => {
    const config = { meta: { data: { split: { eval_judgments: 30 } } } };
    expect(verdictFromMetrics({ eval_accuracy: 0.4 }, config)).toMatchObject({ level: "below", n: 30 });
    expect(verdictFromMetrics({}, config).level).toBe("unknown");
  });
});

describe("held-out agreement", () => {
  it("records the job's train and held-out judgments and reports model-vs-humans on each apart", () => {
    process.env.ARBITER_JOBS_DIR = tempDir();
    const db = memoryDb();
    const p = createProject(db, { name: "honest" });
    const lines = Array.from({ length: 20 }, (_, i) => ({
      id: `h${i}`,
      prompt: `q${i}?`,
      responses: [
        { model: "x", text: `good ${i}` },
        { model: "y", text: `bad ${i}` },
      ],
      judgments: [{ annotator: "j1", winner: "a" }],
    }));
    expect(importItems(db, { projectId: p.id, file: writeJsonl(lines) }).errorCount).toBe(0);
    const job = createTrainJob(db, { projectId: p.id, evalFraction: 0.25, seed: 3 });
    const ids = jobJudgmentIds(db, job.id);
    expect(ids.eval).toHaveLength(5);
    expect(ids.train).toHaveLength(15);
    expect(job.config).toMatchObject({ meta: { data: { split: { eval_items: 5, train_items: 15, eval_judgments: 5 } } } });
    // Every training row carries the split the job recorded.
    const evalSet = new Set(ids.eval);
    const fileRows = fs
      .readFileSync(String(job.config.train_file), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { split: string; judgment_ids: number[] });
    for (const r of fileRows) expect(r.split).toBe(r.judgment_ids.every((id) => evalSet.has(id)) ? "eval" : "train");

    // A model that memorised its training items and gets every held-out item wrong.
    const model = db
      .insert(models)
      .values({ name: "m", projectId: p.id, jobId: job.id, base: "tiny", dir: "/nonexistent" })
      .returning()
      .get();
    const itemOf = new Map(
      db
        .select({ id: judgments.id, itemId: judgments.itemId })
        .from(judgments)
        .all()
        .map((j) => [j.id, j.itemId]),
    );
    const heldItems = new Set(ids.eval.map((id) => itemOf.get(id)));
    for (const r of db.select().from(responses).all()) {
      const right = r.idx === 0 ? 1 : -1;
      const reward = heldItems.has(r.itemId) ? -right : right;
      db.insert(responseScores).values({ modelId: model.id, responseId: r.id, reward, rewardRaw: reward }).run();
    }
    const a = computeHeldOutAgreement(db, { projectId: p.id, modelId: model.id });
    expect(a).toMatchObject({
      recorded: true,
      heldOut: { agreement: 0, n: 5 },
      trainedOn: { agreement: 100, n: 15 },
      outsideData: { n: 0 },
      notTrainedOn: { agreement: 0, n: 5 },
      verdict: { level: "below" },
    });

    // A model whose job recorded no split: everything is outside its (unknown) data.
    db.delete(jobJudgments).where(eq(jobJudgments.jobId, job.id)).run();
    expect(computeHeldOutAgreement(db, { projectId: p.id, modelId: model.id })).toMatchObject({
      recorded: false,
      outsideData: { n: 20, agreement: 75 },
      trainedOn: { n: 0 },
    });
    delete process.env.ARBITER_JOBS_DIR;
  });
});
