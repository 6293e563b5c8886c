/**
 * PostgreSQL for the *.pg.test.ts files: ARBITER_TEST_PG_URL names a throwaway cluster (npm test's
 * unit-pg suite starts one with scripts/pg-cluster.sh); each test file gets a database of its own
 * so files running in parallel never see each other's rows.
 */
import crypto from "node:crypto";
import pg from "pg";

export function testPgUrl(): string {
  const url = process.env.ARBITER_TEST_PG_URL;
  if (!url) throw new Error("ARBITER_TEST_PG_URL is not set: run the pg tests through scripts/test.sh (suite unit-pg)");
  return url;
}

/** Creates an empty database on the test cluster; returns its URL and a function that drops it. */
export async function createPgTestDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = testPgUrl();
  const name = `t_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${crypto.randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
