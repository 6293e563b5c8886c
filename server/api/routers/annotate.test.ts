import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { assignments } from "@/db/schema";
import { createCaller } from "@/server/api/root";
import { CHECK_BATCH } from "@/server/domain/quality/my-progress";
import { addAnnotator, memoryDb, seedProject } from "@/server/testing/fixtures";

function annotatorCaller(db: ReturnType<typeof memoryDb>, name: string) {
  const id = addAnnotator(db, name);
  return { id, caller: createCaller({ db, user: { id, email: `${name}@test.local`, name, role: "annotator" } }) };
}

function itemIdOf(db: ReturnType<typeof memoryDb>, assignmentId: number): number {
  return db.select({ itemId: assignments.itemId }).from(assignments).where(eq(assignments.id, assignmentId)).get()?.itemId ?? 0;
}

describe("annotate router: gold items and my progress", () => {
  it("a gold lease looks like any other; a miss comes back with the explanation; myProgress is the caller's own", async () => {
    const db = memoryDb();
    const project = seedProject(db, 3, { overlap: 2, goldRate: 1, strengthScale: false });
    const admin = addAnnotator(db, "boss");
    const adminCaller = createCaller({ db, user: { id: admin, email: "boss@test.local", name: "boss", role: "admin" } });
    const page = await adminCaller.quality.goldItems({ projectId: project.id });
    const goldId = page.items[0]?.itemId as number;
    await adminCaller.quality.markGold({ itemId: goldId, accepted: ["a"], explanation: "x is right" });

    const me = annotatorCaller(db, "me");
    const first = await me.caller.annotate.next({ projectId: project.id });
    expect(first.lease.status).toBe("item");
    if (first.lease.status !== "item") return;
    expect(JSON.stringify(first)).not.toMatch(/gold|model-x|model-y/i);
    // Text comes rendered too (the screen ships no markdown parser), beside the raw text.
    for (const r of first.lease.item.responses) expect(r.html).toBe(`<p>${r.content}</p>\n`);
    // The gold rate is 1: the first lease is the gold item. Pick the side showing y's answer (a miss).
    const ySide = String(first.lease.item.responses[0]?.content).includes("from y") ? "a" : "b";
    const xSide = ySide === "a" ? "b" : "a";
    const res = await me.caller.annotate.submit({
      projectId: project.id,
      submission: { assignmentId: first.lease.item.assignmentId, clientSubmissionId: "me-1", outcome: ySide },
    });
    expect(res.result.feedback).toEqual({
      correct: false,
      explanation: "x is right",
      explanationHtml: "<p>x is right</p>\n",
      accepted: [xSide],
    });
    expect(res.lease.status).toBe("item");
    if (res.lease.status !== "item") return;
    // An ordinary item answers with no feedback.
    const next = await me.caller.annotate.submit({
      projectId: project.id,
      submission: { assignmentId: res.lease.item.assignmentId, clientSubmissionId: "me-2", outcome: "tie" },
    });
    expect(next.result.feedback).toBeNull();

    const other = annotatorCaller(db, "other");
    expect(await other.caller.annotate.myProgress()).toEqual([]);
    const mine = await me.caller.annotate.myProgress();
    expect(mine).toHaveLength(1);
    // Check figures move only in whole batches: after 2 judgments they cover none yet.
    expect(mine[0]).toMatchObject({ projectId: project.id, judged: 2, checks: 0, checksThrough: 0, checksCorrect: 0, accuracy: null });
    expect(mine[0]?.misses.map((m) => m.explanation)).toEqual(["x is right"]);
  });

  it("check-item figures on /me change only at batch boundaries, never right after a gold judgment", async () => {
    const db = memoryDb();
    const project = seedProject(db, CHECK_BATCH + 5, { overlap: 1, strengthScale: false });
    const admin = addAnnotator(db, "boss");
    const adminCaller = createCaller({ db, user: { id: admin, email: "boss@test.local", name: "boss", role: "admin" } });
    const me = annotatorCaller(db, "me");
    let lease = (await me.caller.annotate.next({ projectId: project.id })).lease;
    const seen: { checks: number; checksCorrect: number }[] = [];
    for (let i = 0; i < CHECK_BATCH + 3; i++) {
      if (lease.status !== "item") throw new Error("ran dry");
      // Every second item becomes a check item just before it is judged (answer "a" accepted).
      if (i % 2 === 0)
        await adminCaller.quality.markGold({
          itemId: itemIdOf(db, lease.item.assignmentId),
          accepted: ["a", "b", "tie"],
          explanation: "any",
        });
      const res = await me.caller.annotate.submit({
        projectId: project.id,
        submission: { assignmentId: lease.item.assignmentId, clientSubmissionId: `me-${i}`, outcome: "tie" },
      });
      lease = res.lease;
      const [p] = await me.caller.annotate.myProgress();
      seen.push({ checks: p?.checks ?? -1, checksCorrect: p?.checksCorrect ?? -1 });
    }
    const before = seen.slice(0, CHECK_BATCH - 1);
    expect(new Set(before.map((s) => s.checks))).toEqual(new Set([0]));
    expect(seen[CHECK_BATCH - 1]).toEqual({ checks: CHECK_BATCH / 2, checksCorrect: CHECK_BATCH / 2 });
    // The gold judgments after the boundary do not show until the next batch is complete.
    expect(seen.slice(CHECK_BATCH).map((s) => s.checks)).toEqual([CHECK_BATCH / 2, CHECK_BATCH / 2, CHECK_BATCH / 2]);
  });
});
