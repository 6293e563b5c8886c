/**
 * The same data on both engines, for the *.pg.test.ts files that prove a domain function behaves
 * alike on SQLite and PostgreSQL: seed a SQLite file with the ordinary synchronous fixtures, copy it
 * into a fresh PostgreSQL database with db:copy (verified per table), and open both. Call the
 * function under test on `lite` and on `pg` and compare; each engine starts from identical rows and
 * identical ids.
 */
import path from "node:path";
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
