import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { assignments, judgments, projects } from "@/db/schema";
import { addAnnotator, memoryDb, seedProject } from "@/server/testing/fixtures";
import { leaseNextItem } from "./assignment";
import { submitJudgment, toCanonicalOutcome, toCanonicalRanking } from "./judgments";

const T0 = 1_700_000_000_000;

function setup(settings = {}) {
  const db = memoryDb();
  const project = seedProject(db, 4, settings);
  const userId = addAnnotator(db, "ann");
  const lease = leaseNextItem(db, { projectId: project.id, userId, now: T0 });
  if (lease.status !== "item") throw new Error("no item");
  const shownOrder = db.select().from(assignments).where(eq(assignments.id, lease.item.assignmentId)).get()?.shownOrder ?? [];
  return { db, project, userId, assignmentId: lease.item.assignmentId, shownOrder };
}

describe("shown → canonical mapping", () => {
  it("maps the left choice to whichever response was on the left", () => {
    expect(toCanonicalOutcome("a", [0, 1])).toBe("a");
    expect(toCanonicalOutcome("a", [1, 0])).toBe("b");
    expect(toCanonicalOutcome("b", [1, 0])).toBe("a");
    expect(toCanonicalOutcome("tie", [1, 0])).toBe("tie");
    expect(toCanonicalOutcome("both_bad", [1, 0])).toBe("both_bad");
  });
  it("maps a ranking of positions to a ranking of responses and rejects non-permutations", () => {
    expect(toCanonicalRanking([0, 1, 2], [2, 0, 1])).toEqual([2, 0, 1]);
    expect(toCanonicalRanking([2, 0, 1], [2, 0, 1])).toEqual([1, 2, 0]);
    expect(() => toCanonicalRanking([0, 0, 1], [0, 1, 2])).toThrow(/ranking/);
    expect(() => toCanonicalRanking([0, 1], [0, 1, 2])).toThrow(/ranking/);
  });
});

describe("submitJudgment", () => {
  it("stores the canonical outcome with the shown order, and progress counters move", () => {
    const { db, project, userId, assignmentId, shownOrder } = setup({ criteria: ["helpful"] });
    submitJudgment(db, {
      userId,
      submission: {
        assignmentId,
        clientSubmissionId: "s-1",
        outcome: "a",
        strength: 3,
        criteria: { helpful: "b" },
        rationale: " because ",
      },
      now: T0 + 5000,
    });
    const row = db.select().from(judgments).where(eq(judgments.assignmentId, assignmentId)).get();
    const leftIdx = shownOrder[0];
    expect(row?.outcome).toBe(leftIdx === 0 ? "a" : "b");
    expect(row?.criteria.helpful).toBe(leftIdx === 0 ? "b" : "a");
    expect(row?.shownOrder).toEqual(shownOrder);
    expect(row?.strength).toBe(3);
    expect(row?.rationale).toBe("because");
    expect(row?.timeOnTaskMs).toBe(5000);
    expect(db.select().from(projects).where(eq(projects.id, project.id)).get()?.doneSlots).toBe(1);
  });

  it("is idempotent on the client submission id", () => {
    const { db, userId, assignmentId } = setup();
    const sub = { assignmentId, clientSubmissionId: "same-id", outcome: "tie" as const };
    const first = submitJudgment(db, { userId, submission: sub, now: T0 });
    const again = submitJudgment(db, { userId, submission: sub, now: T0 + 1 });
    expect(again).toEqual({ judgmentId: first.judgmentId, duplicate: true, feedback: null });
    expect(db.select().from(judgments).all()).toHaveLength(1);
  });

  it("refuses another annotator's lease, a second judgment, and bad settings", () => {
    const { db, userId, assignmentId } = setup({ rationalePolicy: "required" });
    const other = addAnnotator(db, "other");
    expect(() =>
      submitJudgment(db, { userId: other, submission: { assignmentId, clientSubmissionId: "x1", outcome: "tie", rationale: "r" } }),
    ).toThrow(/not yours/);
    expect(() =>
      submitJudgment(db, { userId, submission: { assignmentId, clientSubmissionId: "x2", outcome: "a", rationale: "r" } }),
    ).toThrow(/strength/);
    expect(() => submitJudgment(db, { userId, submission: { assignmentId, clientSubmissionId: "x3", outcome: "tie" } })).toThrow(
      /rationale/,
    );
    expect(() =>
      submitJudgment(db, {
        userId,
        submission: { assignmentId, clientSubmissionId: "x4", outcome: "tie", rationale: "r", criteria: { nope: "a" } },
      }),
    ).toThrow(/criteria.nope/);
    submitJudgment(db, { userId, submission: { assignmentId, clientSubmissionId: "x5", outcome: "tie", rationale: "r" } });
    expect(() =>
      submitJudgment(db, { userId, submission: { assignmentId, clientSubmissionId: "x6", outcome: "tie", rationale: "r" } }),
    ).toThrow(/already judged/);
  });

  it("accepts a late submission while the slot is free, refuses it once someone else holds it", () => {
    const { db, project, userId, assignmentId } = setup({ overlap: 1, leaseSeconds: 60 });
    // Expire the lease: the slot returns to the pool; nobody has taken it yet.
    leaseNextItem(db, { projectId: project.id, userId: addAnnotator(db, "sweeper"), now: T0 + 61_000 });
    const late = submitJudgment(db, { userId, submission: { assignmentId, clientSubmissionId: "late", outcome: "tie" }, now: T0 + 62_000 });
    expect(late.duplicate).toBe(false);

    const b = setup({ overlap: 1, leaseSeconds: 60 });
    const rival = addAnnotator(b.db, "rival");
    // rival leases after expiry and takes the only slot of b's item (it is first in the queue again).
    for (;;) {
      const r = leaseNextItem(b.db, { projectId: b.project.id, userId: rival, now: T0 + 61_000 });
      if (r.status === "empty") break;
      submitJudgment(b.db, {
        userId: rival,
        submission: { assignmentId: r.item.assignmentId, clientSubmissionId: `r${r.item.assignmentId}`, outcome: "tie" },
        now: T0 + 61_000,
      });
    }
    expect(() =>
      submitJudgment(b.db, {
        userId: b.userId,
        submission: { assignmentId: b.assignmentId, clientSubmissionId: "too-late", outcome: "tie" },
        now: T0 + 70_000,
      }),
    ).toThrow(/ran out/);
  });
});
