/**
 * The app's database: ARBITER_DB opened once per process, on whichever engine it names. A file path
 * gives the SQLite connection of server/db.ts (getDb); a postgres:// URL a pooled PostgreSQL
 * connection (server/db-pg.ts), migrated on open. The server (server/main.ts), Next's pages and
 * routes and next-auth all take it from here; the promise is kept on globalThis because Next's
 * bundle and the server load this module separately and must share one pool.
 */
import type { AnyDb } from "@/server/database";
import { getDb } from "@/server/db";
import { parseDbLocation } from "@/server/db-url";

const globalForApp = globalThis as unknown as { arbiterAppDb?: Promise<AnyDb> };

/** Connections per app instance on PostgreSQL: ARBITER_PG_POOL (default 10). */
export function pgPoolSize(source: NodeJS.ProcessEnv = process.env): number {
  const n = Number(source.ARBITER_PG_POOL ?? 10);
  return Number.isInteger(n) && n >= 2 ? n : 10;
}

async function open(): Promise<AnyDb> {
  const location = parseDbLocation(process.env.ARBITER_DB ?? "data/arbiter.db");
  if (location.engine === "sqlite") return getDb();
  // Loaded only here: a SQLite deployment never loads the PostgreSQL driver.
  const { openPg } = await import("@/server/db-pg");
  return openPg(location.url, { max: pgPoolSize() });
}

/** The process's database handle (opened and migrated on first use). */
export function getAppDb(): Promise<AnyDb> {
  globalForApp.arbiterAppDb ??= open().catch((e: unknown) => {
    globalForApp.arbiterAppDb = undefined; // the next request tries again (the server may be back)
    throw e;
  });
  return globalForApp.arbiterAppDb;
}

/** Closes the app's database (server shutdown). */
export async function closeAppDb(): Promise<void> {
  const pending = globalForApp.arbiterAppDb;
  globalForApp.arbiterAppDb = undefined;
  if (!pending) return;
  const db = await pending.catch(() => null);
  if (!db) return;
  const client = db.$client as { end?: () => Promise<void>; close?: () => void };
  if (typeof client.end === "function") await client.end();
  else client.close?.();
}
