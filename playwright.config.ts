import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

/** E2E_PORT runs a second suite beside one already serving on 3217 (another clone's npm test). */
const PORT = Number(process.env.E2E_PORT ?? 3217);
/** The transformers venv of scripts/trainer-hf-env (ARBITER_HF_PYTHON overrides), for local generators. */
const HF_PYTHON =
  process.env.ARBITER_HF_PYTHON ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "arbiter/hf-venv/bin/python");

/**
 * e2e against the production build (`next build` first; npm test does it) served by the real
 * server on a fresh database seeded by e2e/fixtures/seed.ts. Debian's chromium: no browser download.
 */
export default defineConfig({
  testDir: "e2e",
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: ".tmp/e2e-results.json" }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: "on-first-retry",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1400, height: 1000 } } }],
  webServer: {
    // The server's own log goes to .tmp/e2e-server.log too: scripts/test.sh prints its tail when a test fails.
    command: "mkdir -p .tmp && rm -rf .tmp/e2e-db && npx tsx e2e/fixtures/seed.ts && npx tsx server/main.ts 2>&1 | tee .tmp/e2e-server.log",
    url: `http://localhost:${PORT}/api/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    env: {
      ARBITER_DB: ".tmp/e2e-db/e2e.db",
      PORT: String(PORT),
      NEXTAUTH_URL: `http://localhost:${PORT}`,
      // Local generators (e2e/research/generate.spec.ts): the HF venv's Python and the folder its tiny model is built in.
      ARBITER_GENERATE_PYTHON: HF_PYTHON,
      ARBITER_MODELS_DIR: ".tmp/e2e-models",
    },
  },
});
