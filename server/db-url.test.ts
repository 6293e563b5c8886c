import net from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDb } from "@/server/db";
import { openPg } from "@/server/db-pg";
import { parseDbLocation, pgAddress, redactDbUrl, shippedMigrations, sqliteOnlyRefusal } from "@/server/db-url";
import { readEnv } from "@/server/env";
import { tempDir } from "@/server/testing/fixtures";

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("parseDbLocation", () => {
  it("takes file paths and :memory: as SQLite", () => {
    expect(parseDbLocation("data/arbiter.db")).toEqual({ engine: "sqlite", file: "data/arbiter.db" });
    expect(parseDbLocation("/var/lib/arbiter/a.db")).toEqual({ engine: "sqlite", file: "/var/lib/arbiter/a.db" });
    expect(parseDbLocation(":memory:")).toEqual({ engine: "sqlite", file: ":memory:" });
  });

  it("takes postgres:// and postgresql:// URLs as PostgreSQL", () => {
    expect(parseDbLocation("postgres://u:p@db:5433/arbiter")).toEqual({ engine: "postgres", url: "postgres://u:p@db:5433/arbiter" });
    expect(parseDbLocation("PostgreSQL://db/arbiter").engine).toBe("postgres");
  });

  it("refuses any other scheme by name", () => {
    expect(() => parseDbLocation("mysql://u:p@h/d")).toThrow(/^mysql:\/\/ is not a database Arbiter knows/);
    expect(() => parseDbLocation("sqlite://data/a.db")).toThrow(/sqlite:\/\/ is not a database/);
    expect(() => parseDbLocation("")).toThrow(/empty/);
  });

  it("redacts the password and names host and port", () => {
    expect(redactDbUrl("postgres://arbiter:s3cr:et@db.internal:6432/x")).toBe("postgres://arbiter:***@db.internal:6432/x");
    expect(redactDbUrl("postgres://db/x")).toBe("postgres://db/x");
    expect(pgAddress("postgres://a:b@db.internal:6432/x")).toBe("db.internal:6432");
    expect(pgAddress("postgres://db.internal/x")).toBe("db.internal:5432");
  });
});

describe("which engine serves what", () => {
  it("what opens SQLite only refuses postgres:// naming what runs on it; the app server takes it with its shared secrets", () => {
    expect(sqliteOnlyRefusal("data/a.db")).toBeNull();
    expect(sqliteOnlyRefusal("postgres://u:hunter2@h/d")).toMatch(
      /^postgres:\/\/ databases are not supported here: this opens a SQLite file .* every CLI command but backup, restore take a PostgreSQL URL$/,
    );
    expect(sqliteOnlyRefusal("postgres://u:hunter2@h/d", "backup")).toMatch(/^backup runs on SQLite only: .*pg_dump/);
    expect(sqliteOnlyRefusal("postgres://u:hunter2@h/d")).not.toContain("hunter2");
    const base = { ...process.env, NEXTAUTH_SECRET: undefined, ARBITER_PSEUDONYM_KEY: undefined };
    expect(() => readEnv({ ...base, ARBITER_DB: "postgresql://h/d" })).toThrow(
      /ARBITER_DB is a PostgreSQL URL: set NEXTAUTH_SECRET and ARBITER_PSEUDONYM_KEY in the environment/,
    );
    expect(() => readEnv({ ...base, ARBITER_DB: "postgresql://h/d", NEXTAUTH_SECRET: "s".repeat(32) })).toThrow(
      /set ARBITER_PSEUDONYM_KEY in/,
    );
    expect(
      readEnv({ ...base, ARBITER_DB: "postgresql://u:p@h/d", NEXTAUTH_SECRET: "s".repeat(32), ARBITER_PSEUDONYM_KEY: "k" }).ARBITER_DB,
    ).toBe("postgresql://u:p@h/d");
    expect(() => readEnv({ ...process.env, ARBITER_DB: "redis://h" })).toThrow(/ARBITER_DB: redis:\/\/ is not a database Arbiter knows/);
    expect(() => openDb("postgres://h/d")).toThrow(/ARBITER_DB \(or --db\): postgres:\/\/ databases are not supported here/);
  });
});

describe("a database migrated by a newer build", () => {
  it("is refused by openDb before it is touched (SQLite)", () => {
    const file = path.join(tempDir(), "newer.db");
    openDb(file).$client.close();
    const raw = new Database(file);
    const count = () => (raw.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n;
    const before = count();
    raw.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)").run("f".repeat(64), Date.UTC(2030, 0, 1));
    expect(() => openDb(file)).toThrow(/schema is newer than this build \(1 migration it does not know, the newest from 2030-01-01/);
    expect(count()).toBe(before + 1);
    raw.close();
  });

  it("knows every migration it ships by the hash drizzle stores", () => {
    const shipped = shippedMigrations(path.join(process.cwd(), "db/migrations"));
    const db = openDb(":memory:");
    const applied = db.$client.prepare("SELECT hash FROM __drizzle_migrations").all() as { hash: string }[];
    expect(applied.map((a) => shipped.has(a.hash))).toEqual(applied.map(() => true));
    expect(applied.length).toBe(shipped.size);
  });
});

describe("openPg", () => {
  it("names host and port of an unreachable server, never the password", async () => {
    const port = await closedPort();
    const err = await openPg(`postgres://arbiter:TopSecret99@127.0.0.1:${port}/arbiter`).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain("TopSecret99");
  });

  it("refuses a URL that is not postgres://", async () => {
    await expect(openPg("data/a.db")).rejects.toThrow(/not a postgres:\/\/ URL/);
  });
});
