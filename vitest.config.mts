import path from "node:path";
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.dirname(fileURLToPath(import.meta.url)) } },
  test: {
    include: ["server/**/*.test.ts", "scripts/**/*.test.ts", "db/**/*.test.ts", "app/**/*.test.ts", "i18n/**/*.test.ts"],
    // *.pg.test.ts need a PostgreSQL server: npm test's unit-pg suite starts one and sets ARBITER_TEST_PG_URL.
    exclude: process.env.ARBITER_TEST_PG_URL ? configDefaults.exclude : [...configDefaults.exclude, "**/*.pg.test.ts"],
    environment: "node",
    pool: "forks",
    testTimeout: 30_000,
  },
});
