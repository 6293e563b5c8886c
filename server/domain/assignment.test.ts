import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { assignments, items } from "@/db/schema";
import { addAnnotator, memoryDb, seedProject } from "@/server/testing/fixtures";
import { expireLeases, leaseNextItem, randomOrder, skipAssignment } from "./assignment";
import { submitJudgment } from "./judgments";

const T0 = 1_700_000_000_000;

function leaseId(db: ReturnType<typeof memoryDb>, projectId: number, userId: number, now = T0) {
  const r = leaseNextItem(db, { projectId, userId, now });
  return r.status === "item" ? r.item.assignmentId : null;
}

function itemOf(db: ReturnType<typeof memoryDb>, assignmentId: number) {
  return db.select().from(assignments).where(eq(assignments.id, assignmentId)).get()?.itemId;
}

describe("leaseNextItem", () => {
  it("gives each item to `overlap` distinct annotators and then reports an empty queue", () => {
    const db = memoryDb();
    const p = seedProject(db, 2, { overlap: 2 });
    const ann = ["a", "b", "c"].map((n) => addAnnotator(db, n));
    const seen = new Map<number, number[]>();
    for (let round = 0; round < 3; round++) {
      for (const u of ann) {
        const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0 });
        if (r.status === "empty") continue;
        const itemId = itemOf(db, r.item.assignmentId) as number;
        seen.set(itemId, [...(seen.get(itemId) ?? []), u]);
        submitJudgment(db, {
          userId: u,
          submission: { assignmentId: r.item.assignmentId, clientSubmissionId: `submission-${u}-${round}`, outcome: "a", strength: 2 },
          now: T0,
        });
      }
    }
    expect([...seen.values()].map((us) => us.length)).toEqual([2, 2]);
    for (const us of seen.values()) expect(new Set(us).size).toBe(us.length);
    for (const u of ann) expect(leaseNextItem(db, { projectId: p.id, userId: u, now: T0 }).status).toBe("empty");
  });

  it("returns the same unexpired lease on a second call (a reload shows the same item)", () => {
    const db = memoryDb();
    const p = seedProject(db, 3);
    const u = addAnnotator(db, "a");
    expect(leaseId(db, p.id, u)).toBe(leaseId(db, p.id, u, T0 + 1000));
  });

  it("never sends model names, and records a permutation as the shown order", () => {
    const db = memoryDb();
    const p = seedProject(db, 1);
    const u = addAnnotator(db, "a");
    const r = leaseNextItem(db, { projectId: p.id, userId: u, now: T0 });
    expect(r.status).toBe("item");
    expect(JSON.stringify(r)).not.toMatch(/model-x|model-y/);
    if (r.status !== "item") return;
    const row = db.select().from(assignments).where(eq(assignments.id, r.item.assignmentId)).get();
    expect([...(row?.shownOrder ?? [])].sort()).toEqual([0, 1]);
    // The responses are shown in the recorded order.
    const first = r.item.responses[0]?.content as string;
    expect(first).toContain(row?.shownOrder[0] === 0 ? "from x" : "from y");
  });

  it("returns an expired lease's slot to the pool, to someone else", () => {
    const db = memoryDb();
    const p = seedProject(db, 1, { overlap: 1, leaseSeconds: 60 });
    const [a, b] = [addAnnotator(db, "a"), addAnnotator(db, "b")];
    const first = leaseId(db, p.id, a);
    expect(first).not.toBeNull();
    expect(leaseId(db, p.id, b)).toBeNull(); // the only slot is leased
    expect(leaseId(db, p.id, b, T0 + 61_000)).not.toBeNull(); // a's lease ran out
    expect(
      db
        .select()
        .from(assignments)
        .where(eq(assignments.id, first as number))
        .get()?.state,
    ).toBe("expired");
    // a never gets the item again, even though a slot may open once more
    expect(leaseId(db, p.id, a, T0 + 200_000)).toBeNull();
  });

  it("offers an item reopened behind an annotator's cursor again", () => {
    const db = memoryDb();
    const p = seedProject(db, 3, { overlap: 1, leaseSeconds: 60 });
    const [a, b] = [addAnnotator(db, "a"), addAnnotator(db, "b")];
    const la = leaseId(db, p.id, a) as number; // item 1 to a
    const lb = leaseId(db, p.id, b) as number; // item 2 to b (cursor past item 1)
    skipAssignment(db, { assignmentId: la, userId: a, now: T0 });
    submitJudgment(db, {
      userId: b,
      submission: { assignmentId: lb, clientSubmissionId: "submission-b-1", outcome: "b", strength: 1 },
      now: T0,
    });
    const seenByB = [itemOf(db, lb)];
    for (;;) {
      const r = leaseNextItem(db, { projectId: p.id, userId: b, now: T0 });
      if (r.status === "empty") break;
      seenByB.push(itemOf(db, r.item.assignmentId));
      submitJudgment(db, {
        userId: b,
        submission: {
          assignmentId: r.item.assignmentId,
          clientSubmissionId: `submission-b-${r.item.assignmentId}`,
          outcome: "a",
          strength: 1,
        },
        now: T0,
      });
    }
    expect(new Set(seenByB).size).toBe(3); // b reached the skipped item 1 as well
  });

  it("keeps lease cost flat: expiring nothing touches no rows", () => {
    const db = memoryDb();
    const p = seedProject(db, 5, { leaseSeconds: 60 });
    const u = addAnnotator(db, "a");
    leaseId(db, p.id, u);
    expect(expireLeases(db, T0 + 1)).toBe(0);
    expect(expireLeases(db, T0 + 61_000)).toBe(1);
    const open = db
      .select({ s: items.openSlots })
      .from(items)
      .all()
      .map((r) => r.s);
    expect(open).toEqual([3, 3, 3, 3, 3]);
  });
});

describe("randomOrder", () => {
  it("is a permutation and uses every order", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const o = randomOrder(3);
      expect([...o].sort()).toEqual([0, 1, 2]);
      counts.set(o.join(""), (counts.get(o.join("")) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
  });
});
