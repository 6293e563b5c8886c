import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPg, pgMigrationsFolder } from "@/server/db-pg";
import { pgAddress, shippedMigrations } from "@/server/db-url";
import { createPgTestDatabase } from "@/server/testing/pg";

let database: Awaited<ReturnType<typeof createPgTestDatabase>>;
beforeAll(async () => {
  database = await createPgTestDatabase("db_url");
});
afterAll(async () => {
  await database?.drop();
});

describe("openPg on a real PostgreSQL", () => {
  it("migrates an empty database, and opening it again applies nothing twice", async () => {
    const db = await openPg(database.url);
    const tables = await db.$client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('users', 'judgments', 'items')",
    );
    expect(tables.rows[0]?.n).toBe(3);
    const applied = await db.$client.query<{ hash: string }>("SELECT hash FROM drizzle.__drizzle_migrations");
    expect(applied.rows.map((r) => r.hash).sort()).toEqual([...shippedMigrations(pgMigrationsFolder()).keys()].sort());
    await db.$client.end();

    const again = await openPg(database.url);
    const count = await again.$client.query<{ n: number }>("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
    expect(count.rows[0]?.n).toBe(applied.rows.length);
    await again.$client.end();
  });

  it("refuses a database migrated by a newer build", async () => {
    const db = await openPg(database.url);
    await db.$client.query("INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)", [
      "e".repeat(64),
      Date.UTC(2031, 5, 1),
    ]);
    await db.$client.end();
    await expect(openPg(database.url)).rejects.toThrow(/schema is newer than this build .*2031-06-01/);
    const cleanup = await import("pg");
    const c = new cleanup.default.Client({ connectionString: database.url });
    await c.connect();
    await c.query("DELETE FROM drizzle.__drizzle_migrations WHERE hash = $1", ["e".repeat(64)]);
    await c.end();
  });

  it("names the server and hides the password when the login is refused", async () => {
    const u = new URL(database.url);
    u.password = "WrongPassword123";
    const err = await openPg(u.toString()).catch((e: Error) => e);
    expect((err as Error).message).toContain(`PostgreSQL at ${pgAddress(database.url)} refused the login`);
    expect((err as Error).message).not.toContain("WrongPassword123");
  });

  it("reads bigints as numbers", async () => {
    const db = await openPg(database.url);
    const r = await db.$client.query<{ v: number }>("SELECT 9007199254740991::bigint AS v");
    expect(r.rows[0]?.v).toBe(Number.MAX_SAFE_INTEGER);
    await expect(db.$client.query("SELECT 9007199254740993::bigint AS v")).rejects.toThrow(/does not fit a JavaScript number/);
    await db.$client.end();
  });
});
