import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { judgments, projects } from "@/db/schema";
import { addAnnotator, memoryDb, seedProject, tempDir } from "@/server/testing/fixtures";
import { leaseNextItem, skipAssignment } from "./assignment";
import { exportSnapshot } from "./export/export-snapshot";
import { getMyJudgment, listMyRecentJudgments, reviseJudgment } from "./judgment-history";
import { countMyJudgments, submitJudgment } from "./judgments";

const T0 = 1_700_000_000_000;

function judgeOne(db: ReturnType<typeof memoryDb>, projectId: number, userId: number, now = T0) {
  const lease = leaseNextItem(db, { projectId, userId, now });
  if (lease.status !== "item") throw new Error("no item");
  const res = submitJudgment(db, {
    userId,
    submission: { assignmentId: lease.item.assignmentId, clientSubmissionId: `s-${lease.item.assignmentId}`, outcome: "a", strength: 2 },
    now: now + 1000,
  });
  return { lease: lease.item, judgmentId: res.judgmentId };
}

describe("reviseJudgment", () => {
  it("appends a superseding judgment; progress does not move; history and exports show the latest", async () => {
    const db = memoryDb();
    const project = seedProject(db, 3, { overlap: 1 });
    const userId = addAnnotator(db, "ann");
    const { lease, judgmentId } = judgeOne(db, project.id, userId);

    const mine = getMyJudgment(db, { userId, judgmentId, now: T0 + 2000 });
    expect(mine.answer).toMatchObject({ outcome: "a", strength: 2 });
    expect(mine.item.responses.map((r) => r.content)).toEqual(lease.responses.map((r) => r.content));
    expect(mine.revisableUntil).toBe(T0 + 1000 + 1440 * 60_000);

    const before = db.select().from(judgments).where(eq(judgments.id, judgmentId)).get();
    const rev = reviseJudgment(db, {
      userId,
      projectId: project.id,
      revision: { judgmentId, clientSubmissionId: "rev-1", outcome: "b", strength: 4, rationale: "second look" },
      now: T0 + 3000,
    });
    expect(rev.judgmentId).not.toBe(judgmentId);
    // Append-only: both rows stay, the new one points at the old.
    const rows = db.select().from(judgments).all();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.id === rev.judgmentId)?.supersedesId).toBe(judgmentId);
    expect(rows.find((r) => r.id === judgmentId)).toEqual(before);
    // Progress counts the item once.
    expect(countMyJudgments(db, userId, project.id)).toBe(1);
    expect(db.select().from(projects).where(eq(projects.id, project.id)).get()?.doneSlots).toBe(1);
    // The shown answer round-trips through canonical storage.
    expect(getMyJudgment(db, { userId, judgmentId: rev.judgmentId, now: T0 + 4000 }).answer).toMatchObject({
      outcome: "b",
      strength: 4,
      rationale: "second look",
    });
    const recent = listMyRecentJudgments(db, { userId, now: T0 + 4000 });
    expect(recent.map((r) => [r.judgmentId, r.revised, r.answer.outcome])).toEqual([[rev.judgmentId, true, "b"]]);
    expect(recent[0]?.excerpt).toMatch(/^Question \d\?$/);

    // The export holds one row for the item, with the revised preference.
    const out = path.join(tempDir(), "raw.jsonl");
    await exportSnapshot(db, { projectId: project.id, format: "trl", out });
    const lines = fs.readFileSync(out, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    const right = lease.responses[1]?.content;
    expect(JSON.parse(lines[0] as string).chosen.trim()).toBe(right);
  });

  it("is idempotent, refuses a stale link in the chain, others' judgments and a closed window", () => {
    const db = memoryDb();
    const project = seedProject(db, 3, { overlap: 1 });
    const userId = addAnnotator(db, "ann");
    const other = addAnnotator(db, "other");
    const { judgmentId } = judgeOne(db, project.id, userId);
    const revision = { judgmentId, clientSubmissionId: "rev-1", outcome: "tie" as const };
    const first = reviseJudgment(db, { userId, revision, now: T0 + 2000 });
    expect(reviseJudgment(db, { userId, revision, now: T0 + 2001 })).toEqual(first);
    expect(() => reviseJudgment(db, { userId, revision: { ...revision, clientSubmissionId: "rev-2" }, now: T0 + 2002 })).toThrow(
      /already revised/,
    );
    expect(() =>
      reviseJudgment(db, { userId: other, revision: { ...revision, judgmentId: first.judgmentId, clientSubmissionId: "o" } }),
    ).toThrow(/not yours/);
    expect(() =>
      reviseJudgment(db, {
        userId,
        revision: { judgmentId: first.judgmentId, clientSubmissionId: "late", outcome: "b" },
        now: T0 + 1000 + 1441 * 60_000,
      }),
    ).toThrow(/time to revise/);
    // The answer is checked like a first submit: a win needs a strength on this project.
    expect(() =>
      reviseJudgment(db, { userId, revision: { judgmentId: first.judgmentId, clientSubmissionId: "r3", outcome: "b" }, now: T0 + 3000 }),
    ).toThrow(/strength/);
    expect(() =>
      reviseJudgment(db, {
        userId,
        projectId: project.id + 1,
        revision: { judgmentId: first.judgmentId, clientSubmissionId: "r4", outcome: "tie" },
      }),
    ).toThrow(/not in project/);
  });

  it("refuses every revision where the project turns them off", () => {
    const db = memoryDb();
    const project = seedProject(db, 2, { overlap: 1 });
    db.update(projects).set({ revisionMinutes: 0 }).where(eq(projects.id, project.id)).run();
    const userId = addAnnotator(db, "ann");
    const { judgmentId } = judgeOne(db, project.id, userId);
    expect(getMyJudgment(db, { userId, judgmentId }).revisableUntil).toBeNull();
    expect(() => reviseJudgment(db, { userId, revision: { judgmentId, clientSubmissionId: "r", outcome: "tie" } })).toThrow(
      /does not allow revisions/,
    );
  });
});

