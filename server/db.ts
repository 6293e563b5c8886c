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
import { assertKnownMigrations, sqliteOnlyRefusal } from "@/server/db-url";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const DEFAULT_DB_PATH = "data/arbiter.db";

function migrationsFolder(): string {
  // cwd is the repository root for the app, the CLI and the tests; ARBITER_ROOT overrides it.
  return path.join(/*turbopackIgnore: true*/ process.env.ARBITER_ROOT ?? process.cwd(), "db/migrations");
}

/**
 * A database given as a URL is not a SQLite file: `postgres://` is opened by server/db-pg.ts (the app
 * through server/app-db.ts, the CLI through withAnyDb), never here, and any other scheme names an
 * engine Arbiter does not have. Refuse it clearly instead of creating a SQLite file under a folder
 * called `postgres:`.
 */
export function assertSupportedDatabase(file: string): void {
  const refusal = sqliteOnlyRefusal(file);
  if (refusal) throw new Error(`ARBITER_DB (or --db): ${refusal}`);
}

/**
 * Private files for everything the process writes (databases, WAL/SHM, exports, job folders,
 * backups): files 0600, folders 0700. The server, the job runner and the CLI call it at start-up.
 */
export function restrictFileModes(): void {
  process.umask(0o077);
}

/** Opens (creating if needed) and migrates a database; ":memory:" gives a private in-memory one. */
export function openDb(file: string = process.env.ARBITER_DB ?? DEFAULT_DB_PATH): Db {
  assertSupportedDatabase(file);
  if (file !== ":memory:") {
    const resolved = path.resolve(/*turbopackIgnore: true*/ file);
    fs.mkdirSync(path.dirname(resolved), { recursive: true, mode: 0o700 });
    // SQLite creates the -wal and -shm files with the database file's mode: create it private, and
    // make a database of ours left readable by others (made before this rule) private too.
    fs.closeSync(fs.openSync(resolved, "a", 0o600));
    for (const f of [resolved, `${resolved}-wal`, `${resolved}-shm`]) {
      const st = fs.statSync(f, { throwIfNoEntry: false });
      if (st && st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    }
  }
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL"); // durable across process crashes in WAL mode; fsync at checkpoints
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle(sqlite, { schema }) as Db;
  // A database migrated by a newer build is refused before anything reads or writes it.
  const applied = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get()
    ? (sqlite.prepare("SELECT hash, created_at AS createdAt FROM __drizzle_migrations").all() as { hash: string; createdAt: number }[])
    : [];
  try {
    assertKnownMigrations(applied, migrationsFolder(), `ARBITER_DB ${file}`);
  } catch (e) {
    sqlite.close();
    throw e;
  }
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
