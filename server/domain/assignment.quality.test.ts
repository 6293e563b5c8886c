/**
 * Gold items and swapped repeats in the queue: mixed in at the project's rates, outside the overlap
 * accounting, indistinguishable in what the annotator receives.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { assignments, items, projects } from "@/db/schema";
import type { Db } from "@/server/db";
import { createRng } from "@/server/domain/stats/random";
import { addAnnotator, memoryDb, seedProject } from "@/server/testing/fixtures";
import { type AnnotatorItem, chooseLeaseKind, expireLeases, leaseNextItem, REPEAT_GAP, skipAssignment } from "./assignment";
import { markGold, setQualityRates, unmarkGold } from "./gold";
import { countMyJudgments, submitJudgment } from "./judgments";
import { CHECK_BATCH, getMyProgress } from "./quality/my-progress";
import { computeProjectStats } from "./quality/project-stats";

const T0 = 1_700_000_000_000;

function itemIds(db: Db, projectId: number): number[] {
  return db
    .select({ id: items.id })
    .from(items)
    .where(eq(items.projectId, projectId))
    .all()
    .map((r) => r.id);
}

function assignmentRow(db: Db, id: number) {
  const row = db.select().from(assignments).where(eq(assignments.id, id)).get();
  if (!row) throw new Error(`no assignment ${id}`);
  return row;
}

/** The shown position ("a" = left) of the response from model x (seed items say "from x"). */
function sideOf(item: AnnotatorItem, model: "x" | "y"): "a" | "b" {
  return String(item.responses[0]?.content).includes(`from ${model}`) ? "a" : "b";
}

/** Leases and answers until the queue is empty; `answer` picks the shown outcome. Returns the leases in order. */
function judgeAll(db: Db, projectId: number, userId: number, random: () => number, answer: (item: AnnotatorItem) => "a" | "b" = () => "a") {
  const leases: { assignmentId: number; itemId: number; repeatOf: number | null; shownOrder: number[] }[] = [];
  for (let n = 0; n < 10_000; n++) {
    const r = leaseNextItem(db, { projectId, userId, now: T0, random });
    if (r.status === "empty") return leases;
    const row = assignmentRow(db, r.item.assignmentId);
    leases.push({ assignmentId: row.id, itemId: row.itemId, repeatOf: row.repeatOf, shownOrder: row.shownOrder });
    submitJudgment(db, {
      userId,
      submission: { assignmentId: r.item.assignmentId, clientSubmissionId: `s-${userId}-${n}`, outcome: answer(r.item), strength: 2 },
      now: T0,
    });
  }
  throw new Error("queue never emptied");
}

describe("chooseLeaseKind", () => {
  it("splits [0, 1) into gold, repeat and queue bands", () => {
    expect(chooseLeaseKind(0.05, 0.1, 0.2)).toBe("gold");
    expect(chooseLeaseKind(0.1, 0.1, 0.2)).toBe("repeat");
    expect(chooseLeaseKind(0.29, 0.1, 0.2)).toBe("repeat");
    expect(chooseLeaseKind(0.35, 0.1, 0.2)).toBe("queue");
    expect(chooseLeaseKind(0, 0, 0)).toBe("queue");
  });
});

