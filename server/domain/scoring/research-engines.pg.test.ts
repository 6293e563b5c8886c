/**
 * Research, scoring and stored-export listings are written once and must behave the same on both
 * engines: the same seeded data (twinDatabases) gives the same jobs, models, rounds, held-out splits,
 * snapshots and diffs; scoring stores the same rewards (a second run racing the first upserts over
 * them); the scored dataset is byte-identical (doubles survive PostgreSQL); model-vs-humans and
 * held-out agreement agree; the active-learning reorder writes the same queue positions, counter and
 * audit event; and a score job on the real worker ends in the same state.
 */
import fs from "node:fs";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditEvents,
  gold,
  items,
  jobEvents,
  jobs,
  models,
  projects,
  responseScores,
  rounds,
  snapshotJudgments,
  snapshots,
} from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import type { Db } from "@/server/db";
import { openPg } from "@/server/db-pg";
import { leaseNextItem } from "@/server/domain/assignment";
import {
  createStoredExport,
  diffSnapshots,
  exportsDir,
  getSnapshotDownload,
  listSnapshots,
  openSnapshotFile,
} from "@/server/domain/export/snapshots";
import { importItems } from "@/server/domain/import/import-items";
import { submitAndLeaseNext } from "@/server/domain/judgments";
import { createProject } from "@/server/domain/projects";
import { computeHeldOutAgreement, jobJudgmentIds, loadJobSplit } from "@/server/domain/training/held-out";
import { modelRounds } from "@/server/domain/training/model-rounds";
import { createTrainJob, getModel, listJobEvents, listJobs, listModels } from "@/server/jobs/jobs";
import { ScoringPool, startProjectScoring } from "@/server/jobs/scoring";
import { expectSameOnBoth, type Twins, twinDatabases } from "@/server/testing/engines";
import { addAnnotator, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { writeTinyModel } from "@/server/testing/tiny-model";
import { listPlaygroundItems, loadItemsContent } from "./playground";
import {
  computeModelVsHumans,
  getScoringModel,
  loadItemRewards,
  peekQueue,
  reorderQueue,
  type ScoreFn,
  scoreProjectResponses,
  writeScoredDataset,
} from "./project-scores";

type Seed = {
  project: number;
  job: number;
  rm: number;
  rm2: number;
  tiny: number;
  broken: number;
  snapshots: [number, number];
  annotators: number[];
};

const saved = {
  jobs: process.env.ARBITER_JOBS_DIR,
  exports: process.env.ARBITER_EXPORTS_DIR,
  key: process.env.ARBITER_PSEUDONYM_KEY,
};

/** 16 items (0–9 judged by three annotators, 10–15 open), a gold item, a training job, four models, a round, two snapshots. */
function seed(db: Db): Seed {
  const project = createProject(db, { name: "research", criteria: ["helpful"], overlap: 3 });
  const lines = Array.from({ length: 16 }, (_, i) => ({
    id: `x${i}`,
    prompt: i % 4 === 0 ? [{ role: "user", content: `chat ${i}` }] : `q${i}`,
    responses: [
      { model: "m1", text: i % 2 ? `good answer ${"!".repeat(i)}` : `meh ${"?".repeat(i)}` },
      { model: "m2", text: i % 2 ? `meh ${"?".repeat(i)}` : `good one ${"!".repeat(16 - i)}` },
    ],
    judgments:
      i < 10
        ? [
            { annotator: "judge-a", winner: i % 2 ? "a" : "b" },
            { annotator: "judge-b", winner: i % 2 ? "a" : "b", criteria: { helpful: i % 2 ? "a" : "b" } },
            { annotator: "judge-c", winner: "a" },
          ]
        : undefined,
  }));
  const imported = importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  if (imported.errorCount) throw new Error(JSON.stringify(imported.errors));
  const itemIds = db
    .select({ id: items.id })
    .from(items)
    .orderBy(asc(items.id))
    .all()
    .map((r) => r.id);
  db.insert(gold)
    .values({ itemId: itemIds[0] as number, accepted: ["b"] })
    .run();
  const job = createTrainJob(db, { projectId: project.id, evalFraction: 0.3, seed: 5 });
  for (const [type, step] of [
    ["progress", 1],
    ["progress", 2],
    ["eval", 2],
  ] as const) {
    db.insert(jobEvents)
      .values({ jobId: job.id, type, payload: { type, step, loss: 0.5 / step } })
      .run();
  }
  db.update(jobs)
    .set({ state: "succeeded", metrics: { eval_accuracy: 0.625, eval_pairs: 8 } })
    .where(eq(jobs.id, job.id))
    .run();
  const addModel = (name: string, jobId: number | null, dir: string) =>
    db
      .insert(models)
      .values({
        name,
        projectId: project.id,
        jobId,
        base: "tiny",
        dir,
        config: jobId === null ? {} : job.config,
        metrics: { eval_accuracy: 0.625 },
      })
      .returning()
      .get().id;
  const rm = addModel("rm", job.id, "/models/rm");
  const rm2 = addModel("rm2", null, "/models/rm2");
  const tiny = addModel("tiny", null, writeTinyModel(path.join(tempDir(), "tiny")));
  const broken = addModel("broken", null, path.join(tempDir(), "no-model-here"));
  // A sampling round that made items x1–x4, with rm in the loop and rm2 as its local generator.
  const generate = db.insert(jobs).values({ projectId: project.id, kind: "generate", config: {}, state: "succeeded" }).returning().get();
  const round = db
    .insert(rounds)
    .values({
      projectId: project.id,
      number: 1,
      jobId: generate.id,
      generators: [{ id: 1, name: "G", kind: "local", model: "/models/rm2", url: null, version: null }],
      params: {},
      rewardModelId: rm,
      promptsSha256: "0".repeat(64),
      promptCount: 4,
    })
    .returning()
    .get();
  for (const id of itemIds.slice(1, 5)) db.update(items).set({ roundId: round.id }).where(eq(items.id, id)).run();
  // Two snapshots whose lineages overlap; only the second was stored for download.
  const judgmentIds = jobJudgmentIds(db, job.id);
  const all = [...judgmentIds.train, ...judgmentIds.eval].sort((a, b) => a - b);
  const snapshotIds = [all.slice(0, 20), all.slice(5)].map((used, n) => {
    const s = db
      .insert(snapshots)
      .values({
        projectId: project.id,
        format: n ? "csv" : "trl",
        policies: { ties: "drop" },
        rowCount: used.length,
        sha256: `${n}`.repeat(64),
      })
      .returning()
      .get();
    db.insert(snapshotJudgments)
      .values(used.map((judgmentId) => ({ snapshotId: s.id, judgmentId })))
      .run();
    return s.id;
  }) as [number, number];
  fs.mkdirSync(exportsDir(), { recursive: true });
  fs.writeFileSync(path.join(exportsDir(), `snapshot-${snapshotIds[1]}.csv`), "a,b\n1,2\n");
  const annotators = Array.from({ length: 6 }, (_, i) => addAnnotator(db, `annotator-${i}`));
  return { project: project.id, job: job.id, rm, rm2, tiny, broken, snapshots: snapshotIds, annotators };
}

let twins: Twins<Seed>;
let s: Seed;

beforeAll(async () => {
  process.env.ARBITER_JOBS_DIR = tempDir();
  process.env.ARBITER_EXPORTS_DIR = tempDir();
  process.env.ARBITER_PSEUDONYM_KEY = "research-engines-key-0123456789";
  twins = await twinDatabases("research", seed);
  s = twins.seed;
}, 60_000);
afterAll(async () => {
  await twins?.close();
  for (const [name, value] of [
    ["ARBITER_JOBS_DIR", saved.jobs],
    ["ARBITER_EXPORTS_DIR", saved.exports],
    ["ARBITER_PSEUDONYM_KEY", saved.key],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Calls `f` on both engines; expects the same value (or the same error message) and returns it. */
async function same<T>(f: (db: AnyDb) => T | Promise<T>): Promise<T> {
  const settle = async (db: AnyDb) => {
    try {
      return { ok: true as const, value: await f(db) };
    } catch (e) {
      return { ok: false as const, error: (e as Error).message };
    }
  };
  const lite = await settle(twins.lite);
  const pg = await settle(twins.pg);
  expectSameOnBoth(pg, lite);
  if (!lite.ok) throw new Error(lite.error);
  return lite.value;
}

async function sameError(f: (db: AnyDb) => unknown): Promise<string> {
  const messages: string[] = [];
  for (const db of [twins.lite, twins.pg] as AnyDb[]) {
    try {
      await f(db);
      messages.push("(no error)");
    } catch (e) {
      messages.push((e as Error).message);
    }
  }
  expect(messages[1]).toBe(messages[0]);
  return messages[0] as string;
}

/** Stored rewards, keyed by response id (the same ids on both engines). */
const storedScores = (db: AnyDb) =>
  runOp(db, function* (c) {
    return yield* c.all(
      c.q
        .select({
          modelId: responseScores.modelId,
          responseId: responseScores.responseId,
          reward: responseScores.reward,
          rewardRaw: responseScores.rewardRaw,
        })
        .from(responseScores)
        .orderBy(asc(responseScores.modelId), asc(responseScores.responseId)),
    );
  });

/** A pure function of the text; `bias` tells two scorers apart. */
const scorer =
  (bias: number, gate?: () => Promise<unknown>): ScoreFn =>
  async (inputs, onProgress) => {
    await gate?.();
    onProgress?.(inputs.length, inputs.length);
    return inputs.map(({ prompt, response }) => {
      const raw = (response.includes("good") ? 2 : 0) + response.length / 1000 + JSON.stringify(prompt).length / 1e6 + bias;
      return { reward: raw / 3 - 1 / 7, reward_raw: raw };
    });
  };

describe("research reads on SQLite and PostgreSQL", () => {
  it("jobs, events, models, rounds, splits and playground items are the same", async () => {
    await same((db) => listJobs(db));
    const train = await same((db) => listJobs(db, 10, "train"));
    expect(train.map((j) => j.id)).toEqual([s.job]);
    const events = await same((db) => listJobEvents(db, s.job));
    expect(events.map((e) => e.type)).toEqual(["progress", "progress", "eval"]);
    expect(await same((db) => listJobEvents(db, s.job, events[0]?.id))).toEqual(events.slice(1));
    const list = await same((db) => listModels(db));
    expect(list.map((m) => m.id)).toEqual([s.broken, s.tiny, s.rm2, s.rm]);
    await same((db) => getModel(db, s.rm));
    expect(await sameError((db) => getModel(db, 999))).toMatch(/no model 999/);
    const rounds = await same((db) => modelRounds(db, list));
    expect(rounds.get(s.rm)).toMatchObject({ recorded: true, generated: [{ round: 1, role: "reward-model" }] });
    expect(rounds.get(s.rm)?.trainedOn.length).toBeGreaterThan(0);
    expect(rounds.get(s.rm2)?.generated).toEqual([{ projectId: s.project, round: 1, role: "generator" }]);
    const split = await same((db) => loadJobSplit(db, s.job));
    expect(split?.eval.size).toBeGreaterThan(0);
    expect(await same((db) => loadJobSplit(db, 999))).toBeNull();
    await same((db) => jobJudgmentIds(db, s.job));
    await same((db) => getScoringModel(db, s.rm));
    expect(await sameError((db) => getScoringModel(db, 999))).toMatch(/model 999 does not exist/);
    const playground = await same((db) => listPlaygroundItems(db, { projectId: s.project, limit: 5 }));
    expect(playground.map((p) => p.externalId)).toEqual(["x0", "x1", "x2", "x3", "x4"]);
    expect(await same((db) => loadItemsContent(db, [playground[3]?.id ?? 0, playground[0]?.id ?? 0, 999]))).toEqual([
      playground[3],
      playground[0],
    ]);
    expect(await same((db) => loadItemsContent(db, []))).toEqual([]);
  });

  it("snapshots: list, download name, bytes and diff are the same; a stored export lists as downloadable", async () => {
    const [first, second] = s.snapshots;
    const listed = await same((db) => listSnapshots(db, s.project));
    expect(listed.map((x) => [x.id, x.downloadable])).toEqual([
      [second, true],
      [first, false],
      [1, false], // the training job's (trainer-jsonl)
    ]);
    expect(await same((db) => getSnapshotDownload(db, second))).toMatchObject({ format: "csv", size: 8 });
    expect(await sameError((db) => getSnapshotDownload(db, first))).toMatch(/not stored for download/);
    expect(await sameError((db) => openSnapshotFile(db, 999))).toMatch(/snapshot 999 does not exist/);
    for (const db of [twins.lite, twins.pg] as AnyDb[]) {
      const stream = await openSnapshotFile(db, second);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe("a,b\n1,2\n");
    }
    const diff = await same((db) => diffSnapshots(db, { projectId: s.project, from: first, to: second }));
    expect(diff).toMatchObject({ removed: 5, kept: 15 });
    expect(await sameError((db) => diffSnapshots(db, { projectId: 999, from: first, to: second }))).toMatch(/not in project 999/);

    const stored = await same((db) => createStoredExport(db, { projectId: s.project, format: "trl" }));
    // The new snapshot's created_at is each engine's own clock: left out.
    const after = await same(async (db) => (await listSnapshots(db, s.project)).map(({ createdAt: _, ...x }) => x));
    expect(after[0]).toMatchObject({ id: stored.snapshot, downloadable: true, rowCount: stored.rows });
  });
});

describe("scoring on SQLite and PostgreSQL", () => {
  it("stores the same rewards; a run racing another upserts over its scores", async () => {
    for (const db of [twins.lite, twins.pg] as AnyDb[]) {
      const progress: number[][] = [];
      const r = await scoreProjectResponses(db, {
        projectId: s.project,
        modelId: s.rm,
        scope: "judged",
        score: scorer(0),
        onProgress: (d, t) => progress.push([d, t]),
      });
      expect(r).toEqual({ scored: 20, cached: 0, total: 20 });
      expect(progress).toEqual([
        [0, 20],
        [20, 20],
        [20, 20],
      ]);
      // Two runs over the open items at once: both read the same unscored page; the later one's rewards win.
      let enteredB: () => void = () => {};
      const bInScorer = new Promise<void>((resolve) => {
        enteredB = resolve;
      });
      let aDone: Promise<unknown> = Promise.resolve();
      const a = scoreProjectResponses(db, { projectId: s.project, modelId: s.rm, scope: "open", score: scorer(0, () => bInScorer) });
      aDone = a;
      const b = scoreProjectResponses(db, {
        projectId: s.project,
        modelId: s.rm,
        scope: "open",
        score: scorer(0.5, async () => {
          enteredB();
          await aDone;
        }),
      });
      expect(await Promise.all([a, b])).toEqual([
        { scored: 12, cached: 0, total: 12 },
        { scored: 12, cached: 0, total: 12 },
      ]);
      await expect(scoreProjectResponses(db, { projectId: s.project, modelId: 999, scope: "all", score: scorer(0) })).rejects.toThrow(
        /model 999 does not exist/,
      );
      await scoreProjectResponses(db, { projectId: s.project, modelId: s.rm2, scope: "all", score: scorer(0.25) });
    }
    const lite = await storedScores(twins.lite);
    expectSameOnBoth(await storedScores(twins.pg), lite);
    expect(lite).toHaveLength(64);
    // The open items' 24 rewards are the second run's (bias 0.5: a fractional part from 0.5 up).
    expect(lite.filter((x) => x.modelId === s.rm && x.rewardRaw % 1 >= 0.5)).toHaveLength(12);
    await same((db) => loadItemRewards(db, s.project, s.rm));
  });

  it("writes the same scored dataset, byte for byte", async () => {
    const dir = tempDir();
    const liteOut = path.join(dir, "lite.jsonl");
    const pgOut = path.join(dir, "pg.jsonl");
    const a = writeScoredDataset(twins.lite, { projectId: s.project, modelId: s.rm, out: liteOut });
    const b = await writeScoredDataset(twins.pg, { projectId: s.project, modelId: s.rm, out: pgOut });
    expect(b).toEqual(a);
    expect(a.rows).toBe(32);
    expect(fs.readFileSync(pgOut, "utf8")).toBe(fs.readFileSync(liteOut, "utf8"));
    expect(await sameError((db) => writeScoredDataset(db, { projectId: s.project, modelId: 999, out: path.join(dir, "x") }))).toMatch(
      /model 999/,
    );
  });

  it("model vs humans and held-out agreement are the same", async () => {
    const vs = await same((db) => computeModelVsHumans(db, { projectId: s.project, modelId: s.rm, disagreements: 5 }));
    expect(vs.judgedItems).toBe(9); // the gold item is left out
    expect(vs.scoredItems).toBe(9);
    const held = await same((db) => computeHeldOutAgreement(db, { projectId: s.project, modelId: s.rm }));
    expect(held.recorded).toBe(true);
    expect(held.heldOut.n + held.trainedOn.n + held.outsideData.n).toBe(vs.overall.n);
    expect(await same((db) => computeHeldOutAgreement(db, { projectId: s.project, modelId: s.rm2 }))).toMatchObject({ recorded: false });
  });

  it("reorders the queue the same way: positions, counter and audit event", async () => {
    const queueState = (db: AnyDb) =>
      runOp(db, function* (c) {
        const queue = yield* c.all(
          c.q
            .select({ externalId: items.externalId, queuePos: items.queuePos })
            .from(items)
            .where(eq(items.projectId, s.project))
            .orderBy(asc(items.queuePos), asc(items.id)),
        );
        const project = yield* c.first(c.q.select({ queueSeq: projects.queueSeq }).from(projects).where(eq(projects.id, s.project)));
        const audit = yield* c.all(
          c.q
            .select({ actorId: auditEvents.actorId, action: auditEvents.action, detail: auditEvents.detail })
            .from(auditEvents)
            .where(eq(auditEvents.action, "queue.reorder"))
            .orderBy(asc(auditEvents.id)),
        );
        return { queue, project, audit };
      });
    expect(await same((db) => peekQueue(db, { projectId: s.project, modelId: s.rm, limit: 4 }))).toHaveLength(4);
    const base = { projectId: s.project, randomShare: 0.3, seed: 11 };
    const byUncertainty = await same((db) => reorderQueue(db, { ...base, strategy: "uncertainty", modelId: s.rm }));
    expect(byUncertainty.reordered).toBe(6);
    await same((db) => reorderQueue(db, { ...base, strategy: "disagreement", modelId: s.rm, versusModelId: s.rm2 }));
    await same((db) => reorderQueue(db, { ...base, strategy: "random" }));
    expect(await sameError((db) => reorderQueue(db, { ...base, strategy: "uncertainty" }))).toMatch(/needs a model/);
    expect(await sameError((db) => reorderQueue(db, { ...base, strategy: "disagreement", modelId: s.rm }))).toMatch(/second model/);
    const next = await same((db) => peekQueue(db, { projectId: s.project, modelId: s.rm, limit: 20 }));
    expect(next).toHaveLength(6);
    const lite = await queueState(twins.lite);
    expectSameOnBoth(await queueState(twins.pg), lite);
    expect(lite.audit).toHaveLength(3);
    expect(next.map((n) => n.external_id)).toEqual(lite.queue.slice(-6).map((q) => q.externalId));
  });

  it("a score job on the real worker ends the same on both engines", { timeout: 120_000 }, async () => {
    const pool = new ScoringPool({ device: "cpu" });
    try {
      const results = [];
      for (const db of [twins.lite, twins.pg] as AnyDb[]) {
        const { job, done } = await startProjectScoring(db, { projectId: s.project, modelId: s.tiny, scope: "all" }, pool);
        expect(job).toMatchObject({ kind: "score", state: "running" });
        const end = await done;
        const { id: _id, createdAt: _c, startedAt: _s, finishedAt: _f, ...rest } = end;
        results.push(rest);
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0]).toMatchObject({
        state: "succeeded",
        metrics: { scored: 32, cached: 0, total: 32 },
        progress: { done: 32, total: 32 },
      });
      const cached = await startProjectScoring(twins.pg, { projectId: s.project, modelId: s.rm2, scope: "all" }, pool);
      expect(await cached.done).toMatchObject({ state: "succeeded", metrics: { scored: 0, cached: 32, total: 32 } });
      for (const db of [twins.lite, twins.pg] as AnyDb[]) {
        const broken = await startProjectScoring(db, { projectId: s.project, modelId: s.broken, scope: "open" }, pool);
        expect(await broken.done).toMatchObject({ state: "failed", error: expect.stringMatching(/cannot be loaded/) });
      }
      await expect(startProjectScoring(twins.pg, { projectId: s.project, modelId: 999, scope: "all" }, pool)).rejects.toThrow(/model 999/);
    } finally {
      await pool.close();
    }
    const tinyScores = async (db: AnyDb) => (await storedScores(db)).filter((x) => x.modelId === s.tiny);
    const lite = await tinyScores(twins.lite);
    const pg = await tinyScores(twins.pg);
    expect(pg.map((x) => x.responseId)).toEqual(lite.map((x) => x.responseId));
    pg.forEach((x, i) => {
      expect(x.reward).toBeCloseTo(lite[i]?.reward ?? Number.NaN, 5);
    });
  });

  it("PostgreSQL: reorders while annotators on another instance lease and submit; every slot is judged once, positions stay distinct", {
    timeout: 120_000,
  }, async () => {
    const other = await openPg(twins.url, { max: 4 });
    try {
      const open = async () =>
        runOp(twins.pg, function* (c) {
          return yield* c.all(
            c.q
              .select({ id: items.id, openSlots: items.openSlots, queuePos: items.queuePos })
              .from(items)
              .where(eq(items.projectId, s.project)),
          );
        });
      const slots = (await open()).reduce((n, r) => n + r.openSlots, 0);
      expect(slots).toBe(18);
      let submitted = 0;
      const annotate = async (userId: number) => {
        let lease = await leaseNextItem(other, { projectId: s.project, userId });
        for (let n = 0; lease.status === "item"; n++) {
          const next = await submitAndLeaseNext(other, {
            userId,
            projectId: s.project,
            submission: {
              assignmentId: lease.item.assignmentId,
              clientSubmissionId: `${userId}-${n}`,
              outcome: "a",
              strength: 2,
              criteria: { helpful: "a" },
            },
          });
          expect(next.result.duplicate).toBe(false);
          submitted++;
          lease = next.lease;
        }
      };
      const reorder = async () => {
        for (let seed = 0; seed < 8; seed++) {
          await reorderQueue(twins.pg, { projectId: s.project, strategy: "random", randomShare: 0, seed });
        }
      };
      await Promise.all([...s.annotators.map(annotate), reorder()]);
      expect(submitted).toBe(slots);
      const after = await open();
      expect(after.every((r) => r.openSlots === 0)).toBe(true);
      expect(new Set(after.map((r) => r.queuePos)).size).toBe(after.length);
      const project = await runOp(twins.pg, function* (c) {
        return yield* c.first(c.q.select({ queueSeq: projects.queueSeq }).from(projects).where(eq(projects.id, s.project)));
      });
      expect(Math.max(...after.map((r) => r.queuePos))).toBeLessThanOrEqual(project?.queueSeq ?? 0);
    } finally {
      await other.$client.end();
    }
  });
});
