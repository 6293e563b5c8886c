/** The db side of scoring with a stand-in scorer (a pure function of the text): the real worker is tested in server/jobs. */
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, gold, items, models, responseScores } from "@/db/schema";
import type { Db } from "@/server/db";
import { leaseNextItem } from "@/server/domain/assignment";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { addAnnotator, memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { computeModelVsHumans, peekQueue, reorderQueue, type ScoreFn, scoreProjectResponses, writeScoredDataset } from "./project-scores";
import { scoreJsonlFile } from "./score-file";

/** "good" answers score high; the length term makes every reward distinct. */
const fakeScore: ScoreFn = async (inputs, onProgress) => {
  onProgress?.(inputs.length, inputs.length);
  return inputs.map(({ prompt, response }) => {
    const raw = (response.includes("good") ? 2 : 0) + response.length / 1000 + prompt.length / 1e6;
    return { reward: raw - 1, reward_raw: raw };
  });
};

function setup(db: Db) {
  const project = createProject(db, { name: "p", criteria: ["helpful"], overlap: 3 });
  const lines = Array.from({ length: 12 }, (_, i) => ({
    id: `x${i}`,
    prompt: i % 4 === 0 ? [{ role: "user", content: `chat ${i}` }] : `q${i}`,
    responses: [
      { model: "m1", text: i % 2 ? `good answer ${"!".repeat(i)}` : `meh ${"?".repeat(i)}` },
      { model: "m2", text: i % 2 ? `meh ${"?".repeat(i)}` : `good one ${"!".repeat(12 - i)}` },
    ],
    // the humans prefer the good answer on items 0..7, except judge-c who always says "a"; 8..11 are unjudged
    judgments:
      i < 8
        ? [
            { annotator: "judge-a", winner: i % 2 ? "a" : "b" },
            { annotator: "judge-b", winner: i % 2 ? "a" : "b" },
            { annotator: "judge-c", winner: "a" },
          ]
        : undefined,
  }));
  const r = importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  expect(r.errorCount).toBe(0);
  const model = db.insert(models).values({ name: "rm", base: "tiny", dir: "/nowhere" }).returning().get();
  return { project, model };
}

describe("project scoring", () => {
  it("scores each response once, by scope, and stores the rewards", async () => {
    const db = memoryDb();
    const { project, model } = setup(db);
    let calls = 0;
    const counting: ScoreFn = (inputs, p) => {
      calls += inputs.length;
      return fakeScore(inputs, p);
    };
    const judged = await scoreProjectResponses(db, { projectId: project.id, modelId: model.id, scope: "judged", score: counting });
    expect(judged).toEqual({ scored: 16, cached: 0, total: 16 });
    const all = await scoreProjectResponses(db, { projectId: project.id, modelId: model.id, scope: "all", score: counting });
    expect(all).toEqual({ scored: 8, cached: 16, total: 24 });
    expect(calls).toBe(24);
    expect(db.select().from(responseScores).all()).toHaveLength(24);
    await expect(scoreProjectResponses(db, { projectId: project.id, modelId: 999, scope: "all", score: counting })).rejects.toThrow(
      /model 999 does not exist/,
    );
  });

  it("model vs humans on the stored scores", async () => {
    const db = memoryDb();
    const { project, model } = setup(db);
    await scoreProjectResponses(db, { projectId: project.id, modelId: model.id, scope: "judged", score: fakeScore });
    const r = computeModelVsHumans(db, { projectId: project.id, modelId: model.id });
    expect(r.judgedItems).toBe(8);
    expect(r.scoredItems).toBe(8);
    // judge-a and judge-b always pick the good answer (16 votes), judge-c only on odd items (4 of 8)
    expect(r.overall).toMatchObject({ agreement: (100 * 20) / 24, n: 24, ties: 0, unscored: 0 });
    expect(r.majority).toEqual({ agreement: 100, n: 8 });
    expect(r.byAnnotator.find((a) => a.annotator === "judge-c")).toMatchObject({ agreement: 50, n: 8 });
    expect(r.disagreements).toEqual([]);
    // a gold item (judged by everyone) is left out, as in the leaderboard
    const first = db.select({ id: items.id }).from(items).where(eq(items.externalId, "x0")).get();
    db.insert(gold)
      .values({ itemId: first?.id as number, accepted: ["b"] })
      .run();
    const withoutGold = computeModelVsHumans(db, { projectId: project.id, modelId: model.id });
    expect(withoutGold.judgedItems).toBe(7);
    expect(withoutGold.overall.n).toBe(21);
  });

  it("reorders the open queue by uncertainty, past every cursor, and the lease follows the new order", async () => {
    const db = memoryDb();
    const { project, model } = setup(db);
    const ann = addAnnotator(db, "ann");
    await scoreProjectResponses(db, { projectId: project.id, modelId: model.id, scope: "open", score: fakeScore });
    const r = reorderQueue(db, {
      projectId: project.id,
      strategy: "uncertainty",
      modelId: model.id,
      randomShare: 0,
      seed: 0,
      actorId: null,
    });
    // the 8 judged items have all 3 judgments (overlap 3): only the 4 unjudged are open
    expect(r.reordered).toBe(4);
    expect(r.unscored).toBe(0);
    const next = peekQueue(db, { projectId: project.id, modelId: model.id, limit: 12 });
    expect(next).toHaveLength(4);
    expect(next.map((n) => n.item)).not.toEqual([...next.map((n) => n.item)].sort((a, b) => a - b));
    const margins = next.map((n) => n.margin as number);
    expect(margins).toEqual([...margins].sort((a, b) => a - b));
    expect(next.map((n) => n.item)).toEqual(r.placements.map((p) => p.itemId));
    const leased = leaseNextItem(db, { userId: ann, projectId: project.id });
    expect(leased.status).toBe("item");
    const leasedItem = db.select({ id: items.id }).from(items).where(eq(items.openSlots, 2)).get();
    expect(leasedItem?.id).toBe(next[0]?.item);
    expect(db.select().from(auditEvents).where(eq(auditEvents.action, "queue.reorder")).all()).toHaveLength(1);
    expect(() => reorderQueue(db, { projectId: project.id, strategy: "uncertainty", randomShare: 0, seed: 0 })).toThrow(/needs a model/);
  });

  it("writes the scored dataset with prompt, response and reward", async () => {
    const db = memoryDb();
    const { project, model } = setup(db);
    await scoreProjectResponses(db, { projectId: project.id, modelId: model.id, scope: "all", score: fakeScore });
    const out = path.join(tempDir(), "scored.jsonl");
    const r = writeScoredDataset(db, { projectId: project.id, modelId: model.id, out });
    expect(r.rows).toBe(24);
    const rows = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows[0]).toMatchObject({ external_id: "x0", prompt: [{ role: "user", content: "chat 0" }], model: "m1", response_index: 0 });
    expect(rows.every((row) => typeof row.reward === "number" && typeof row.response === "string")).toBe(true);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });
});