describe("gold mixing", () => {
  it("serves gold at the project's rate, never the same gold item twice, to every annotator", () => {
    const db = memoryDb();
    const p = seedProject(db, 600, { overlap: 1, goldRate: 0.1 });
    const ids = itemIds(db, p.id);
    const goldIds = new Set(ids.slice(0, 60));
    for (const itemId of goldIds) markGold(db, { itemId, accepted: ["a"], explanation: "x is right" });
    const rng = createRng(7);
    const random = () => rng.next();
    const [u1, u2] = [addAnnotator(db, "u1"), addAnnotator(db, "u2")];
    // Each annotator leases 400 items; the queue has 540 ordinary items for two annotators at overlap 1.
    const served = new Map<number, number[]>();
    for (const u of [u1, u2]) {
      const mine: number[] = [];
      for (let n = 0; n < 200; n++) {
        const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0, random });
        if (r.status === "empty") throw new Error("queue ran dry");
        const row = assignmentRow(db, r.item.assignmentId);
        mine.push(row.itemId);
        submitJudgment(db, {
          userId: u,
          submission: { assignmentId: row.id, clientSubmissionId: `g-${u}-${n}`, outcome: "a", strength: 1 },
          now: T0,
        });
      }
      served.set(u, mine);
    }
    for (const mine of served.values()) {
      const golds = mine.filter((id) => goldIds.has(id));
      // 200 draws at p = 0.1: mean 20, sd 4.2; the seeded stream gives a fixed count inside ±3 sd.
      expect(golds.length).toBeGreaterThanOrEqual(8);
      expect(golds.length).toBeLessThanOrEqual(33);
      expect(new Set(golds).size).toBe(golds.length);
    }
    // Both annotators judged the first gold items although overlap is 1: gold is outside the overlap.
    const firstGold = Math.min(...goldIds);
    for (const mine of served.values()) expect(mine).toContain(firstGold);
    // The ordinary items were shared out at overlap 1: none went to both.
    const ordinary = [...served.values()].map((m) => m.filter((id) => !goldIds.has(id)));
    const both = (ordinary[0] ?? []).filter((id) => (ordinary[1] ?? []).includes(id));
    expect(both).toEqual([]);
  });

  it("keeps gold share near the rate over many annotators (300 leases each from three annotators at 0.2)", () => {
    const db = memoryDb();
    const p = seedProject(db, 1200, { overlap: 3, goldRate: 0.2 });
    for (const itemId of itemIds(db, p.id).slice(0, 300)) markGold(db, { itemId, accepted: ["a"], explanation: "" });
    const rng = createRng(11);
    const random = () => rng.next();
    let gold = 0;
    let total = 0;
    for (const name of ["a", "b", "c"]) {
      const u = addAnnotator(db, name);
      for (let n = 0; n < 300; n++) {
        const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0, random });
        if (r.status === "empty") break;
        const row = assignmentRow(db, r.item.assignmentId);
        if (row.itemId <= 300) gold += 1;
        total += 1;
        submitJudgment(db, {
          userId: u,
          submission: { assignmentId: row.id, clientSubmissionId: `r-${u}-${n}`, outcome: "b", strength: 1 },
          now: T0,
        });
      }
    }
    expect(total).toBe(900);
    // sd of the share over 900 draws is 0.013: ±0.04 is three of them.
    expect(Math.abs(gold / total - 0.2)).toBeLessThan(0.04);
  });

  it("takes gold items out of the overlap queue, counts them only up to overlap, and never returns a gold slot", () => {
    const db = memoryDb();
    const p = seedProject(db, 3, { overlap: 1, goldRate: 1, leaseSeconds: 60 });
    const [goldId] = itemIds(db, p.id);
    markGold(db, { itemId: goldId as number, accepted: ["a"], explanation: "" });
    expect(
      db
        .select()
        .from(items)
        .where(eq(items.id, goldId as number))
        .get()?.openSlots,
    ).toBe(0);
    const users = ["a", "b", "c"].map((n) => addAnnotator(db, n));
    const [a, b] = users as [number, number];
    // Gold rate 1: a's first lease is the gold item, then the ordinary ones, then nothing.
    const seenA = judgeAll(db, p.id, a, Math.random);
    expect(seenA.map((l) => l.itemId)[0]).toBe(goldId);
    expect(seenA).toHaveLength(3);
    // a took both ordinary slots (overlap 1): b's queue is empty, so b is not sent the gold item alone.
    const seenB = judgeAll(db, p.id, b, Math.random);
    expect(seenB).toEqual([]);
    const project = db.select().from(projects).where(eq(projects.id, p.id)).get();
    expect(project?.doneSlots).toBe(3);
    expect(
      db
        .select()
        .from(items)
        .where(eq(items.id, goldId as number))
        .get()?.doneCount,
    ).toBe(1);

    // An expired gold lease gives no slot back.
    const q = seedProject(db, 2, { overlap: 1, goldRate: 1, leaseSeconds: 60 });
    const [g2] = itemIds(db, q.id);
    markGold(db, { itemId: g2 as number, accepted: ["a"], explanation: "" });
    const r = leaseNextItem(db, { projectId: q.id, userId: b, now: T0 });
    expect(r.status === "item" && assignmentRow(db, r.item.assignmentId).itemId).toBe(g2);
    expect(expireLeases(db, T0 + 61_000)).toBe(1);
    expect(
      db
        .select()
        .from(items)
        .where(eq(items.id, g2 as number))
        .get()?.openSlots,
    ).toBe(0);

    // Unmarking puts it back into the queue with the slots its overlap still wants.
    unmarkGold(db, { itemId: g2 as number });
    expect(
      db
        .select()
        .from(items)
        .where(eq(items.id, g2 as number))
        .get()?.openSlots,
    ).toBe(1);
  });

  it("answers a miss with the explanation and the accepted answer in shown positions, a hit with nothing", () => {
    const db = memoryDb();
    const p = seedProject(db, 4, { overlap: 2, goldRate: 1 });
    const [g] = itemIds(db, p.id);
    markGold(db, { itemId: g as number, accepted: ["a", "a:4"], explanation: "x cites the statute" });
    const [miss, hit] = [addAnnotator(db, "miss"), addAnnotator(db, "hit")];
    const feedback = [];
    for (const [u, model] of [
      [miss, "y"],
      [hit, "x"],
    ] as const) {
      const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0 });
      if (r.status !== "item") throw new Error("no item");
      expect(assignmentRow(db, r.item.assignmentId).itemId).toBe(g);
      const res = submitJudgment(db, {
        userId: u,
        submission: { assignmentId: r.item.assignmentId, clientSubmissionId: `f-${u}`, outcome: sideOf(r.item, model), strength: 3 },
        now: T0,
      });
      feedback.push({ res, xSide: sideOf(r.item, "x") });
    }
    const [m, h] = feedback;
    expect(m?.res.feedback).toEqual({ correct: false, explanation: "x cites the statute", accepted: [m?.xSide, `${m?.xSide}:4`] });
    expect(h?.res.feedback).toBeNull();
    // Resending the miss returns the same feedback (idempotent submit).
    expect(
      submitJudgment(db, {
        userId: miss,
        submission: { assignmentId: 1, clientSubmissionId: `f-${miss}`, outcome: "a", strength: 3 },
        now: T0,
      }).feedback,
    ).toEqual(m?.res.feedback);
    // The stats count these answers as gold judgments.
    const stats = computeProjectStats(db, { projectId: p.id });
    const byName = new Map(stats.annotators.map((a) => [a.annotator, a]));
    expect(byName.get("miss")).toMatchObject({ gold_judged: 1, gold_correct: 0 });
    expect(byName.get("hit")).toMatchObject({ gold_judged: 1, gold_correct: 1 });
    // Gold judgments measure annotators; they are not leaderboard battles (everyone judges them).
    expect(stats.battles).toBe(0);
  });

  it("sends gold, repeat and ordinary leases in the same shape, without a word about their kind", () => {
    const db = memoryDb();
    const p = seedProject(db, 12, { overlap: 1, goldRate: 0.5, repeatRate: 0.5 });
    markGold(db, { itemId: itemIds(db, p.id)[0] as number, accepted: ["a"], explanation: "gold explanation" });
    const u = addAnnotator(db, "u");
    const rng = createRng(3);
    const bodies: string[] = [];
    const kinds = new Set<string>();
    for (let n = 0; n < 40; n++) {
      const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0, random: () => rng.next() });
      if (r.status === "empty") break;
      const row = assignmentRow(db, r.item.assignmentId);
      kinds.add(row.repeatOf !== null ? "repeat" : row.itemId === itemIds(db, p.id)[0] ? "gold" : "queue");
      bodies.push(JSON.stringify(r));
      expect(Object.keys(r.item).sort()).toEqual(["assignmentId", "deadline", "prompt", "responses"]);
      submitJudgment(db, {
        userId: u,
        submission: { assignmentId: row.id, clientSubmissionId: `k-${n}`, outcome: "a", strength: 1 },
        now: T0,
      });
    }
    expect([...kinds].sort()).toEqual(["gold", "queue", "repeat"]);
    for (const body of bodies) expect(body).not.toMatch(/gold|repeat|model-x|model-y/i);
  });
});

