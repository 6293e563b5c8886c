/**
 * A round of generation from the browser: a researcher registers a local generator (a tiny random-init
 * Qwen2 with a chat template, built offline, served by the built-in worker on CPU through the HF venv),
 * tests it, runs a sampling job from the Generate page, watches its progress, and the items reach an
 * annotator's queue. Skipped, and says so, where the HF venv is not built (scripts/trainer-hf-env).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId } from "../fixtures/db";
import { E2E_GENERATE_PROJECT, E2E_USERS } from "../fixtures/users";

const HF_PYTHON =
  process.env.ARBITER_HF_PYTHON ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "arbiter/hf-venv/bin/python");
const hasHf = fs.existsSync(HF_PYTHON) && spawnSync(HF_PYTHON, ["-c", "import transformers"]).status === 0;

test.skip(!hasHf, `no HF venv at ${HF_PYTHON} (bash scripts/trainer-hf-env builds it)`);

test("a researcher registers a local generator, samples a round from the page, and the items reach the annotate queue", async ({
  page,
}) => {
  test.setTimeout(240_000);
  // The server allows local models under ARBITER_MODELS_DIR=.tmp/e2e-models (playwright.config.ts).
  const folder = path.resolve(".tmp/e2e-models/tiny-qwen2");
  fs.rmSync(folder, { recursive: true, force: true });
  const built = spawnSync(
    HF_PYTHON,
    [
      "-c",
      "import sys; from tiny_hf import build_tiny_chat_model; build_tiny_chat_model(sys.argv[1], arch='qwen2', hidden_size=64)",
      folder,
    ],
    { cwd: path.resolve("server/trainer/tests"), encoding: "utf8" },
  );
  expect(built.status, built.stderr).toBe(0);

  await signIn(page, E2E_USERS.researcher, "/research/generators");
  await page.getByTestId("gen-kind").selectOption("local");
  await page.getByTestId("gen-name").fill("tiny-policy");
  await page.getByTestId("gen-model").fill(folder);
  await page.getByTestId("gen-device").selectOption("cpu");
  await page.getByTestId("gen-add").click();
  const row = page.getByTestId("generator-tiny-policy");
  await expect(row).toContainText("local (cpu)", { timeout: 120_000 });
  await expect(row).toContainText(/ok, [\d,.]+ tokens\/s/);
  await row.getByRole("button", { name: "Test tiny-policy" }).click();
  await expect(page.getByTestId("gen-test-result-tiny-policy")).toContainText(/[\d,.]+ ms · first token [\d,.]+ ms · [\d,]+ tokens/, {
    timeout: 60_000,
  });

  await page.getByTestId("nav-generate").click();
  await expect(page).toHaveURL(/\/research\/generate$/);
  await page.getByTestId("generate-project").selectOption({ label: E2E_GENERATE_PROJECT });
  await page.getByRole("checkbox", { name: "tiny-policy" }).check();
  const prompts = ["Name a river.", "Describe a stone.", "Tell me about the sea."].map((p, i) =>
    JSON.stringify({ id: `g${i}`, prompt: p }),
  );
  await page
    .getByTestId("generate-file")
    .setInputFiles({ name: "prompts.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(`${prompts.join("\n")}\n`) });
  await page.getByLabel("Samples per prompt").fill("2");
  await page.getByLabel("Max tokens").fill("8");
  await page.getByRole("button", { name: "Start sampling" }).click();
  const job = page.getByTestId("generate-job");
  // Round 1 on a fresh database (a retry of this test samples the next round of the same project).
  await expect(job).toContainText(/round \d+/);
  await expect(job.getByTestId("generate-state")).toHaveText("succeeded", { timeout: 180_000 });
  await expect(job.getByTestId("generate-counts")).toContainText("3 of 3 prompts done · 0 failed · 3 items · 6 responses");
  fs.mkdirSync(".tmp/screenshots", { recursive: true });
  await page.screenshot({ path: ".tmp/screenshots/generate.png", fullPage: true });

  // An annotator gets the generated items (blinded: the generator's name never shows).
  await page.context().clearCookies();
  await signIn(page, E2E_USERS.annotator2, `/annotate/${projectId(E2E_GENERATE_PROJECT)}`);
  await expect(page.getByText(/Name a river\.|Describe a stone\.|Tell me about the sea\./)).toBeVisible();
  await expect(page.locator("body")).not.toContainText("tiny-policy");
});
