import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, items, judgments, users } from "@/db/schema";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { computeProjectStats } from "@/server/domain/quality/project-stats";
import { memoryDb, writeJsonl } from "@/server/testing/fixtures";
import { getGoldFeedback, markGold, unmarkGold } from "./gold";

function setup() {
  const db = memoryDb();
  const project = createProject(db, { name: "gold" });
  const winners = ["a", "a", "b", "a", "tie"] as const;
  const lines = winners.map((w, i) => ({
    id: `g${i}`,
    prompt: `Q${i}`,
    responses: [
      { model: "x", text: "x" },
      { model: "y", text: "y" },
    ],
    judgments: [{ annotator: "judge", winner: w, ...(w === "tie" ? {} : { strength: 2 }) }],
  }));
  importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  const itemIds = db
    .select({ id: items.id })
    .from(items)
    .all()
    .map((r) => r.id);
  const judge = db.select().from(users).where(eq(users.name, "judge")).get()?.id ?? 0;
  return { db, projectId: project.id, itemIds, judge };
}

describe("gold items", () => {
  it("marks gold, gives the annotator feedback on their own judgment only, and counts accuracy", () => {
    const { db, projectId, itemIds, judge } = setup();
    // Gold answer "a" on every item: the judge got 3 of 5 (a, a, b, a, tie).
    for (const itemId of itemIds) markGold(db, { itemId, accepted: ["a"], explanation: "x cites its source" });
    const js = db.select().from(judgments).all();
    // A hit on a gold item reads like any item: nothing tells an annotator which items are gold.
    expect(getGoldFeedback(db, { userId: judge, judgmentId: js[0]?.id ?? 0 })).toEqual({ missed: false });
    expect(getGoldFeedback(db, { userId: judge, judgmentId: js[2]?.id ?? 0 })).toEqual({
      missed: true,
      explanation: "x cites its source",
    });
    expect(() => getGoldFeedback(db, { userId: judge + 1, judgmentId: js[0]?.id ?? 0 })).toThrow(/not one of yours/);
    const a = computeProjectStats(db, { projectId }).annotators[0];
    expect(a).toMatchObject({ gold_judged: 5, gold_correct: 3, gold_accuracy: 0.6 });
    // Wilson 95% for 3/5: [0.2307, 0.8824].
    expect(a?.gold_ci?.[0]).toBeCloseTo(0.2307, 4);
    expect(a?.gold_ci?.[1]).toBeCloseTo(0.8824, 4);
    // Strength-qualified answers: only a strength-4 "a" is accepted now.
    markGold(db, { itemId: itemIds[0] ?? 0, accepted: ["a:4"], explanation: "decisively x" });
    expect(getGoldFeedback(db, { userId: judge, judgmentId: js[0]?.id ?? 0 })).toMatchObject({ missed: true });
    unmarkGold(db, { itemId: itemIds[0] ?? 0 });
    expect(getGoldFeedback(db, { userId: judge, judgmentId: js[0]?.id ?? 0 })).toEqual({ missed: false });
    expect(
      db
        .select()
        .from(auditEvents)
        .all()
        .filter((e) => e.action.startsWith("gold.")).length,
    ).toBe(7);
  });

  it("rejects unknown answers and items, naming the field", () => {
    const { db, itemIds } = setup();
    expect(() => markGold(db, { itemId: itemIds[0] ?? 0, accepted: ["left"], explanation: "" })).toThrow(/accepted\[0\] "left"/);
    expect(() => markGold(db, { itemId: itemIds[0] ?? 0, accepted: [], explanation: "" })).toThrow(/at least one/);
    expect(() => markGold(db, { itemId: 9999, accepted: ["a"], explanation: "" })).toThrow(/item 9999/);
  });
});
