/**
 * The PostgreSQL connection: a pg Pool behind drizzle's node-postgres driver, migrated with
 * db/migrations-pg on open. Used by `db:copy` in this build; the app server follows with the rest of
 * issue #18. Errors name host and port, never the password.
 */
import path from "node:path";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as schema from "@/db/schema-pg";
import { assertKnownMigrations, parseDbLocation, pgAddress, redactDbUrl } from "@/server/db-url";

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export function pgMigrationsFolder(): string {
  return path.join(/*turbopackIgnore: true*/ process.env.ARBITER_ROOT ?? process.cwd(), "db/migrations-pg");
}

// Any constant: the session-level advisory lock that serializes migrations across processes.
const MIGRATION_LOCK = 0x41524249; // "ARBI"

/** int8 as a JS number (every id, count and unix-ms timestamp fits); a value that would lose digits is an error. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} does not fit a JavaScript number`);
  return n;
}

// drizzle's node-postgres session reads values with pg's global parsers (not the pool's): int8
// (ids, counts, unix-ms times) as JavaScript numbers, and numeric (sum, avg) as floats, as SQLite gives them.
pg.types.setTypeParser(pg.types.builtins.INT8, parseInt8);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v: string) => Number.parseFloat(v));

/** A connection error in words that name the server, never the password. */
function describePgError(e: unknown, url: string): Error {
  const err = e as Error & { code?: string };
  const address = pgAddress(url);
  const password = decodeURIComponent(new URL(url).password);
  const scrub = (s: string) => (password ? s.split(password).join("***") : s);
  const reason = scrub(err.message || err.code || String(e));
  if (err.code === "28P01" || err.code === "28000") return new Error(`PostgreSQL at ${address} refused the login: ${reason}`);
  if (err.code === "3D000") return new Error(`PostgreSQL at ${address}: ${reason}`);
  return new Error(`cannot reach PostgreSQL at ${address} (${reason}); is the server running and the host and port right?`);
}

/**
 * Opens a pool on a PostgreSQL URL, refuses a database migrated by a newer build, and applies the
 * pg migrations (db/migrations-pg) under an advisory lock so two processes starting at once do not
 * race. Errors name host and port and never the password.
 */
export async function openPg(url: string, options: { max?: number; migrationsFolder?: string } = {}): Promise<PgDb> {
  if (parseDbLocation(url).engine !== "postgres") throw new Error(`openPg: ${redactDbUrl(url)} is not a postgres:// URL`);
  const pool = new pg.Pool({
    connectionString: url,
    // Two at least: migrate() takes a second connection while the first holds the migration lock.
    max: Math.max(2, options.max ?? 10),
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === pg.types.builtins.INT8 ? parseInt8 : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener it would crash the process.
  pool.on("error", () => {});
  const folder = options.migrationsFolder ?? pgMigrationsFolder();
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    await pool.end();
    throw describePgError(e, url);
  }
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    const exists = await client.query<{ t: string | null }>("SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t");
    if (exists.rows[0]?.t) {
      const applied = await client.query<{ hash: string; created_at: number }>("SELECT hash, created_at FROM drizzle.__drizzle_migrations");
      assertKnownMigrations(
        applied.rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) })),
        folder,
        `ARBITER_DB ${redactDbUrl(url)}`,
      );
    }
    const db = drizzle(pool, { schema }) as PgDb;
    await migrate(db, { migrationsFolder: folder });
    return db;
  } catch (e) {
    client.release();
    await pool.end();
    throw e;
  } finally {
    // Released before returning the pool (the catch above ends the pool on failure instead).
    if (!pool.ended) {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
  }
}

/**
 * A drizzle database on one checked-out connection (not the pool): its transactions and its session
 * state (advisory locks) stay on that connection. The job runner holds a job's liveness lock this way.
 */
export function pgOnClient(client: pg.PoolClient): PgDb {
  return drizzle(client, { schema }) as unknown as PgDb;
}
