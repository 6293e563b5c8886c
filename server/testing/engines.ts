/**
 * The same data on both engines, for the *.pg.test.ts files that prove a domain function behaves
 * alike on SQLite and PostgreSQL: seed a SQLite file with the ordinary synchronous fixtures, copy it
 * into a fresh PostgreSQL database with db:copy (verified per table), and open both. Call the
 * function under test on `lite` and on `pg` and compare; each engine starts from identical rows and
 * identical ids.
 */
import path from "node:path";
import { expect } from "vitest";
import { type Db, openDb } from "@/server/db";
import { openPg, type PgDb } from "@/server/db-pg";
import { copyDatabaseBetween } from "@/server/domain/db-copy";
import { tempDir } from "@/server/testing/fixtures";
import { createPgTestDatabase } from "@/server/testing/pg";

export type Twins<T> = {
  /** The seeded SQLite database (a file, open). */
  lite: Db;
  /** Its PostgreSQL copy (a pool of its own). */
  pg: PgDb;
  /** What the seed function returned (ids and the like: the same on both engines). */
  seed: T;
  /** The PostgreSQL URL, for a second pool (another app instance) on the same database. */
  url: string;
  /** Closes both and drops the PostgreSQL database. */
  close(): Promise<void>;
};

export async function twinDatabases<T>(label: string, seed: (db: Db) => T, options: { max?: number } = {}): Promise<Twins<T>> {
  const file = path.join(tempDir(), `${label}.db`);
  const seeding = openDb(file);
  const value = seed(seeding);
  seeding.$client.close();
  const pgTest = await createPgTestDatabase(label);
  await copyDatabaseBetween(file, pgTest.url);
  const lite = openDb(file);
  const pg = await openPg(pgTest.url, { max: options.max ?? 4 });
  return {
    lite,
    pg,
    seed: value,
    url: pgTest.url,
    async close() {
      lite.$client.close();
      await pg.$client.end();
      await pgTest.drop();
    },
  };
}

/** A field that holds a wall-clock time: `at`, `createdAt`, `finished_at`, `lastSeen`-like names. */
const TIME_KEY = /^(at|time|.*At|.*_at|.*Time|.*_time)$/;
/** How far apart two engines' clocks may read for one event: each engine runs the scenario in turn. */
const CLOCK_SLACK_S = 10;

function sameMoment(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    const slack = a > 1e11 ? CLOCK_SLACK_S * 1000 : CLOCK_SLACK_S; // milliseconds or seconds since the epoch
    return Math.abs(a - b) <= slack;
  }
  if (typeof a === "string" && typeof b === "string" && /^\d{4}-\d\d-\d\dT/.test(a) && /^\d{4}-\d\d-\d\dT/.test(b)) {
    return Math.abs(Date.parse(a) - Date.parse(b)) <= CLOCK_SLACK_S * 1000;
  }
  return false;
}

/**
 * `actual` with each wall-clock time that reads within a few seconds of `expected`'s taken from
 * `expected`: a scenario run on SQLite and then on PostgreSQL writes its rows at different moments
 * (a second boundary may fall between them on a loaded machine), and that is no difference between
 * the engines. Every other value, and any time further off, is left to the comparison.
 */
export function alignClocks<T>(actual: T, expected: unknown, key = ""): T {
  if (TIME_KEY.test(key) && actual !== expected && sameMoment(actual, expected)) return expected as T;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.map((v, i) => alignClocks(v, expected[i])) as T;
  }
  if (isPlainObject(actual) && isPlainObject(expected)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(actual)) out[k] = alignClocks(v, expected[k], k);
    return out as T;
  }
  return actual;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Expects PostgreSQL's answer to equal SQLite's, up to the moment each engine wrote its rows. */
export function expectSameOnBoth(onPg: unknown, onSqlite: unknown, message?: string): void {
  expect(alignClocks(onPg, onSqlite), message).toEqual(onSqlite);
}
