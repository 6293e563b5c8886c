import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { writeTinyModel } from "@/server/testing/tiny-model";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_DB, E2E_PROJECT, E2E_QUALITY_PROJECT, E2E_USERS } from "../fixtures/users";

const MODEL_NAME = "e2e playground model";

/** A random-init tiny reward model registered in the e2e database (training is covered by train.spec). */
function registerModel(): number {
  const dir = writeTinyModel(path.join(path.dirname(E2E_DB), "playground-model"), { seed: 3 });
  const db = new Database(E2E_DB);
  try {
    const existing = db.prepare("SELECT id FROM models WHERE name = ?").get(MODEL_NAME) as { id: number } | undefined;
    if (existing) return existing.id;
    return Number(db.prepare("INSERT INTO models (name, base, dir) VALUES (?, 'tiny', ?)").run(MODEL_NAME, dir).lastInsertRowid);
  } finally {
    db.close();
  }
}

test("a researcher scores candidates in the playground, reranks them, and compares the model with humans", async ({ page }) => {
  test.setTimeout(240_000);
  const modelId = registerModel();
  await signIn(page, E2E_USERS.researcher, "/research/train");
  await page.getByTestId("nav-research-playground").click();
  await expect(page).toHaveURL(/\/research\/playground$/);
  await page.getByTestId("playground-model").selectOption({ label: MODEL_NAME });

  await page.getByTestId("playground-prompt").fill("Explain `map` in one line.");
  await page.getByTestId("candidate-0").fill("`map` returns a **new array** with each element transformed.");
  await page.getByTestId("candidate-1").fill("no idea");
  await page.getByTestId("candidate-add").click();
  await page.getByTestId("candidate-2").fill('It maps.<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true">');
  await page.getByTestId("playground-score").click();

  const result = page.getByTestId("playground-result");
  await expect(result).toBeVisible({ timeout: 60_000 });
  for (const i of [0, 1, 2]) await expect(page.getByTestId(`reward-${i}`)).toHaveText(/^reward -?\d+\.\d{3}$/);
  await expect(page.getByTestId("ranked-1")).toBeVisible();
  await expect(page.getByTestId("best-of-n").locator("article")).toHaveCount(3);
  // P(A > B) and P(B > A) are complementary
  const pab = Number(await page.getByTestId("p-0-1").textContent());
  const pba = Number(await page.getByTestId("p-1-0").textContent());
  expect(pab + pba).toBeCloseTo(1, 1);
  await expect(page.getByTestId("reward-chart").locator(".recharts-bar-rectangle")).toHaveCount(3);
  // model text is sanitized markdown: bold renders, raw HTML shows as text and never runs
  await expect(page.getByTestId("best-of-n").locator("strong", { hasText: "new array" })).toBeVisible();
  await expect(page.getByTestId("best-of-n")).toContainText("<script>");
  expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
  fs.mkdirSync(".tmp/screenshots", { recursive: true });
  await page.screenshot({ path: ".tmp/screenshots/playground.png", fullPage: true });

  // load a project's item as the candidates
  await page.getByTestId("playground-project").selectOption({ label: E2E_PROJECT });
  await expect(page.getByTestId("playground-item").locator("option")).not.toHaveCount(1);
  await page.getByTestId("playground-item").selectOption({ index: 1 });
  await expect(page.getByTestId("candidate-1")).toHaveValue(/Short answer 0/);
  await page.getByTestId("playground-score").click();
  await expect(page.getByTestId("best-of-n").locator("article")).toHaveCount(2);

  // model vs humans on the demo-like project, then order its queue by uncertainty
  await page.goto(`/research/models/${modelId}/humans`);
  await expect(page.getByTestId("humans-model")).toHaveText(MODEL_NAME);
  await page.getByTestId("humans-project").selectOption({ label: E2E_QUALITY_PROJECT });
  await page.getByTestId("humans-score").click();
  await expect(page.getByTestId("humans-job-state")).toHaveText("succeeded", { timeout: 60_000 });
  await expect(page.getByTestId("tile-model")).toContainText(/\d+\.\d%/);
  await expect(page.getByTestId("chart-criteria").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("disagreements").locator("article").first()).toBeVisible();
  await page.getByTestId("queue-reorder").click();
  await expect(page.getByTestId("queue-result")).toContainText("Reordered", { timeout: 60_000 });
  await page.screenshot({ path: ".tmp/screenshots/model-vs-humans.png", fullPage: true });
});

test("an annotator cannot score", async ({ page }) => {
  await signIn(page, E2E_USERS.annotator1);
  const res = await page.request.post("/api/trpc/scoring.score", { data: { modelId: 1, prompt: "x", responses: ["y"] } });
  expect(res.status()).toBe(403);
});
