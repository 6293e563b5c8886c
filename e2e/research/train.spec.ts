import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { E2E_QUALITY_PROJECT, E2E_USERS } from "../fixtures/users";

test("a researcher trains a tiny reward model in the browser and watches it succeed", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, E2E_USERS.researcher, "/research/train");
  await expect(page.getByTestId("nav-research")).toBeVisible();
  await expect(page.getByTestId("doctor-panel")).toContainText("torch", { timeout: 30_000 });
  await page.getByTestId("train-project").selectOption({ label: E2E_QUALITY_PROJECT });
  await page.getByTestId("train-epochs").fill("1");
  await page.getByTestId("train-launch").click();
  const view = page.getByTestId("job-view");
  await expect(view.getByTestId("job-state")).toHaveText("succeeded", { timeout: 90_000 });
  await expect(view.getByTestId("job-metrics")).toContainText("eval accuracy");
  // the loss/accuracy chart drew a curve from the persisted progress events
  await expect(view.locator(".recharts-line-curve").first()).toBeVisible();
  fs.mkdirSync(".tmp/screenshots", { recursive: true });
  await page.screenshot({ path: ".tmp/screenshots/train.png", fullPage: true });

  await page.getByTestId("link-models").click();
  const models = page.getByTestId("model-list");
  await expect(models).toContainText(`${E2E_QUALITY_PROJECT} · job`);
  await models.locator("input[type=checkbox]").first().check();
  await expect(page.getByTestId("model-compare").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await page.screenshot({ path: ".tmp/screenshots/models.png", fullPage: true });
});

test("an admin cannot open the research pages nor launch training", async ({ page }) => {
  await signIn(page, E2E_USERS.admin);
  await page.goto("/research/train");
  await expect(page.getByTestId("forbidden")).toBeVisible();
  const res = await page.request.post("/api/trpc/research.train", { data: { projectId: 1 } });
  expect(res.status()).toBe(403);
});
