/**
 * The one drizzle client. SQLite in WAL mode with foreign keys and a busy timeout; migrations are
 * applied when a database is opened, so the app, the CLI and tests all see the current schema.
 * The default connection is cached on globalThis so dev-mode reloads do not open a new one each time.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "@/db/schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const DEFAULT_DB_PATH = "data/arbiter.db";

function migrationsFolder(): string {
  // cwd is the repository root for the app, the CLI and the tests; ARBITER_ROOT overrides it.
  return path.join(/*turbopackIgnore: true*/ process.env.ARBITER_ROOT ?? process.cwd(), "db/migrations");
}

/** Opens (creating if needed) and migrates a database; ":memory:" gives a private in-memory one. */
export function openDb(file: string = process.env.ARBITER_DB ?? DEFAULT_DB_PATH): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(/*turbopackIgnore: true*/ file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL"); // durable across process crashes in WAL mode; fsync at checkpoints
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: migrationsFolder() });
  return db;
}

const globalForDb = globalThis as unknown as { arbiterDb?: Db };

/** The process-wide connection to ARBITER_DB (or data/arbiter.db). */
export function getDb(): Db {
  globalForDb.arbiterDb ??= openDb();
  return globalForDb.arbiterDb;
}

/**
 * Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so two processes never
 * deadlock upgrading read locks). Nested calls become savepoints. Domain code uses `db` itself inside
 * `fn`: better-sqlite3 is synchronous and has one connection, so every statement is in the transaction.
 */
export function transaction<T>(db: Db, fn: () => T): T {
  return db.$client.transaction(fn).immediate();
}

/**
 * Prepared statements built once per connection. Hot paths (lease, submit, session lookup) run
 * thousands of times a second; building the SQL and compiling the statement each time would cost
 * more than executing it.
 */
export function statementsFor<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let s = cache.get(db);
    if (!s) {
      s = build(db);
      cache.set(db, s);
    }
    return s;
  };
}
