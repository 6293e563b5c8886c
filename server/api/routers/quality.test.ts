import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, items, judgments, users } from "@/db/schema";
import { createCaller } from "@/server/api/root";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { memoryDb, writeJsonl } from "@/server/testing/fixtures";

function setup() {
  const db = memoryDb();
  const project = createProject(db, { name: "q" });
  const lines = ["a", "b", "a"].map((w, i) => ({
    prompt: `Q${i}`,
    responses: [
      { model: "x", text: "x" },
      { model: "y", text: "yy" },
    ],
    judgments: [
      { annotator: "j1", winner: w },
      { annotator: "j2", winner: "a" },
    ],
  }));
  importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  const admin = db.insert(users).values({ name: "adm", email: "adm@t", role: "admin" }).returning().get();
  return { db, projectId: project.id, admin };
}

describe("quality router", () => {
  it("staff read stats; an admin excludes an annotator (audited) and the stats follow", async () => {
    const { db, projectId, admin } = setup();
    const caller = createCaller({ db, user: { id: admin.id, email: "adm@t", name: "adm", role: "admin" } });
    const before = await caller.quality.stats({ projectId, baseline: "y" });
    expect(before.models.find((m) => m.model === "x")).toMatchObject({ n_wins: 5, n_wins_base: 1, n_total: 6 });
    const j1 = db.select().from(users).where(eq(users.name, "j1")).get();
    await caller.quality.setExclusion({ projectId, userId: j1?.id ?? 0, excluded: true, reason: "test" });
    const after = await caller.quality.stats({ projectId, baseline: "y" });
    expect(after.models.find((m) => m.model === "x")).toMatchObject({ n_wins: 3, n_wins_base: 0, n_total: 3, win_rate: 100 });
    expect(db.select().from(auditEvents).where(eq(auditEvents.action, "annotator.exclude")).all()).toHaveLength(1);
  });

  it("gold feedback is the caller's own only", async () => {
    const { db, admin } = setup();
    const adminCaller = createCaller({ db, user: { id: admin.id, email: "adm@t", name: "adm", role: "admin" } });
    const item = db.select().from(items).get();
    await adminCaller.quality.markGold({ itemId: item?.id ?? 0, accepted: ["b"], explanation: "y is right" });
    const j1 = db.select().from(users).where(eq(users.name, "j1")).get();
    const own = db
      .select()
      .from(judgments)
      .where(eq(judgments.annotatorId, j1?.id ?? 0))
      .get();
    const asJ1 = createCaller({ db, user: { id: j1?.id ?? 0, email: "j1@t", name: "j1", role: "annotator" } });
    // j1 said "a" on the first item: a miss, with the explanation.
    expect(await asJ1.quality.goldFeedback({ judgmentId: own?.id ?? 0 })).toEqual({ missed: true, explanation: "y is right" });
    // A correct gold judgment answers exactly like an ordinary item's: nothing says "gold".
    await adminCaller.quality.markGold({ itemId: item?.id ?? 0, accepted: ["a"], explanation: "x is right" });
    const hit = await asJ1.quality.goldFeedback({ judgmentId: own?.id ?? 0 });
    await adminCaller.quality.unmarkGold({ itemId: item?.id ?? 0 });
    expect(await asJ1.quality.goldFeedback({ judgmentId: own?.id ?? 0 })).toEqual(hit);
    expect(hit).toEqual({ missed: false });
    const other = db
      .select()
      .from(judgments)
      .where(eq(judgments.annotatorId, (j1?.id ?? 0) + 1))
      .get();
    await expect(asJ1.quality.goldFeedback({ judgmentId: other?.id ?? 0 })).rejects.toThrow(/not one of yours/);
    await expect(asJ1.quality.stats({ projectId: 1 })).rejects.toThrow();
  });
});
