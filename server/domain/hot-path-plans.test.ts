/**
 * The annotate hot path runs thousands of times a second: none of its statements may read a whole
 * table. Each prepared statement of the lease and submit groups is planned by SQLite on a migrated
 * database (ANALYZE'd, so the planner sees realistic sizes) and its plan must not SCAN a table that
 * grows with the project (a scan of items or assignments once cost 30 % of every lease).
 */
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { items } from "@/db/schema";
import type { StatementGroup } from "@/server/database";
import { type Db, openDb } from "@/server/db";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
import { assignmentStatements, leaseNextItem } from "./assignment";
import { markGold } from "./gold";
import { judgmentStatements, submitAndLeaseNext } from "./judgments";

// Not gold: gold sets are tens to hundreds of items, and nextGold walks them by design.
const GROWING = ["items", "assignments", "judgments", "queue_cursors"];

function plans(
  db: Db,
  group: StatementGroup<Record<string, (q: Db, engine: "sqlite") => { toSQL(): { sql: string; params: unknown[] } }>>,
) {
  return Object.entries(group.defs).map(([key, def]) => {
    const { sql, params } = def(db, "sqlite").toSQL();
    // Placeholders bound to 1: the plan does not depend on the values.
    const values = params.map((v) => (v !== null && typeof v === "object" ? 1 : v));
    const rows = db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[];
    return { key, sql, plan: rows.map((r) => r.detail) };
  });
}

describe("hot-path statements", () => {
  it("never scan a table that grows with the project", () => {
    const db = openDb(path.join(tempDir(), "plans.db"));
    const projectId = seedProject(db, 300, { overlap: 3 }).id;
    // A second project with a gold set, so the planner's statistics know gold rows exist.
    const other = seedProject(db, 300, { overlap: 3, goldRate: 0.1 }).id;
    for (const it of db.select({ id: items.id }).from(items).where(eq(items.projectId, other)).all().slice(0, 20)) {
      markGold(db, { itemId: it.id, accepted: ["a"], explanation: "A is right" });
    }
    const users = Array.from({ length: 5 }, (_, i) => addAnnotator(db, `p${i}`));
    for (const userId of users) {
      let r = leaseNextItem(db, { projectId, userId });
      for (let n = 0; n < 20 && r.status === "item"; n++) {
        const submission = { assignmentId: r.item.assignmentId, clientSubmissionId: `${userId}-${n}`, outcome: "a" as const, strength: 2 };
        r = submitAndLeaseNext(db, { userId, projectId, submission }).lease;
      }
    }
    db.$client.exec("ANALYZE");
    // Inserts are left out: their plans list the foreign-key scan of child tables that SQLite runs
    // only while a deferred foreign-key violation is outstanding (never, here).
    const all = [...plans(db, assignmentStatements as never), ...plans(db, judgmentStatements as never)].filter(
      ({ sql }) => !/^insert /i.test(sql),
    );
    expect(all.length).toBeGreaterThan(20);
    const scans = all.filter(({ plan }) => plan.some((d) => GROWING.some((t) => new RegExp(`^SCAN ${t}\\b`).test(d))));
    expect(scans).toEqual([]);
  });
});
