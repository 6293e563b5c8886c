import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { beforeAll, describe, expect, it } from "vitest";
import * as schema from "@/db/schema";
import { openDb } from "@/server/db";
import { databaseChecksum } from "@/server/testing/checksum";
import { tempDir } from "@/server/testing/fixtures";
import { copyDatabaseBetween, copyPlan } from "./db-copy";
import { seedCopyDatabase } from "./db-copy-fixtures";

let source: string;
let seeded: Awaited<ReturnType<typeof seedCopyDatabase>>;
beforeAll(async () => {
  source = path.join(tempDir(), "source.db");
  const db = openDb(source);
  seeded = await seedCopyDatabase(db);
  // A deleted tail row leaves SQLite's AUTOINCREMENT mark above the highest id: the copy carries the mark over.
  db.$client.prepare("DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)").run();
  db.$client.close();
});

const rows = (file: string, table: string) => {
  const c = new Database(file, { readonly: true });
  const n = (c.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  c.close();
  return n;
};

describe("copyPlan", () => {
  const plan = copyPlan();

  it("covers every table, each after the tables it references (but for the one broken cycle)", () => {
    const names = Object.values(schema)
      .filter((v) => is(v, SQLiteTable))
      .map((t) => getTableConfig(t as SQLiteTable).name)
      .sort();
    expect(plan.map((t) => t.name).sort()).toEqual(names);
    const position = new Map(plan.map((t, i) => [t.name, i]));
    for (const [i, t] of plan.entries()) {
      const config = getTableConfig(
        Object.values(schema).find((v) => is(v, SQLiteTable) && getTableConfig(v).name === t.name) as SQLiteTable,
      );
      for (const fk of config.foreignKeys) {
        const r = fk.reference();
        const target = getTableConfig(r.foreignTable).name;
        const column = r.columns[0]?.name ?? "";
        if (target === t.name || t.deferred.includes(column)) continue;
        expect(position.get(target), `${t.name}.${column} → ${target}`).toBeLessThan(i);
      }
    }
  });

  it("breaks the users ⇄ annotator_groups cycle at a nullable reference", () => {
    const deferred = plan.flatMap((t) => t.deferred.map((c) => `${t.name}.${c}`));
    expect(deferred).toEqual(["annotator_groups.created_by"]);
    expect(plan.find((t) => t.name === "annotator_groups")?.columns.find((c) => c.name === "created_by")?.notNull).toBe(false);
  });

  it("orders every table by an integer key and knows its identity column", () => {
    expect(plan.find((t) => t.name === "judgments")).toMatchObject({ key: ["id"], identity: "id" });
    expect(plan.find((t) => t.name === "snapshot_judgments")).toMatchObject({ key: ["snapshot_id", "judgment_id"], identity: null });
    expect(plan.find((t) => t.name === "queue_cursors")).toMatchObject({ key: ["user_id", "project_id"], identity: null });
    expect(plan.find((t) => t.name === "gold")).toMatchObject({ key: ["item_id"], identity: null });
  });
});

describe("copyDatabaseBetween (SQLite → SQLite)", () => {
  it("copies every row, verifies counts and checksums, and carries the AUTOINCREMENT marks", async () => {
    const target = path.join(tempDir(), "copy.db");
    const progress: string[] = [];
    const r = await copyDatabaseBetween(source, target, (p) => {
      if (p.done === p.total) progress.push(`${p.phase} ${p.table}`);
    });
    expect(seeded.judgments).toBeGreaterThan(50);
    expect(r.tables.find((t) => t.name === "judgments")?.rows).toBe(rows(source, "judgments"));
    expect(r.rows).toBe(r.tables.reduce((s, t) => s + t.rows, 0));
    expect(r.tables.every((t) => /^[0-9a-f]{64}$/.test(t.checksum))).toBe(true);
    expect(progress).toContain("copy judgments");
    expect(progress).toContain("verify judgments");
    const a = openDb(source);
    const b = openDb(target);
    expect(databaseChecksum(b)).toBe(databaseChecksum(a));
    const seq = (db: typeof a) => db.$client.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name").all();
    expect(seq(b)).toEqual(seq(a));
    const maxAudit = (db: typeof a) => (db.$client.prepare("SELECT max(id) AS m FROM audit_events").get() as { m: number }).m;
    expect((seq(a) as { name: string; seq: number }[]).find((s) => s.name === "audit_events")?.seq).toBe(maxAudit(a) + 1);
    a.$client.close();
    b.$client.close();
  });

  it("gives the same checksum for the same rows copied twice", async () => {
    const one = await copyDatabaseBetween(source, path.join(tempDir(), "one.db"));
    const two = await copyDatabaseBetween(source, path.join(tempDir(), "two.db"));
    expect(two.tables).toEqual(one.tables);
  });

  it("refuses a target that is not empty and leaves it as it was", async () => {
    const target = path.join(tempDir(), "full.db");
    await copyDatabaseBetween(source, target);
    const before = databaseChecksum(openDb(target));
    await expect(copyDatabaseBetween(source, target)).rejects.toThrow(/--to .*full\.db is not empty \(\w+ has \d+ rows\)/);
    expect(databaseChecksum(openDb(target))).toBe(before);
  });

  it("writes nothing when a table fails half-way (one transaction on the target)", async () => {
    const target = path.join(tempDir(), "fails.db");
    openDb(target).$client.exec(
      "CREATE TRIGGER no_lineage BEFORE INSERT ON snapshot_judgments BEGIN SELECT RAISE(ABORT, 'lineage refused'); END",
    );
    await expect(copyDatabaseBetween(source, target)).rejects.toThrow(/lineage refused/);
    for (const table of ["users", "projects", "items", "judgments", "snapshot_judgments"]) expect(rows(target, table)).toBe(0);
  });

  it("rolls back when a table reads back different from the source", async () => {
    const target = path.join(tempDir(), "differs.db");
    openDb(target).$client.exec(
      "CREATE TRIGGER mangle AFTER INSERT ON judgments WHEN NEW.id = 7 BEGIN UPDATE judgments SET rationale = 'changed' WHERE id = 7; END",
    );
    await expect(copyDatabaseBetween(source, target)).rejects.toThrow(/judgments differs after the copy .*nothing was written/);
    expect(rows(target, "judgments")).toBe(0);
  });

  it("refuses a missing source, the same file twice, :memory: and unknown schemes by name", async () => {
    const dir = tempDir();
    await expect(copyDatabaseBetween(path.join(dir, "nope.db"), path.join(dir, "t.db"))).rejects.toThrow(
      /--from: .*nope\.db does not exist/,
    );
    expect(fs.existsSync(path.join(dir, "nope.db"))).toBe(false);
    await expect(copyDatabaseBetween(source, `${path.dirname(source)}/./source.db`)).rejects.toThrow(/same database/);
    await expect(copyDatabaseBetween(source, ":memory:")).rejects.toThrow(/--to: :memory: is gone/);
    await expect(copyDatabaseBetween(source, "mysql://u:p@h/d")).rejects.toThrow(/--to: mysql:\/\/ is not a database Arbiter knows/);
  });
});