describe("skipped items", () => {
  it("come back once, at the end of the annotator's queue, in the order they were shown", () => {
    const db = memoryDb();
    const project = seedProject(db, 3, { overlap: 1 });
    const userId = addAnnotator(db, "ann");
    const first = leaseNextItem(db, { projectId: project.id, userId, now: T0 });
    if (first.status !== "item") throw new Error("no item");
    skipAssignment(db, { assignmentId: first.item.assignmentId, userId, now: T0 + 1 });

    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      const lease = leaseNextItem(db, { projectId: project.id, userId, now: T0 + 10 + i });
      if (lease.status !== "item") throw new Error("queue ran dry early");
      expect(lease.item.assignmentId).not.toBe(first.item.assignmentId);
      seen.push(lease.item.assignmentId);
      submitJudgment(db, {
        userId,
        submission: { assignmentId: lease.item.assignmentId, clientSubmissionId: `s${i}`, outcome: "tie" },
        now: T0 + 20 + i,
      });
    }
    const back = leaseNextItem(db, { projectId: project.id, userId, now: T0 + 100 });
    expect(back.status === "item" && back.item.assignmentId).toBe(first.item.assignmentId);
    if (back.status !== "item") throw new Error("unreachable");
    expect(back.item.responses).toEqual(first.item.responses);
    // Skipped a second time, it does not return.
    skipAssignment(db, { assignmentId: back.item.assignmentId, userId, now: T0 + 200 });
    expect(leaseNextItem(db, { projectId: project.id, userId, now: T0 + 300 }).status).toBe("empty");
  });

  it("do not come back when the slot went to someone else meanwhile", () => {
    const db = memoryDb();
    const project = seedProject(db, 1, { overlap: 1 });
    const userId = addAnnotator(db, "ann");
    const other = addAnnotator(db, "other");
    const first = leaseNextItem(db, { projectId: project.id, userId, now: T0 });
    if (first.status !== "item") throw new Error("no item");
    skipAssignment(db, { assignmentId: first.item.assignmentId, userId, now: T0 + 1 });
    expect(leaseNextItem(db, { projectId: project.id, userId: other, now: T0 + 2 }).status).toBe("item");
    expect(leaseNextItem(db, { projectId: project.id, userId, now: T0 + 3 }).status).toBe("empty");
  });
});
