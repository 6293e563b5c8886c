/**
 * An annotator's history and progress, gold, exclusions and the quality statistics are written once
 * and must give the same answers on both engines, numbers included: the same seeded data on a SQLite
 * file and on its PostgreSQL copy (twinDatabases) gives equal reads, and the same writes give equal
 * results, errors and rows. Then two app instances revise one judgment at once on PostgreSQL: the
 * chain does not fork, and a resend racing its original gets the original's judgment.
 */
import { and, asc, eq, isNotNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { annotatorExclusions, auditEvents, gold, items, judgments, projects, users } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import type { Db } from "@/server/db";
import { openPg, type PgDb } from "@/server/db-pg";
import { leaseNextItem } from "@/server/domain/assignment";
import { getGoldFeedback, listGoldCandidates, markGold, setQualityRates, unmarkGold } from "@/server/domain/gold";
import { importItems } from "@/server/domain/import/import-items";
import { getMyJudgment, listMyRecentJudgments, reviseJudgment } from "@/server/domain/judgment-history";
import { submitJudgment } from "@/server/domain/judgments";
import { createGroup, setUserGroup } from "@/server/domain/membership";
import { createProject, getAnnotatorProject, listAnnotatorProjects } from "@/server/domain/projects";
import { expectSameOnBoth, type Twins, twinDatabases } from "@/server/testing/engines";
import { seedProject, writeJsonl } from "@/server/testing/fixtures";
import { setAnnotatorExclusion } from "./exclusions";
import { computeGroupStats, loadUserGroups } from "./group-stats";
import { loadQualityData } from "./load-judgments";
import { getMyProgress } from "./my-progress";
import { computeProjectStats } from "./project-stats";

const T0 = 1_700_000_000_000;
/** Within every seeded judgment's revision window (a day). */
const NOW = T0 + 3_600_000;

type Seed = {
  admin: number;
  /** Pairwise, overlap 3, gold and repeats, a criterion, annotators in groups. */
  main: number;
  /** Three responses per item: rankings. */
  ranked: number;
  /** Imported judgments of external annotators only. */
  imported: number;
  annotators: Record<string, number>;
  goldItems: number[];
};

/** A seeded random source: the same leases every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function addUser(db: Db, name: string, role: "annotator" | "admin" = "annotator"): number {
  return db
    .insert(users)
    .values({ name, email: `${name.toLowerCase()}-${Math.random().toString(36).slice(2)}@test.local`, role })
    .returning({ id: users.id })
    .get().id;
}

/** Each annotator works through the project (gold, repeats and all) in fixed steps of time. */
function judgeAll(db: Db, projectId: number, userIds: number[], k: number, perUser: number) {
  const random = seeded(11);
  let now = T0;
  let n = 0;
  for (let round = 0; round < perUser; round++) {
    for (const userId of userIds) {
      now += 7_000;
      const lease = leaseNextItem(db, { projectId, userId, now, random });
      if (lease.status !== "item") continue;
      n += 1;
      const outcomes = ["a", "b", "tie", "both_bad", "a", "b"] as const;
      const submission =
        k === 2
          ? {
              outcome: outcomes[(n * 7 + userId) % outcomes.length],
              strength: 1 + (n % 4),
              criteria: { helpful: outcomes[(n + userId) % 4] },
            }
          : { ranking: n % 2 ? [0, 1, 2] : [2, 0, 1], strength: 1 + (n % 4) };
      submitJudgment(db, {
        userId,
        submission: {
          assignmentId: lease.item.assignmentId,
          clientSubmissionId: `seed-${projectId}-${n}`,
          timeOnTaskMs: 800 + ((n * 137) % 9_000),
          rationale: n % 3 ? `because ${n}` : undefined,
          ...submission,
        } as Parameters<typeof submitJudgment>[1]["submission"],
        now: now + 1_000,
      });
    }
  }
}

function seed(db: Db): Seed {
  const admin = addUser(db, "admin", "admin");
  // Names whose order differs between byte order and a linguistic collation, and a duplicate name.
  const names = ["alice", "Bob", "Zed", "émile", "bob", "_under", "bob"];
  const ids = names.map((n) => addUser(db, n));
  const annotators: Record<string, number> = {};
  names.forEach((n, i) => {
    annotators[i === 6 ? "bob2" : n] = ids[i] as number;
  });
  createGroup(db, { name: "experts", actorId: admin });
  createGroup(db, { name: "Crowd", actorId: admin });
  setUserGroup(db, { userId: annotators.alice as number, group: "experts" });
  setUserGroup(db, { userId: annotators.Bob as number, group: "experts" });
  setUserGroup(db, { userId: annotators.Zed as number, group: "Crowd" });
  setUserGroup(db, { userId: annotators.émile as number, group: "Crowd" });

  const main = seedProject(db, 40, { overlap: 3, goldRate: 0.2, repeatRate: 0.25, criteria: ["helpful"], leaseSeconds: 600 }).id;
  const mainItems = db.select({ id: items.id }).from(items).where(eq(items.projectId, main)).orderBy(asc(items.id)).all();
  const accepted = [["a"], ["b", "a:4"], ["tie"], ["both_bad", "a:1"]];
  const goldItems = mainItems.slice(0, 4).map((it, i) => {
    markGold(db, { itemId: it.id, accepted: accepted[i] as string[], explanation: `gold ${i} **explained**`, actorId: admin });
    return it.id;
  });
  judgeAll(db, main, ids, 2, 16);
  // Two revisions, one of them revised again: statistics and history read the latest.
  const aliceFirst = db
    .select({ id: judgments.id })
    .from(judgments)
    .where(and(eq(judgments.annotatorId, annotators.alice as number), eq(judgments.projectId, main)))
    .orderBy(asc(judgments.id))
    .all();
  const r1 = reviseJudgment(db, {
    userId: annotators.alice as number,
    revision: { judgmentId: aliceFirst[0]?.id as number, clientSubmissionId: "seed-rev-1", outcome: "b", strength: 3 },
    now: NOW,
  });
  reviseJudgment(db, {
    userId: annotators.alice as number,
    revision: { judgmentId: r1.judgmentId, clientSubmissionId: "seed-rev-2", outcome: "tie", criteria: { helpful: "a" } },
    now: NOW,
  });
  reviseJudgment(db, {
    userId: annotators.alice as number,
    revision: { judgmentId: aliceFirst[1]?.id as number, clientSubmissionId: "seed-rev-3", outcome: "both_bad" },
    now: NOW,
  });
  setAnnotatorExclusion(db, { projectId: main, userId: annotators.bob as number, excluded: true, reason: "clicks A", actorId: admin });
  setAnnotatorExclusion(db, { projectId: main, userId: annotators._under as number, excluded: true, reason: "", actorId: admin });

  const ranked = createProject(db, { name: "ranked", strengthScale: false }).id;
  const rankedLines = Array.from({ length: 6 }, (_, i) => ({
    id: `r${i}`,
    prompt: [
      { role: "system", content: "be brief" },
      { role: "user", content: `  Rank   these ${i}\nplease ` },
    ],
    responses: ["m1", "m2", "m3"].map((m) => ({ model: m, text: `${m} says ${"x".repeat(i + (m === "m2" ? 5 : 1))}` })),
  }));
  importItems(db, { projectId: ranked, file: writeJsonl(rankedLines) });
  judgeAll(db, ranked, ids.slice(0, 3), 3, 6);

  const imported = createProject(db, { name: "imported", criteria: ["helpful", "honest"] }).id;
  const winners = ["a", "b", "tie", "both_bad"] as const;
  const importedLines = Array.from({ length: 30 }, (_, i) => ({
    id: `x${i}`,
    prompt: `Imported ${i}?`,
    responses: [
      { model: i % 3 ? "gpt" : "claude", text: `first ${"y".repeat(i)}` },
      { model: i % 3 ? "claude" : "llama", text: `second ${i}` },
    ],
    judgments: ["judge-α", "Judge-B", "judge-a"].map((annotator, a) => ({
      annotator,
      winner: winners[(i * (a + 1)) % 4],
      criteria: { helpful: winners[(i + a) % 4], honest: winners[i % 2] },
      ...((i * (a + 1)) % 4 < 2 ? { strength: 1 + ((i + a) % 4) } : {}),
    })),
  }));
  const r = importItems(db, { projectId: imported, file: writeJsonl(importedLines) });
  if (r.errorCount) throw new Error(JSON.stringify(r.errors));
  return { admin, main, ranked, imported, annotators, goldItems };
}

/** A call's value, or its error as code and message: both engines must fail alike too. */
async function attempt<T>(f: () => T | Promise<T>): Promise<T | { error: string }> {
  try {
    return await f();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { error: `${err.code ?? "?"}: ${err.message}` };
  }
}

/** Maps as sorted entry lists, so toEqual compares them whole. */
function plain(data: Awaited<ReturnType<typeof loadQualityData>>) {
  return {
    judgments: data.judgments,
    responses: [...data.responses].sort((x, y) => x[0] - y[0]),
    gold: [...data.gold].sort((x, y) => x[0] - y[0]),
    excluded: data.excluded,
  };
}

async function ownJudgmentIds(db: AnyDb, userId: number): Promise<number[]> {
  return runOp(db, function* (c) {
    const rows = yield* c.all(
      c.q.select({ id: judgments.id }).from(judgments).where(eq(judgments.annotatorId, userId)).orderBy(asc(judgments.id)),
    );
    return rows.map((r) => r.id);
  });
}

/** Everything the converted reads answer, for one engine. */
async function reads(db: AnyDb, s: Seed) {
  const out: Record<string, unknown> = {};
  for (const projectId of [s.main, s.ranked, s.imported, 999]) {
    out[`annotatorProject-${projectId}`] = await attempt(() => getAnnotatorProject(db, projectId));
  }
  out.projectsAdmin = await listAnnotatorProjects(db, { id: s.admin, role: "admin" });
  for (const [name, userId] of Object.entries(s.annotators)) {
    out[`projects-${name}`] = await listAnnotatorProjects(db, { id: userId, role: "annotator" });
    out[`progress-${name}`] = await getMyProgress(db, userId);
    out[`recent-${name}`] = await listMyRecentJudgments(db, { userId, now: NOW });
    out[`recent-${name}-main-3`] = await listMyRecentJudgments(db, { userId, projectId: s.main, limit: 3, now: NOW });
    out[`recent-${name}-ranked`] = await listMyRecentJudgments(db, { userId, projectId: s.ranked, now: T0 + 86_400_000 * 2 });
    for (const judgmentId of await ownJudgmentIds(db, userId)) {
      out[`judgment-${name}-${judgmentId}`] = await getMyJudgment(db, { userId, judgmentId, now: NOW });
      out[`feedback-${name}-${judgmentId}`] = await getGoldFeedback(db, { userId, judgmentId });
    }
  }
  const alice = s.annotators.alice as number;
  const bobsFirst = (await ownJudgmentIds(db, s.annotators.Bob as number))[0] as number;
  out.othersJudgment = await attempt(() => getMyJudgment(db, { userId: alice, judgmentId: bobsFirst }));
  out.othersFeedback = await attempt(() => getGoldFeedback(db, { userId: alice, judgmentId: bobsFirst }));
  for (const goldOnly of [false, true]) {
    let after: number | undefined;
    const pages = [];
    for (let i = 0; i < 10; i++) {
      const page = await listGoldCandidates(db, { projectId: s.main, after, limit: 5, goldOnly });
      pages.push(page);
      if (page.next === null) break;
      after = page.next;
    }
    out[`goldPages-${goldOnly}`] = pages;
  }
  out.goldMissing = await attempt(() => listGoldCandidates(db, { projectId: 999 }));
  out.goldRanked = await listGoldCandidates(db, { projectId: s.ranked, limit: 100 });
  for (const projectId of [s.main, s.ranked, s.imported]) {
    out[`data-${projectId}`] = plain(await loadQualityData(db, projectId));
    out[`stats-${projectId}`] = await computeProjectStats(db, { projectId, posteriors: true, resamples: 20 });
    out[`groups-${projectId}`] = await attempt(() => computeGroupStats(db, { projectId, resamples: 10 }));
  }
  out.statsBaseline = await computeProjectStats(db, { projectId: s.imported, baseline: "claude", resamples: 15 });
  out.statsCriterion = await computeProjectStats(db, { projectId: s.imported, criterion: "honest", resamples: 15 });
  out.statsMainCriterion = await computeProjectStats(db, { projectId: s.main, criterion: "helpful", resamples: 15 });
  out.groupsBaseline = await computeGroupStats(db, { projectId: s.main, baseline: "model-y", criterion: "helpful", resamples: 10 });
  out.statsBadCriterion = await attempt(() => computeProjectStats(db, { projectId: s.main, criterion: "honest" }));
  out.statsBadBaseline = await attempt(() => computeProjectStats(db, { projectId: s.main, baseline: "nobody" }));
  out.groupsBadBaseline = await attempt(() => computeGroupStats(db, { projectId: s.main, baseline: "nobody" }));
  out.statsMissing = await attempt(() => computeProjectStats(db, { projectId: 999 }));
  out.userGroups = [...(await loadUserGroups(db))].sort((x, y) => x[0] - y[0]);
  return out;
}

/** The rows the writes touch, without the database's own timestamps. */
async function state(db: AnyDb) {
  return runOp(db, function* (c) {
    const q = c.q;
    return {
      judgments: yield* c.all(
        q
          .select({
            id: judgments.id,
            itemId: judgments.itemId,
            assignmentId: judgments.assignmentId,
            annotatorId: judgments.annotatorId,
            shownOrder: judgments.shownOrder,
            outcome: judgments.outcome,
            ranking: judgments.ranking,
            strength: judgments.strength,
            criteria: judgments.criteria,
            rationale: judgments.rationale,
            timeOnTaskMs: judgments.timeOnTaskMs,
            clientSubmissionId: judgments.clientSubmissionId,
            supersedesId: judgments.supersedesId,
            source: judgments.source,
          })
          .from(judgments)
          .where(isNotNull(judgments.supersedesId))
          .orderBy(asc(judgments.id)),
      ),
      gold: yield* c.all(
        q
          .select({ itemId: gold.itemId, accepted: gold.accepted, explanation: gold.explanation, createdBy: gold.createdBy })
          .from(gold)
          .orderBy(asc(gold.itemId)),
      ),
      items: yield* c.all(
        q
          .select({ id: items.id, openSlots: items.openSlots, queuePos: items.queuePos, doneCount: items.doneCount })
          .from(items)
          .orderBy(asc(items.id)),
      ),
      projects: yield* c.all(
        q
          .select({
            id: projects.id,
            goldRate: projects.goldRate,
            repeatRate: projects.repeatRate,
            queueSeq: projects.queueSeq,
            doneSlots: projects.doneSlots,
          })
          .from(projects)
          .orderBy(asc(projects.id)),
      ),
      exclusions: yield* c.all(
        q
          .select({
            projectId: annotatorExclusions.projectId,
            userId: annotatorExclusions.userId,
            reason: annotatorExclusions.reason,
            createdBy: annotatorExclusions.createdBy,
          })
          .from(annotatorExclusions)
          .orderBy(asc(annotatorExclusions.projectId), asc(annotatorExclusions.userId)),
      ),
      audit: yield* c.all(
        q
          .select({
            actorId: auditEvents.actorId,
            action: auditEvents.action,
            projectId: auditEvents.projectId,
            detail: auditEvents.detail,
          })
          .from(auditEvents)
          .orderBy(asc(auditEvents.id)),
      ),
    };
  });
}

/** The same writes, answers and refusals recorded, for one engine. */
async function writes(db: AnyDb, s: Seed) {
  const out: unknown[] = [];
  const alice = s.annotators.alice as number;
  const zed = s.annotators.Zed as number;
  const mine = await listMyRecentJudgments(db, { userId: zed, projectId: s.main, limit: 200, now: NOW });
  const target = mine.at(-1)?.judgmentId as number;
  const revise = (userId: number, revision: Parameters<typeof reviseJudgment>[1]["revision"], extra = {}) =>
    attempt(() => reviseJudgment(db, { userId, revision, now: NOW + 60_000, ...extra }));
  out.push(await revise(zed, { judgmentId: target, clientSubmissionId: "w-1", outcome: "a", strength: 4, rationale: " second look " }));
  out.push(await revise(zed, { judgmentId: target, clientSubmissionId: "w-1", outcome: "b", strength: 1 })); // resend
  out.push(await revise(zed, { judgmentId: target, clientSubmissionId: "w-2", outcome: "b", strength: 1 })); // stale link
  out.push(await revise(alice, { judgmentId: target, clientSubmissionId: "w-3", outcome: "b", strength: 1 })); // not hers
  out.push(await revise(alice, { judgmentId: 1, clientSubmissionId: "w-1", outcome: "b", strength: 1 })); // someone else's id
  out.push(await revise(zed, { judgmentId: mine.at(-2)?.judgmentId as number, clientSubmissionId: "w-4", outcome: "a" })); // no strength
  out.push(
    await revise(
      zed,
      { judgmentId: mine.at(-2)?.judgmentId as number, clientSubmissionId: "w-5", outcome: "a", strength: 2 },
      { projectId: s.ranked },
    ),
  );
  out.push(
    await revise(
      zed,
      { judgmentId: mine.at(-2)?.judgmentId as number, clientSubmissionId: "w-6", outcome: "a", strength: 2 },
      { now: T0 + 3 * 86_400_000 },
    ),
  );
  const importedJudgment = await runOp(db, function* (c) {
    return yield* c.first(
      c.q
        .select({ id: judgments.id, annotatorId: judgments.annotatorId })
        .from(judgments)
        .where(eq(judgments.projectId, s.imported))
        .orderBy(asc(judgments.id)),
    );
  });
  out.push(
    await revise(importedJudgment?.annotatorId as number, {
      judgmentId: importedJudgment?.id as number,
      clientSubmissionId: "w-7",
      outcome: "a",
      strength: 1,
    }),
  );
  const rankedMine = await listMyRecentJudgments(db, { userId: alice, projectId: s.ranked, now: NOW });
  out.push(await revise(alice, { judgmentId: rankedMine[0]?.judgmentId as number, clientSubmissionId: "w-8", ranking: [1, 2, 0] }));
  out.push(await getMyJudgment(db, { userId: zed, judgmentId: target, now: NOW + 120_000 }));
  out.push(await listMyRecentJudgments(db, { userId: zed, projectId: s.main, limit: 2, now: NOW + 120_000 }));

  const plainItem = await runOp(db, function* (c) {
    return yield* c.all(c.q.select({ id: items.id }).from(items).where(eq(items.projectId, s.main)).orderBy(asc(items.id)));
  });
  const fresh = plainItem[10]?.id as number;
  out.push(await attempt(() => markGold(db, { itemId: fresh, accepted: ["b:2", "tie"], explanation: "new", actorId: s.admin })));
  out.push(await attempt(() => markGold(db, { itemId: fresh, accepted: ["b"], explanation: "changed", actorId: s.admin })));
  out.push(await attempt(() => markGold(db, { itemId: fresh, accepted: ["c"], explanation: "bad" })));
  out.push(await attempt(() => markGold(db, { itemId: fresh, accepted: [], explanation: "none" })));
  out.push(await attempt(() => markGold(db, { itemId: 99_999, accepted: ["a"], explanation: "gone" })));
  out.push(await attempt(() => unmarkGold(db, { itemId: s.goldItems[0] as number, actorId: s.admin })));
  out.push(await attempt(() => unmarkGold(db, { itemId: s.goldItems[0] as number, actorId: s.admin }))); // not gold any more
  out.push(await attempt(() => unmarkGold(db, { itemId: 99_999 })));
  out.push(await attempt(() => setQualityRates(db, { projectId: s.main, goldRate: 0.35, repeatRate: 0.1, actorId: s.admin })));
  out.push(await attempt(() => setQualityRates(db, { projectId: s.main, goldRate: 0.9, repeatRate: 0.2 })));
  out.push(await attempt(() => setQualityRates(db, { projectId: 999, goldRate: 0.1, repeatRate: 0.1 })));
  out.push(
    await attempt(() =>
      setAnnotatorExclusion(db, { projectId: s.main, userId: zed, excluded: true, reason: "too fast", actorId: s.admin }),
    ),
  );
  out.push(await attempt(() => setAnnotatorExclusion(db, { projectId: s.main, userId: zed, excluded: true, reason: "way too fast" })));
  out.push(await attempt(() => setAnnotatorExclusion(db, { projectId: s.main, userId: s.annotators.bob as number, excluded: false })));
  out.push(await attempt(() => setAnnotatorExclusion(db, { projectId: s.main, userId: 99_999, excluded: true })));
  out.push(await attempt(() => setAnnotatorExclusion(db, { projectId: 999, userId: zed, excluded: true })));
  out.push(await listGoldCandidates(db, { projectId: s.main, goldOnly: true }));
  out.push(await computeProjectStats(db, { projectId: s.main, resamples: 10 }));
  out.push(await computeGroupStats(db, { projectId: s.main, resamples: 5 }));
  out.push(await getMyProgress(db, zed));
  return { out, state: await state(db) };
}

let twins: Twins<Seed>;
beforeAll(async () => {
  twins = await twinDatabases("quality", seed);
}, 120_000);
afterAll(async () => {
  await twins?.close();
});

describe("history, gold and quality statistics on both engines", () => {
  it("every read answers the same, statistics to the last digit", async () => {
    const lite = await reads(twins.lite, twins.seed);
    const pg = await reads(twins.pg, twins.seed);
    // The seed covers what it should: revisions, gold misses, repeats, exclusions, several groups.
    const stats = lite[`stats-${twins.seed.main}`] as Awaited<ReturnType<typeof computeProjectStats>>;
    expect(stats.excluded_annotators.map((e) => e.annotator)).toEqual(["_under", "bob"]);
    expect(stats.annotators.some((a) => a.repeats > 0 && a.gold_judged > 0)).toBe(true);
    expect((lite["recent-alice"] as { revised: boolean }[]).filter((r) => r.revised)).toHaveLength(2);
    expect(Object.keys(pg)).toEqual(Object.keys(lite));
    for (const key of Object.keys(lite)) expectSameOnBoth(pg[key], lite[key], key);
  }, 120_000);

  it("the same writes give the same answers, refusals and rows", async () => {
    const lite = await writes(twins.lite, twins.seed);
    const pg = await writes(twins.pg, twins.seed);
    expect(lite.out.filter((o) => typeof o === "object" && o !== null && "error" in o).length).toBeGreaterThanOrEqual(12);
    lite.out.forEach((o, i) => {
      expect(pg.out[i], `write ${i}`).toEqual(o);
    });
    expectSameOnBoth(pg.state, lite.state);
  }, 120_000);

  it("two instances revising one judgment at once: one revision wins, resends get it back", async () => {
    const other: PgDb = await openPg(twins.url, { max: 4 });
    try {
      const s = twins.seed;
      const userId = s.annotators.Bob as number;
      const candidates = (await listMyRecentJudgments(twins.pg, { userId, projectId: s.main, limit: 200, now: NOW })).filter(
        (j) => j.revisableUntil !== null,
      );
      expect(candidates.length).toBeGreaterThanOrEqual(6);
      for (const [n, j] of candidates.slice(0, 6).entries()) {
        const [x, y] = await Promise.all([
          attempt(() =>
            reviseJudgment(twins.pg, {
              userId,
              revision: { judgmentId: j.judgmentId, clientSubmissionId: `race-${n}-x`, outcome: "tie" },
              now: NOW,
            }),
          ),
          attempt(() =>
            reviseJudgment(other, {
              userId,
              revision: { judgmentId: j.judgmentId, clientSubmissionId: `race-${n}-y`, outcome: "both_bad" },
              now: NOW,
            }),
          ),
        ]);
        const won = [x, y].filter((r) => "judgmentId" in r);
        expect(won, JSON.stringify([x, y])).toHaveLength(1);
        expect([x, y].find((r) => "error" in r)).toMatchObject({ error: expect.stringMatching(/^CONFLICT: .*already revised/) });
        const chain = await runOp(twins.pg, function* (c) {
          return yield* c.all(c.q.select({ id: judgments.id }).from(judgments).where(eq(judgments.supersedesId, j.judgmentId)));
        });
        expect(chain).toHaveLength(1);
        // A resend racing its original (another instance, the same submission id): the same judgment.
        const latest = chain[0]?.id as number;
        const revision = { judgmentId: latest, clientSubmissionId: `resend-${n}`, outcome: "a" as const, strength: 2 };
        const [r1, r2] = await Promise.all([
          reviseJudgment(twins.pg, { userId, revision, now: NOW }),
          reviseJudgment(other, { userId, revision, now: NOW }),
        ]);
        expect(r2).toEqual(r1);
      }
    } finally {
      await other.$client.end();
    }
  }, 120_000);
});
