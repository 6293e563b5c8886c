/**
 * The annotation hot path (lease, submit, skip, expiry, gold, repeats) is written once
 * (server/database.ts) and must behave the same on both engines: the same scenario on a SQLite
 * file and on its PostgreSQL copy gives the same trace. Then several app instances on one
 * PostgreSQL database race for the same slots: no slot to two annotators, no item twice to one,
 * every acknowledged judgment stored once, resends answered from the stored judgment.
 */
import fs from "node:fs";
import path from "node:path";
import { and, count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, items, judgments, projects } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import { type Db, openDb } from "@/server/db";
import { openPg, type PgDb } from "@/server/db-pg";
import { expectSameOnBoth } from "@/server/testing/engines";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
import { createPgTestDatabase } from "@/server/testing/pg";
import { type LeaseResult, leaseNextItem, skipAssignment } from "./assignment";
import { copyDatabaseBetween } from "./db-copy";
import { markGold } from "./gold";
import { countMyJudgments, submitAndLeaseNext, submitJudgment } from "./judgments";

type Seed = { file: string; plain: number; mixed: number; users: number[] };

/** A SQLite file with a plain project (60 items, overlap 3), a gold + repeat one, and 16 annotators. */
function seedFile(): Seed {
  const file = path.join(tempDir(), "seed.db");
  const db = openDb(file);
  const plain = seedProject(db, 60, { overlap: 3 }).id;
  const mixed = seedProject(db, 12, { overlap: 2, goldRate: 0.3, repeatRate: 0.2, leaseSeconds: 60 }).id;
  const mixedItems = db.select({ id: items.id }).from(items).where(eq(items.projectId, mixed)).all();
  for (const it of mixedItems.slice(0, 3)) markGold(db, { itemId: it.id, accepted: ["a"], explanation: "A is right" });
  const users = Array.from({ length: 16 }, (_, i) => addAnnotator(db, `racer-${i}`));
  db.$client.close();
  return { file, plain, mixed, users };
}

/** A seeded random source, so both engines see the same gold/repeat draws and shown orders. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One annotator's afternoon on the mixed project, in fixed times, as a trace of what they saw and got. */
async function scenario(db: AnyDb, seed: Seed): Promise<unknown[]> {
  const trace: unknown[] = [];
  const random = seeded(7);
  const [u1, u2] = seed.users as [number, number];
  let now = 1_000_000;
  const lease = async (userId: number): Promise<LeaseResult> =>
    (await leaseNextItem(db, { projectId: seed.mixed, userId, now, random })) as LeaseResult;
  const shown = (r: LeaseResult) =>
    r.status === "item" ? { deadline: r.item.deadline, responses: r.item.responses, prompt: r.item.prompt } : r;
  let r = await lease(u1);
  trace.push(["lease", shown(r)]);
  trace.push(["reload", shown(await lease(u1))]);
  if (r.status !== "item") throw new Error("no item");
  await skipAssignment(db, { assignmentId: r.item.assignmentId, userId: u1, now });
  for (let i = 0; i < 30 && r.status === "item"; i++) {
    now += 1_000;
    r = await lease(u1);
    trace.push(["lease", shown(r)]);
    if (r.status !== "item") break;
    const res = await submitJudgment(db, {
      userId: u1,
      submission: {
        assignmentId: r.item.assignmentId,
        clientSubmissionId: `s-${i}`,
        outcome: i % 3 === 0 ? "b" : "a",
        strength: 1 + (i % 3),
        timeOnTaskMs: 500,
      },
      now,
    });
    trace.push(["submit", { duplicate: res.duplicate, feedback: res.feedback }]);
    const again = await submitJudgment(db, {
      userId: u1,
      submission: { assignmentId: r.item.assignmentId, clientSubmissionId: `s-${i}`, outcome: "a" },
      now,
    });
    trace.push(["resend", { duplicate: again.duplicate, same: again.judgmentId === res.judgmentId, feedback: again.feedback }]);
  }
  trace.push(["mine", await countMyJudgments(db, u1, seed.mixed)]);
  // A lease that runs out goes back to the pool; the late submit is still taken while the slot is free.
  const late = await lease(u2);
  trace.push(["lease-u2", shown(late)]);
  if (late.status === "item") {
    now += 3_600_000;
    const res = await submitAndLeaseNext(db, {
      userId: u2,
      projectId: seed.mixed,
      submission: { assignmentId: late.item.assignmentId, clientSubmissionId: "late", outcome: "tie" },
      now,
      random,
    });
    trace.push(["late-submit", { duplicate: res.result.duplicate, next: shown(res.lease) }]);
  }
  trace.push(["mine-u2", await countMyJudgments(db, u2, seed.mixed)]);
  return trace;
}

