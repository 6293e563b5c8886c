import { describe, expect, it } from "vitest";
import { items, jobs, models, responses, rounds } from "@/db/schema";
import type { Db } from "@/server/db";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { createTrainJob } from "@/server/jobs/jobs";
import { addAnnotator, memoryDb, pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { modelRounds, roundFilterOf } from "./model-rounds";

/** A sampling round of `projectId` that produced `n` judged pair items (as the generate runner writes them). */
function addRound(db: Db, projectId: number, number: number, judge: number, opts: { rewardModelId?: number; localModel?: string } = {}) {
  const job = db.insert(jobs).values({ projectId, kind: "generate", config: {}, state: "succeeded" }).returning().get();
  const round = db
    .insert(rounds)
    .values({
      projectId,
      number,
      jobId: job.id,
      generators: [
        { id: 1, name: "G", kind: opts.localModel ? "local" : "external", model: opts.localModel ?? "m", url: null, version: null },
      ],
      params: {},
      rewardModelId: opts.rewardModelId ?? null,
      promptsSha256: "0".repeat(64),
      promptCount: 4,
    })
    .returning()
    .get();
  for (let i = 0; i < 4; i++) {
    const item = db
      .insert(items)
      .values({
        projectId,
        externalId: `r${number}:p${i}`,
        prompt: `round ${number} prompt ${i}`,
        k: 2,
        queuePos: 1000 * number + i,
        openSlots: 0,
        roundId: round.id,
      })
      .returning()
      .get();
    db.insert(responses)
      .values([
        { itemId: item.id, idx: 0, model: "G", content: `good ${number}.${i}` },
        { itemId: item.id, idx: 1, model: "G", content: `bad ${number}.${i}` },
      ])
      .run();
    db.$client
      .prepare("INSERT INTO judgments (project_id, item_id, annotator_id, outcome, criteria, source) VALUES (?, ?, ?, 'a', '{}', 'import')")
      .run(projectId, item.id, judge);
  }
  return round;
}

function addModel(db: Db, jobId: number | null, config: Record<string, unknown>, dir: string) {
  return db
    .insert(models)
    .values({ name: `m${jobId}`, base: "tiny", dir, jobId, config })
    .returning()
    .get();
}

describe("modelRounds", () => {
  it("reads the rounds a model trained on from its job's train judgments, and the rounds it generated", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "rounds", overlap: 1 });
    // Two imported items (no round), judged once each.
    const imported = importItems(db, {
      projectId: p.id,
      file: writeJsonl([1, 2].map((n) => pairItem(n, { judgments: [{ annotator: "ext", winner: "a" }] }))),
    });
    expect(imported.errorCount).toBe(0);
    const judge = addAnnotator(db, "judge");
    addRound(db, p.id, 1, judge);
    addRound(db, p.id, 2, judge);
    const root = tempDir();

    // Round 2 only (`train --round 2`), nothing held out: its 4 judgments.
    const only2 = createTrainJob(
      db,
      { projectId: p.id, evalFraction: 0, data: { source: "filters", policies: { rounds: [2] } } },
      { root },
    );
    // Everything, 25 % of the items held out: train judgments spread over rounds 1, 2 and the imported items.
    const all = createTrainJob(db, { projectId: p.id, evalFraction: 0.25 }, { root });
    const m2 = addModel(db, only2.id, only2.config, "/models/only2");
    const mAll = addModel(db, all.id, all.config, "/models/all");
    const legacy = addModel(db, null, {}, "/models/legacy");

    // m2 is the reward model in the loop of round 3; mAll's folder is a local generator of round 4.
    addRound(db, p.id, 3, judge, { rewardModelId: m2.id });
    addRound(db, p.id, 4, judge, { localModel: "/models/all" });

    const r = modelRounds(db, [m2, mAll, legacy]);
    expect(r.get(m2.id)).toEqual({
      roundFilter: [2],
      trainedOn: [{ round: 2, judgments: 4 }],
      outsideRounds: 0,
      recorded: true,
      generated: [{ projectId: p.id, round: 3, role: "reward-model" }],
    });

    const a = r.get(mAll.id);
    expect(a?.roundFilter).toBeNull();
    expect(a?.generated).toEqual([{ projectId: p.id, round: 4, role: "generator" }]);
    // 10 items, 2-3 held out (whole items, seeded): the train split's judgments, counted per round.
    const trainJudgments = db.$client
      .prepare("SELECT COUNT(*) FROM job_judgments WHERE job_id = ? AND split = 'train'")
      .pluck()
      .get(all.id) as number;
    const counted = (a?.trainedOn ?? []).reduce((s, t) => s + t.judgments, 0) + (a?.outsideRounds ?? 0);
    expect(counted).toBe(trainJudgments);
    expect(trainJudgments).toBeLessThan(10);
    expect(a?.trainedOn.map((t) => t.round).every((n) => n === 1 || n === 2)).toBe(true);
    expect(a?.trainedOn.map((t) => t.round)).toEqual([...(a?.trainedOn.map((t) => t.round) ?? [])].sort());

    // A model without a job: nothing recorded, nothing generated.
    expect(r.get(legacy.id)).toEqual({ roundFilter: null, trainedOn: [], outsideRounds: 0, recorded: false, generated: [] });
    expect(modelRounds(db, []).size).toBe(0);
  });

  it("reads the --round filter from a job config, and ignores anything else", () => {
    expect(roundFilterOf({ meta: { data: { policies: { rounds: [3, 1] } } } })).toEqual([1, 3]);
    expect(roundFilterOf({ meta: { data: { policies: {} } } })).toBeNull();
    expect(roundFilterOf({ meta: { data: { policies: { rounds: ["1"] } } } })).toBeNull();
    expect(roundFilterOf({})).toBeNull();
  });
});
