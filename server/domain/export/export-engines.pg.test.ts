/**
 * Exports are written once (export-snapshot.ts, item-pages.ts) and read PostgreSQL directly in keyset
 * pages: for the same data (a seeded SQLite database and its db:copy on PostgreSQL) every format and
 * policy gives byte-identical files from the two engines, with the same snapshot manifest and lineage.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotJudgments, snapshots } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import { type Db, openDb } from "@/server/db";
import { openPg, type PgDb } from "@/server/db-pg";
import { tempDir } from "@/server/testing/fixtures";
import { createPgTestDatabase } from "@/server/testing/pg";
import { copyDatabaseBetween } from "../db-copy";
import { seedCopyDatabase } from "../db-copy-fixtures";
import { type ExportParams, exportSnapshot } from "./export-snapshot";
import { EXPORT_FORMATS } from "./formats";

let pgTest: Awaited<ReturnType<typeof createPgTestDatabase>>;
let pgDb: PgDb;
let lite: Db;
let projectId: number;
const savedKey = process.env.ARBITER_PSEUDONYM_KEY;

beforeAll(async () => {
  // Pseudonyms come from one key on both engines (PostgreSQL has no folder to keep a key file in).
  process.env.ARBITER_PSEUDONYM_KEY = "engines-test-key-0123456789";
  pgTest = await createPgTestDatabase("exports");
  const file = path.join(tempDir(), "source.db");
  const seed = openDb(file);
  projectId = (await seedCopyDatabase(seed, { items: 60, annotators: 5 })).project.id;
  seed.$client.close();
  await copyDatabaseBetween(file, pgTest.url);
  lite = openDb(file);
  pgDb = await openPg(pgTest.url, { max: 4 });
});
afterAll(async () => {
  process.env.ARBITER_PSEUDONYM_KEY = savedKey;
  if (savedKey === undefined) delete process.env.ARBITER_PSEUDONYM_KEY;
  await pgDb?.$client.end();
  await pgTest?.drop();
});

async function lineage(db: AnyDb, snapshot: number) {
  return runOp(db, function* (c) {
    const manifest = yield* c.first(
      c.q
        .select({
          format: snapshots.format,
          filter: snapshots.filter,
          policies: snapshots.policies,
          rows: snapshots.rowCount,
          sha256: snapshots.sha256,
        })
        .from(snapshots)
        .where(eq(snapshots.id, snapshot)),
    );
    const ids = (yield* c.all(
      c.q
        .select({ id: snapshotJudgments.judgmentId })
        .from(snapshotJudgments)
        .where(eq(snapshotJudgments.snapshotId, snapshot))
        .orderBy(asc(snapshotJudgments.judgmentId)),
    )).map((r) => r.id);
    return { manifest, ids };
  });
}

/** The same export from both engines: bytes, result and recorded snapshot. */
async function bothEngines(params: Omit<ExportParams, "projectId" | "out">) {
  const dir = tempDir();
  const liteOut = path.join(dir, "sqlite.out");
  const pgOut = path.join(dir, "pg.out");
  const a = await exportSnapshot(lite, { ...params, projectId, out: liteOut, pageSize: 7 });
  const b = await exportSnapshot(pgDb, { ...params, projectId, out: pgOut, pageSize: 7 });
  const bytes = [fs.readFileSync(liteOut), fs.readFileSync(pgOut)] as const;
  return { a, b, bytes, lineage: [await lineage(lite, a.snapshot), await lineage(pgDb, b.snapshot)] as const };
}

describe("exports read straight from PostgreSQL", () => {
  for (const format of EXPORT_FORMATS) {
    it(`${format}: the same bytes, rows, sha256 and lineage as from SQLite`, async () => {
      const { a, b, bytes, lineage } = await bothEngines({ format });
      expect(bytes[0].length).toBeGreaterThan(100);
      expect(crypto.createHash("sha256").update(bytes[1]).digest("hex")).toBe(crypto.createHash("sha256").update(bytes[0]).digest("hex"));
      expect({ rows: b.rows, sha256: b.sha256 }).toEqual({ rows: a.rows, sha256: a.sha256 });
      expect(lineage[1]).toEqual(lineage[0]);
      expect(lineage[0].ids.length).toBeGreaterThan(0);
    });
  }

  it("with policies (ties and both-bad kept, majority and Dawid-Skene aggregates, a criterion, a group): still the same bytes", async () => {
    const variants: Omit<ExportParams, "projectId" | "out">[] = [
      { format: "trl", policies: { ties: "keep", bothBad: "keep", kway: "best-vs-rest" } },
      { format: "trl", policies: { aggregate: "majority", minVotes: 2 } },
      { format: "raw", policies: { aggregate: "dawid-skene" } },
      { format: "hh", policies: { criterion: "helpful" } },
      { format: "raw", group: "zh-native" },
    ];
    for (const v of variants) {
      const { a, b, bytes, lineage } = await bothEngines(v);
      expect(Buffer.compare(bytes[0], bytes[1]), JSON.stringify(v)).toBe(0);
      expect(b.rows, JSON.stringify(v)).toBe(a.rows);
      expect(lineage[1], JSON.stringify(v)).toEqual(lineage[0]);
    }
  });

  it("an unknown group is refused by name on PostgreSQL too, and nothing is written", async () => {
    const out = path.join(tempDir(), "none.jsonl");
    await expect(exportSnapshot(pgDb, { projectId, format: "raw", group: "nobody", out })).rejects.toThrow(
      /no annotator group named "nobody"/,
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it("without ARBITER_PSEUDONYM_KEY, PostgreSQL refuses to export and says what to set", async () => {
    const key = process.env.ARBITER_PSEUDONYM_KEY;
    delete process.env.ARBITER_PSEUDONYM_KEY;
    try {
      await expect(exportSnapshot(pgDb, { projectId, format: "raw", out: path.join(tempDir(), "x.jsonl") })).rejects.toThrow(
        /ARBITER_PSEUDONYM_KEY/,
      );
    } finally {
      process.env.ARBITER_PSEUDONYM_KEY = key;
    }
  });
});