/** Totals that must agree with what the workers were told. */
async function totals(db: AnyDb, projectId: number) {
  return runOp(db, function* (c) {
    const stored = yield* c.first(c.q.select({ n: count() }).from(judgments).where(eq(judgments.projectId, projectId)));
    const dupes = yield* c.all(
      c.q
        .select({ a: judgments.assignmentId })
        .from(judgments)
        .where(eq(judgments.projectId, projectId))
        .groupBy(judgments.assignmentId)
        .having(sql`count(*) > 1`),
    );
    const overFull = yield* c.all(
      c.q
        .select({ id: items.id })
        .from(items)
        .innerJoin(projects, eq(projects.id, items.projectId))
        .where(and(eq(items.projectId, projectId), sql`${items.doneCount} > ${projects.overlap}`)),
    );
    const active = yield* c.first(
      c.q
        .select({ n: count() })
        .from(assignments)
        .where(and(eq(assignments.projectId, projectId), eq(assignments.state, "active"))),
    );
    const project = yield* c.first(c.q.select({ done: projects.doneSlots }).from(projects).where(eq(projects.id, projectId)));
    return {
      stored: Number(stored?.n),
      duplicates: dupes.length,
      overFull: overFull.length,
      active: Number(active?.n),
      doneSlots: project?.done,
    };
  });
}

let seed: Seed;
let pgDb: Awaited<ReturnType<typeof createPgTestDatabase>>;
const pools: PgDb[] = [];
beforeAll(async () => {
  seed = seedFile();
  pgDb = await createPgTestDatabase("annotate_engines");
  await copyDatabaseBetween(seed.file, pgDb.url);
  // Two app instances: two pools on one database.
  pools.push(await openPg(pgDb.url, { max: 8 }), await openPg(pgDb.url, { max: 8 }));
}, 120_000);
afterAll(async () => {
  for (const p of pools) await p.$client.end();
  await pgDb?.drop();
});

describe("one domain layer, two engines", () => {
  it("the same scenario gives the same trace on SQLite and on PostgreSQL", async () => {
    const copy = path.join(tempDir(), "scenario.db");
    fs.copyFileSync(seed.file, copy);
    const sqlite: Db = openDb(copy);
    const onSqlite = await scenario(sqlite, seed);
    const onPg = await scenario(pools[0] as PgDb, seed);
    expect(onSqlite.length).toBeGreaterThan(20);
    expect(JSON.stringify(onSqlite)).toContain("A is right"); // a gold miss was fed back
    expectSameOnBoth(onPg, onSqlite);
    expectSameOnBoth(await totals(pools[0] as PgDb, seed.mixed), await totals(sqlite, seed.mixed));
    sqlite.$client.close();
  });
});

describe("several instances on one PostgreSQL database", () => {
  it("hands no slot to two annotators and no item twice; every acknowledged judgment is stored once", async () => {
    const projectId = seed.plain;
    const acknowledged = new Set<number>();
    const seen = new Map<number, number[]>();
    // Each annotator alternates between the two instances; every fifth submission is sent twice at
    // once, to both instances (a retry racing the original).
    const annotator = async (userId: number, k: number) => {
      const got: number[] = [];
      const at = (n: number) => pools[(k + n) % 2] as PgDb;
      let r = (await leaseNextItem(at(0), { projectId, userId })) as LeaseResult;
      for (let n = 1; r.status === "item"; n++) {
        const assignmentId = r.item.assignmentId;
        got.push(assignmentId);
        const submission = { assignmentId, clientSubmissionId: `race-${userId}-${assignmentId}`, outcome: "tie" as const };
        if (n % 5 === 0) {
          const [x, y] = await Promise.all([
            submitJudgment(at(n), { userId, submission }),
            submitJudgment(at(n + 1), { userId, submission }),
          ]);
          expect(x.judgmentId).toBe(y.judgmentId);
          expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
          acknowledged.add(x.judgmentId);
          r = (await leaseNextItem(at(n), { projectId, userId })) as LeaseResult;
        } else {
          const next = await submitAndLeaseNext(at(n), { userId, projectId, submission });
          acknowledged.add(next.result.judgmentId);
          r = next.lease;
        }
      }
      seen.set(userId, got);
    };
    await Promise.all(seed.users.map((u, k) => annotator(u, k)));

    const leases = await runOp(pools[1] as PgDb, (c) =>
      c.all(c.q.select({ id: assignments.id, itemId: assignments.itemId }).from(assignments)),
    );
    const itemOf = new Map(leases.map((a) => [a.id, a.itemId]));
    const perItem = new Map<number, number>();
    for (const [, leases] of seen) {
      const itemIds = leases.map((a) => itemOf.get(a));
      expect(new Set(itemIds).size).toBe(itemIds.length);
      for (const id of itemIds) perItem.set(id as number, (perItem.get(id as number) ?? 0) + 1);
    }
    expect(perItem.size).toBe(60);
    expect([...perItem.values()].every((n) => n === 3)).toBe(true);
    expect(acknowledged.size).toBe(180);
    expect(await totals(pools[1] as PgDb, projectId)).toEqual({ stored: 180, duplicates: 0, overFull: 0, active: 0, doneSlots: 180 });
  }, 120_000);
});