describe("scoreJsonlFile", () => {
  it("keeps every input field and adds reward, in order", async () => {
    const dir = tempDir();
    const file = path.join(dir, "in.jsonl");
    const lines = Array.from({ length: 5000 }, (_, i) => ({
      prompt: i % 3 ? `p${i}` : [{ role: "user", content: `p${i}` }],
      response: i % 2 ? "good" : "bad",
      meta: { i },
    }));
    fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n\n`);
    const out = path.join(dir, "out.jsonl");
    const progress: number[] = [];
    const r = await scoreJsonlFile({ file, out, score: fakeScore, onProgress: (b) => progress.push(b) });
    expect(r.rows).toBe(5000);
    const got = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(got.map((g) => g.meta.i)).toEqual(lines.map((_, i) => i));
    expect(got[1]).toEqual({ ...lines[1], reward: 2 + 4 / 1000 + 2 / 1e6 - 1 });
    expect(progress.length).toBeGreaterThan(1);
  });

  it("a bad line names file, line and field, and leaves no output", async () => {
    const dir = tempDir();
    const file = path.join(dir, "bad.jsonl");
    fs.writeFileSync(file, `${JSON.stringify({ prompt: "p", response: "r" })}\n${JSON.stringify({ prompt: "p", response: 3 })}\n`);
    const out = path.join(dir, "out.jsonl");
    await expect(scoreJsonlFile({ file, out, score: fakeScore })).rejects.toThrow(/bad\.jsonl, line 2, field response: /);
    fs.writeFileSync(file, "{not json\n");
    await expect(scoreJsonlFile({ file, out, score: fakeScore })).rejects.toThrow(/line 1, field \(line\): not valid JSON/);
    fs.writeFileSync(file, `${JSON.stringify({ response: "r" })}\n`);
    await expect(scoreJsonlFile({ file, out, score: fakeScore })).rejects.toThrow(/line 1, field prompt: missing/);
    expect(fs.existsSync(out) || fs.existsSync(`${out}.partial`)).toBe(false);
  });
});
