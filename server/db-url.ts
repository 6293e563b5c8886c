/**
 * Where a database lives, by the value of ARBITER_DB / --db: a SQLite file path, `:memory:`, or a
 * PostgreSQL URL (`postgres://` / `postgresql://`). Any other scheme is refused by name rather than
 * taken for a file path. The app server (server/app-db.ts), the job runner and the CLI run on either
 * engine, but for the CLI commands of SQLITE_ONLY_CLI_COMMANDS.
 *
 * No driver here: server/env.ts and server/db.ts use this module, and the app's bundle must not pull
 * in a PostgreSQL driver it does not use.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export type DbLocation = { engine: "sqlite"; file: string } | { engine: "postgres"; url: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const PG_SCHEMES = new Set(["postgres", "postgresql"]);

/**
 * The CLI commands that run on SQLite only (scripts/cli.ts: the commands with `run`), each with why
 * and what to use on PostgreSQL instead. scripts/cli.test.ts ties this list to the command table.
 */
export const SQLITE_ONLY_CLI_COMMANDS: Readonly<Record<string, string>> = {
  backup:
    'it copies the file with SQLite\'s online backup API; back up a PostgreSQL database with pg_dump --format=custom (docs/deploy.md, "PostgreSQL: backup and restore")',
  restore:
    'it replaces a SQLite file page by page; restore a pg_dump of a PostgreSQL database with pg_restore into a new, empty database (docs/deploy.md, "PostgreSQL: backup and restore")',
};

/**
 * Reads ARBITER_DB / --db; throws naming the scheme when it is neither a file nor PostgreSQL (the
 * caller says which setting it was).
 */
export function parseDbLocation(value: string): DbLocation {
  if (value.trim() === "") throw new Error("empty: give a SQLite file path, :memory: or a postgres:// URL");
  const scheme = SCHEME.exec(value)?.[1];
  if (scheme === undefined) return { engine: "sqlite", file: value };
  if (!PG_SCHEMES.has(scheme.toLowerCase())) {
    throw new Error(
      `${scheme}:// is not a database Arbiter knows; give a SQLite file path (data/arbiter.db), :memory: or a postgres:// / postgresql:// URL`,
    );
  }
  try {
    new URL(value);
  } catch {
    throw new Error(`${redactDbUrl(value)} is not a valid URL`);
  }
  return { engine: "postgres", url: value };
}

/**
 * Why `value` is refused where only a SQLite file will do (null for a file path): a CLI command of
 * SQLITE_ONLY_CLI_COMMANDS says so by name with its reason; anything else that opens SQLite only
 * (openDb) names PostgreSQL as what it is, an engine of this build, not as an unknown one.
 */
export function sqliteOnlyRefusal(value: string, command?: string): string | null {
  let location: DbLocation;
  try {
    location = parseDbLocation(value);
  } catch (e) {
    return (e as Error).message;
  }
  if (location.engine === "sqlite") return null;
  const reason = command === undefined ? undefined : SQLITE_ONLY_CLI_COMMANDS[command];
  if (command !== undefined) return `${command} runs on SQLite only: ${reason ?? "give a SQLite file path such as data/arbiter.db"}`;
  const scheme = SCHEME.exec(value)?.[1];
  return `${scheme}:// databases are not supported here: this opens a SQLite file (give a path such as data/arbiter.db). The app server, the job runner and every CLI command but ${Object.keys(SQLITE_ONLY_CLI_COMMANDS).join(", ")} take a PostgreSQL URL`;
}

/** The URL with its password replaced, for messages and logs. */
export function redactDbUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)([^@]*)@/i, "$1***@");
}

/** `host:port` of a PostgreSQL URL (socket folders given as ?host=/path included). */
export function pgAddress(url: string): string {
  const u = new URL(url);
  const host = u.searchParams.get("host") ?? (u.hostname || "localhost");
  return `${host}:${u.port || "5432"}`;
}

/** A database's applied migrations (hash, when) and the ones this build ships. */
export type MigrationRecord = { hash: string; createdAt: number };

/**
 * Refuses a database that has migrations this build does not know: it was migrated by a newer
 * Arbiter, and this code would read and write a schema it does not understand. (drizzle's migrator
 * alone would skip everything older than its last applied migration and start anyway.)
 */
export function assertKnownMigrations(applied: MigrationRecord[], migrationsFolder: string, where: string): void {
  if (applied.length === 0) return;
  const known = shippedMigrations(migrationsFolder);
  const unknown = applied.filter((m) => !known.has(m.hash));
  if (unknown.length === 0) return;
  const newest = unknown.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
  throw new Error(
    `${where}: the database's schema is newer than this build (${unknown.length} migration${unknown.length === 1 ? "" : "s"} it does not know, the newest from ${new Date(newest.createdAt).toISOString()}, hash ${newest.hash.slice(0, 12)}); run the Arbiter version that migrated it, or restore a backup made for this one`,
  );
}

const shipped = new Map<string, Map<string, string>>();

/** hash → tag of each migration in a drizzle migrations folder (the hash drizzle stores when applying it). */
export function shippedMigrations(migrationsFolder: string): Map<string, string> {
  let known = shipped.get(migrationsFolder);
  if (!known) {
    known = readShippedMigrations(migrationsFolder);
    shipped.set(migrationsFolder, known);
  }
  return known;
}

function readShippedMigrations(migrationsFolder: string): Map<string, string> {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, "meta/_journal.json"), "utf8")) as {
    entries: { tag: string }[];
  };
  return new Map(
    journal.entries.map((e) => {
      const sql = fs.readFileSync(path.join(migrationsFolder, `${e.tag}.sql`), "utf8");
      return [crypto.createHash("sha256").update(sql).digest("hex"), e.tag];
    }),
  );
}