describe("swapped repeats", () => {
  it("repeats judged items later, sides reversed, with repeat_of, at most once each, outside progress", () => {
    const db = memoryDb();
    const p = seedProject(db, 60, { overlap: 2, repeatRate: 0.25 });
    const u = addAnnotator(db, "u");
    const rng = createRng(5);
    const leases = judgeAll(db, p.id, u, () => rng.next());
    const repeats = leases.filter((l) => l.repeatOf !== null);
    expect(leases.length - repeats.length).toBe(60);
    // 0.25 of leases while enough history exists: expect about 60·0.25/0.75 = 20.
    expect(repeats.length).toBeGreaterThan(8);
    expect(repeats.length).toBeLessThan(32);
    const position = new Map(leases.map((l, i) => [l.assignmentId, i]));
    for (const r of repeats) {
      const original = leases.find((l) => l.assignmentId === r.repeatOf);
      expect(original?.itemId).toBe(r.itemId);
      expect(original?.repeatOf).toBeNull();
      expect(r.shownOrder).toEqual([...(original?.shownOrder ?? [])].reverse());
      // At least REPEAT_GAP other items were judged between the original and its repeat.
      expect((position.get(r.assignmentId) ?? 0) - (position.get(r.repeatOf as number) ?? 0)).toBeGreaterThan(REPEAT_GAP);
    }
    expect(new Set(repeats.map((r) => r.itemId)).size).toBe(repeats.length);
    // Progress and overlap count first judgments only.
    expect(countMyJudgments(db, u, p.id)).toBe(60);
    expect(db.select().from(projects).where(eq(projects.id, p.id)).get()?.doneSlots).toBe(60);
    for (const row of db.select().from(items).where(eq(items.projectId, p.id)).all()) {
      expect(row.doneCount).toBe(1);
      expect(row.openSlots).toBe(1);
    }
  });

  it("waits REPEAT_GAP judgments before the first repeat, and a skipped repeat gives no slot back", () => {
    const db = memoryDb();
    const p = seedProject(db, REPEAT_GAP + 3, { overlap: 1, repeatRate: 0.5 });
    const u = addAnnotator(db, "u");
    // A draw of 0.1 always asks for a repeat; until REPEAT_GAP + 1 items are judged none is eligible.
    const leases: { itemId: number; repeatOf: number | null; id: number }[] = [];
    for (let n = 0; n <= REPEAT_GAP + 1; n++) {
      const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0, random: () => 0.1 });
      if (r.status !== "item") throw new Error("empty");
      const row = assignmentRow(db, r.item.assignmentId);
      leases.push(row);
      if (n <= REPEAT_GAP) {
        submitJudgment(db, {
          userId: u,
          submission: { assignmentId: row.id, clientSubmissionId: `w-${n}`, outcome: "a", strength: 1 },
          now: T0,
        });
      }
    }
    expect(leases.slice(0, REPEAT_GAP + 1).every((l) => l.repeatOf === null)).toBe(true);
    const repeat = leases[REPEAT_GAP + 1];
    expect(repeat?.repeatOf).toBe(leases[0]?.id);
    const before = db
      .select()
      .from(items)
      .where(eq(items.id, repeat?.itemId as number))
      .get()?.openSlots;
    skipAssignment(db, { assignmentId: repeat?.id as number, userId: u, now: T0 });
    expect(
      db
        .select()
        .from(items)
        .where(eq(items.id, repeat?.itemId as number))
        .get()?.openSlots,
    ).toBe(before);
    // The skipped repeat's item is not repeated again, and no other item is REPEAT_GAP back yet: an ordinary item.
    const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0, random: () => 0.1 });
    if (r.status !== "item") throw new Error("empty");
    expect(assignmentRow(db, r.item.assignmentId).repeatOf).toBeNull();
  });

  it("reports flip rates from repeats: answers compared in canonical order, not screen sides", () => {
    const db = memoryDb();
    const p = seedProject(db, 40, { overlap: 2, repeatRate: 0.3 });
    const [steady, flaky] = [addAnnotator(db, "steady"), addAnnotator(db, "flaky")];
    const rngA = createRng(1);
    // steady always prefers x whatever side it is on; flaky always clicks the left side.
    judgeAll(
      db,
      p.id,
      steady,
      () => rngA.next(),
      (item) => sideOf(item, "x"),
    );
    const rngB = createRng(2);
    const flakyLeases = judgeAll(
      db,
      p.id,
      flaky,
      () => rngB.next(),
      () => "a",
    );
    const stats = computeProjectStats(db, { projectId: p.id });
    const byName = new Map(stats.annotators.map((a) => [a.annotator, a]));
    expect(byName.get("steady")?.repeats).toBeGreaterThan(3);
    expect(byName.get("steady")).toMatchObject({ flips: 0, flip_rate: 0 });
    // Left-clicking a reversed pair always picks the other response: every repeat is a flip.
    const flakyRepeats = flakyLeases.filter((l) => l.repeatOf !== null).length;
    expect(flakyRepeats).toBeGreaterThan(3);
    expect(byName.get("flaky")).toMatchObject({ repeats: flakyRepeats, flips: flakyRepeats, flip_rate: 1 });
    // Repeats are not votes: 40 items × 2 first judgments.
    expect(stats.battles).toBe(80);
  });

  it("validates rates: gold + repeat at most 1, repeat at most 0.5", () => {
    const db = memoryDb();
    const p = seedProject(db, 1);
    expect(setQualityRates(db, { projectId: p.id, goldRate: 0.1, repeatRate: 0.05 })).toMatchObject({ goldRate: 0.1, repeatRate: 0.05 });
    expect(() => setQualityRates(db, { projectId: p.id, goldRate: 0.6, repeatRate: 0.5 })).toThrow(/at most 1/);
    expect(() => setQualityRates(db, { projectId: p.id, goldRate: 0.1, repeatRate: 0.9 })).toThrow(/repeatRate/);
    expect(() => setQualityRates(db, { projectId: 999, goldRate: 0, repeatRate: 0 })).toThrow(/project 999/);
  });
});

