import { defineConfig } from "@playwright/test";
import { E2E_PG_SEED_DB, e2ePgDbUrl } from "./e2e/fixtures/users";
import base from "./playwright.config";

/**
 * The e2e run on PostgreSQL (issue #18): the same seed (e2e/fixtures/seed.ts on a SQLite file, then
 * db:copy into a fresh database on the cluster E2E_PG_URL names), the same production build and
 * server with ARBITER_DB=postgres://…, and the specs of the annotation campaign, the admin pages and
 * training. The specs that write to the e2e database file themselves (playground, research-zh) or run
 * the CLI on it (groups, rewrite) stay in the SQLite run. scripts/test.sh runs it after the SQLite one.
 */
const PORT = Number(process.env.E2E_PG_PORT ?? 3218);
const CLUSTER = process.env.E2E_PG_URL;
if (!CLUSTER) throw new Error("E2E_PG_URL names the PostgreSQL cluster for this run (npm test starts one)");
const DB_URL = e2ePgDbUrl(CLUSTER);
process.env.E2E_PG_DB_URL = DB_URL; // e2e/fixtures/db.ts reads what the server stored from here

export default defineConfig({
  ...base,
  testMatch: [
    "**/annotate/judge-by-keyboard.spec.ts",
    "**/annotate/two-annotators.spec.ts",
    "**/annotate/undo-and-history.spec.ts",
    "**/annotate/gold-and-repeats.spec.ts",
    "**/annotate/skips-and-instructions.spec.ts",
    "**/annotate/empty-queue.spec.ts",
    "**/annotate/arena.spec.ts",
    "**/admin/users.spec.ts",
    "**/admin/access.spec.ts",
    "**/admin/import.spec.ts",
    "**/admin/export.spec.ts",
    "**/admin/quality.spec.ts",
    "**/admin/audit.spec.ts",
    "**/pages/roles.spec.ts",
    "**/research/train.spec.ts",
  ],
  reporter: [["list"], ["json", { outputFile: ".tmp/e2e-pg-results.json" }]],
  use: { ...base.use, baseURL: `http://localhost:${PORT}` },
  webServer: {
    ...(base.webServer as object),
    command: [
      "mkdir -p .tmp && rm -rf .tmp/e2e-pg-db",
      `ARBITER_DB=${E2E_PG_SEED_DB} npx tsx e2e/fixtures/seed.ts`,
      `ARBITER_DB=${E2E_PG_SEED_DB} npx tsx e2e/fixtures/pg-copy.ts`,
      `ARBITER_DB='${DB_URL}' npx tsx server/main.ts 2>&1 | tee .tmp/e2e-pg-server.log`,
    ].join(" && "),
    url: `http://localhost:${PORT}/api/health`,
    env: {
      ...(base.webServer as { env: Record<string, string> }).env,
      PORT: String(PORT),
      NEXTAUTH_URL: `http://localhost:${PORT}`,
      NEXTAUTH_SECRET: "e2e-postgres-session-secret-0123456789abcdef",
      ARBITER_PSEUDONYM_KEY: "e2e-postgres-pseudonyms",
      ARBITER_EXPORTS_DIR: ".tmp/e2e-pg-db/exports",
      ARBITER_JOBS_DIR: ".tmp/e2e-pg-db/jobs",
    },
  },
});
