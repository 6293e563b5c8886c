import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDb } from "@/server/db";
import { openPg } from "@/server/db-pg";
import { databaseChecksum } from "@/server/testing/checksum";
import { tempDir } from "@/server/testing/fixtures";
import { createPgTestDatabase } from "@/server/testing/pg";
import { copyDatabaseBetween } from "./db-copy";
import { seedCopyDatabase } from "./db-copy-fixtures";
import { exportSnapshot } from "./export/export-snapshot";
import { EXPORT_FORMATS } from "./export/formats";

let pgDb: Awaited<ReturnType<typeof createPgTestDatabase>>;
let source: string;
let projectId: number;
beforeAll(async () => {
  pgDb = await createPgTestDatabase("db_copy");
  source = path.join(tempDir(), "source.db");
  const db = openDb(source);
  projectId = (await seedCopyDatabase(db)).project.id;
  db.$client.prepare("DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)").run();
  db.$client.close();
});
afterAll(async () => {
  await pgDb?.drop();
});

async function pgQuery<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: pgDb.url });
  await c.connect();
  try {
    return (await c.query<T>(sql, values)).rows;
  } finally {
    await c.end();
  }
}

/**
 * Every export format of the project, as bytes, from a copy of `file` (exports record snapshots, so
 * not the file itself). Annotator pseudonyms are keyed by ARBITER_PSEUDONYM_KEY or a key file beside
 * the database, which a database copy does not carry: a moved deployment sets the same key.
 */
async function exportsOf(file: string): Promise<Record<string, Buffer>> {
  vi.stubEnv("ARBITER_PSEUDONYM_KEY", "db-copy-test-pseudonym-key-0123456789");
  const copy = path.join(tempDir(), "exports.db");
  fs.copyFileSync(file, copy);
  const db = openDb(copy);
  const out: Record<string, Buffer> = {};
  for (const format of EXPORT_FORMATS) {
    const target = path.join(tempDir(), `export.${format}`);
    await exportSnapshot(db, { projectId, format, out: target });
    out[format] = fs.readFileSync(target);
  }
  db.$client.close();
  vi.unstubAllEnvs();
  return out;
}

describe("db:copy SQLite → PostgreSQL → SQLite", () => {
  let there: Awaited<ReturnType<typeof copyDatabaseBetween>>;
  let back: Awaited<ReturnType<typeof copyDatabaseBetween>>;
  let roundTripped: string;

  beforeAll(async () => {
    there = await copyDatabaseBetween(source, pgDb.url);
    roundTripped = path.join(tempDir(), "back.db");
    back = await copyDatabaseBetween(pgDb.url, roundTripped);
  });

  it("gives the same rows and checksums on both engines, and the same SQLite file back", () => {
    expect(back.tables).toEqual(there.tables);
    expect(there.tables.find((t) => t.name === "judgments")?.rows).toBeGreaterThan(50);
    const a = openDb(source);
    const b = openDb(roundTripped);
    expect(databaseChecksum(b)).toBe(databaseChecksum(a));
    const seq = (db: typeof a) => db.$client.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name").all();
    expect(seq(b)).toEqual(seq(a));
    a.$client.close();
    b.$client.close();
  });

  it("every export format of the round-tripped file is byte-identical to the original's", async () => {
    const original = await exportsOf(source);
    const copied = await exportsOf(roundTripped);
    expect(Object.keys(original).sort()).toEqual([...EXPORT_FORMATS].sort());
    for (const format of EXPORT_FORMATS) {
      expect(original[format]?.length, format).toBeGreaterThan(100);
      expect(copied[format]?.equals(original[format] as Buffer), format).toBe(true);
    }
  });

  it("stores booleans, reals, JSON text and unicode as PostgreSQL values that read back exactly", async () => {
    const [external] = await pgQuery<{ external: boolean }>("SELECT external FROM users WHERE name = 'gpt-judge'");
    expect(external?.external).toBe(true);
    const [rates] = await pgQuery<{ gold_rate: number; repeat_rate: number }>("SELECT gold_rate, repeat_rate FROM projects");
    expect(rates).toEqual({ gold_rate: 0.1, repeat_rate: 0.05 });
    const [j] = await pgQuery<{ criteria: string; rationale: string }>(
      "SELECT criteria, rationale FROM judgments WHERE rationale IS NOT NULL ORDER BY id LIMIT 1",
    );
    expect(JSON.parse(j?.criteria ?? "null")).toMatchObject({ helpful: expect.any(String) });
    expect(j?.rationale).toMatch(/^理由 \d+: "better" — café ☕\nline two$/);
  });

  it("sets the identity sequences so new rows get fresh ids (past a deleted tail row too)", async () => {
    const db = await openPg(pgDb.url);
    const [maxAudit] = await pgQuery<{ m: string }>("SELECT max(id)::text AS m FROM audit_events");
    const inserted = await db.$client.query<{ id: number }>("INSERT INTO audit_events (action) VALUES ('test.after-copy') RETURNING id");
    expect(inserted.rows[0]?.id).toBe(Number(maxAudit?.m) + 2);
    const user = await db.$client.query<{ id: number }>("INSERT INTO users (name, role) VALUES ('new', 'annotator') RETURNING id");
    const [maxUser] = await pgQuery<{ m: string }>("SELECT max(id)::text AS m FROM users WHERE name <> 'new'");
    expect(user.rows[0]?.id).toBe(Number(maxUser?.m) + 1);
    await db.$client.query("DELETE FROM audit_events WHERE action = 'test.after-copy'");
    await db.$client.query("DELETE FROM users WHERE name = 'new'");
    await db.$client.end();
  });

  it("refuses to copy into the PostgreSQL database now that it has rows", async () => {
    await expect(copyDatabaseBetween(source, pgDb.url)).rejects.toThrow(/--to postgres:\/\/postgres:\*\*\*@.* is not empty/);
  });
});

describe("db:copy into PostgreSQL is all or nothing", () => {
  it("leaves the target empty when a row is refused half-way", async () => {
    const target = await createPgTestDatabase("db_copy_fail");
    try {
      const db = await openPg(target.url);
      await db.$client.query(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'lineage refused'; END $$",
      );
      await db.$client.query("CREATE TRIGGER refuse BEFORE INSERT ON snapshot_judgments FOR EACH ROW EXECUTE FUNCTION refuse()");
      await expect(copyDatabaseBetween(source, target.url)).rejects.toThrow(/lineage refused/);
      const counts = await db.$client.query<{ n: number }>(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM judgments) + (SELECT count(*) FROM items) AS n",
      );
      expect(counts.rows[0]?.n).toBe(0);
      await db.$client.end();
    } finally {
      await target.drop();
    }
  });
});