describe("getMyProgress", () => {
  it("reports the caller's own items and check accuracy, repeats not counted, nobody else's", () => {
    const db = memoryDb();
    const p = seedProject(db, 12, { overlap: 2, goldRate: 0.5, repeatRate: 0.5 });
    const ids = itemIds(db, p.id);
    for (const itemId of ids.slice(0, 2)) markGold(db, { itemId, accepted: ["a"], explanation: "x is right" });
    const [me, other] = [addAnnotator(db, "me"), addAnnotator(db, "other")];
    const rng = createRng(8);
    // me prefers y (misses every check), other prefers x (hits every check).
    const mine = judgeAll(
      db,
      p.id,
      me,
      () => rng.next(),
      (item) => sideOf(item, "y"),
    );
    judgeAll(
      db,
      p.id,
      other,
      () => rng.next(),
      (item) => sideOf(item, "x"),
    );
    const [progress] = getMyProgress(db, me);
    const firstTime = mine.filter((l) => l.repeatOf === null);
    // Check figures cover whole batches of CHECK_BATCH judgments only.
    const through = Math.floor(firstTime.length / CHECK_BATCH) * CHECK_BATCH;
    const checks = firstTime.slice(0, through).filter((l) => ids.slice(0, 2).includes(l.itemId)).length;
    expect(checks).toBeGreaterThan(0);
    expect(progress).toMatchObject({
      projectId: p.id,
      judged: firstTime.length,
      checks,
      checksThrough: through,
      checksCorrect: 0,
      accuracy: 0,
    });
    expect(progress?.misses[0]?.explanation).toBe("x is right");
    expect(getMyProgress(db, other)[0]).toMatchObject({ checksCorrect: getMyProgress(db, other)[0]?.checks, accuracy: 1 });
    expect(getMyProgress(db, addAnnotator(db, "new"))).toEqual([]);
  });
});
