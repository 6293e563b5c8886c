import fs from "node:fs";
import type { Page } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_QUALITY_PROJECT, E2E_USERS } from "../fixtures/users";

test("a researcher trains a tiny reward model in the browser and watches it succeed", async ({ page }) => {
  test.setTimeout(360_000); // training on a loaded CI machine: wait on state, generously
  await signIn(page, E2E_USERS.researcher, "/research/train");
  await expect(page.getByTestId("nav-research")).toBeVisible();
  await expect(page.getByTestId("doctor-panel")).toContainText("torch", { timeout: 30_000 });
  await page.getByTestId("train-project").selectOption({ label: E2E_QUALITY_PROJECT });
  await expect(page.getByTestId("doctor-devices")).toContainText("trainer process");
  await page.getByTestId("train-epochs").fill("1");
  // Data: current judgments under export policies (a snapshot is the other choice).
  await expect(page.getByTestId("train-data-filters")).toBeChecked();
  await page.getByTestId("train-ties").selectOption("drop");
  const view = await launch(page);
  await expect(view.getByTestId("job-state")).toHaveText("succeeded", { timeout: 300_000 });
  await expect(view.getByTestId("job-metrics")).toContainText("held-out accuracy");
  await expect(view.getByTestId("job-data")).toContainText(/filters \(ties drop, .*\) · \d+ rows from \d+ judgments/);
  // the loss/accuracy chart drew a curve from the persisted progress events
  await expect(view.locator(".recharts-line-curve").first()).toBeVisible();
  fs.mkdirSync(".tmp/screenshots", { recursive: true });
  await page.screenshot({ path: ".tmp/screenshots/train.png", fullPage: true });

  await page.getByTestId("link-models").click();
  const models = page.getByTestId("model-list");
  await expect(models).toContainText(`${E2E_QUALITY_PROJECT} · job`);
  await expect(models.locator("[data-testid^=model-data-]").first()).toContainText("ties drop");
  await models.locator("input[type=checkbox]").first().check();
  await expect(page.getByTestId("model-compare").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await page.screenshot({ path: ".tmp/screenshots/models.png", fullPage: true });
});

test("a researcher cancels a job and resumes it from its checkpoint", async ({ page }) => {
  test.setTimeout(360_000); // training on a loaded CI machine: wait on state, generously
  await signIn(page, E2E_USERS.researcher, "/research/train");
  await page.getByTestId("train-project").selectOption({ label: E2E_QUALITY_PROJECT });
  await page.getByTestId("train-epochs").fill("100");
  const view = await launch(page);
  await expect(view.getByTestId("job-state")).toHaveText("running", { timeout: 120_000 });
  await expect(view).toContainText(/step [1-9]\d*\//, { timeout: 120_000 }); // the trainer took a step
  await view.getByTestId("job-cancel").click();
  await expect(view.getByTestId("job-state")).toHaveText("cancelled", { timeout: 120_000 });
  await view.getByTestId("job-resume").click();
  await expect(view.getByTestId("job-state")).toHaveText(/queued|running/);
  await expect(view.getByTestId("job-data")).toContainText("resumed from step", { timeout: 120_000 });
  await view.getByTestId("job-cancel").click(); // no need to train 100 epochs here
  await expect(view.getByTestId("job-state")).toHaveText("cancelled", { timeout: 120_000 });
});

/** Launches the form's job and returns the job view once it shows that new job (not an earlier one). */
async function launch(page: Page) {
  const response = page.waitForResponse((r) => r.url().includes("research.train") && r.request().method() === "POST");
  await page.getByTestId("train-launch").click();
  // No transformer: a batched answer is [{result: {data: job}}], a single one {result: {data: job}}.
  const body = (await (await response).json()) as unknown;
  const answer = (Array.isArray(body) ? body[0] : body) as { result: { data: { id: number } } };
  const view = page.getByTestId("job-view");
  await expect(view.getByTestId("job-title")).toHaveText(`Job #${answer.result.data.id}`);
  return view;
}

test("an admin cannot open the research pages nor launch training", async ({ page }) => {
  await signIn(page, E2E_USERS.admin);
  await page.goto("/research/train");
  await expect(page.getByTestId("forbidden")).toBeVisible();
  const res = await page.request.post("/api/trpc/research.train", { data: { projectId: 1 } });
  expect(res.status()).toBe(403);
});
