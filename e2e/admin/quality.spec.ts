import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId } from "../fixtures/db";
import { E2E_TINY_PROJECT, E2E_USERS } from "../fixtures/users";

test("an admin opens the quality page of a demo-like project: α, leaderboard chart, annotator table", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByRole("link", { name: "e2e quality demo" }).click();
  await page.getByTestId("quality-link").click();
  await expect(page.getByTestId("quality-title")).toBeVisible();
  await expect(page.getByTestId("alpha")).toHaveText(/^-?[01]\.\d{3}$/);
  await expect(page.getByTestId("percent-agreement")).toHaveText(/^\d+\.\d%$/);
  await expect(page.getByTestId("leaderboard-chart").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("leaderboard-chart")).toContainText("cirrus-70b-instruct");
  // Axis titles, and round ticks on the rating axis.
  await expect(page.getByTestId("leaderboard-chart")).toContainText("Bradley-Terry rating (Elo scale)");
  await expect(page.getByTestId("annotator-scatter")).toContainText("median seconds per item");
  // The rating axis: its tick labels are the chart's numeric ones (the other axis names models).
  const tickText = page.getByTestId("leaderboard-chart").locator(".recharts-cartesian-axis-tick-value");
  await expect(tickText.first()).toBeVisible();
  const ticks = (await tickText.allTextContents()).map((t) => t.replace(/,/g, "")).filter((t) => /^-?\d+(\.\d+)?$/.test(t));
  expect(ticks.length).toBeGreaterThan(1);
  for (const t of ticks) expect(Number(t) % 5).toBe(0);
  await expect(page.getByTestId("annotator-row").first()).toBeVisible();
  await expect(page.getByTestId("annotator-table")).toContainText("gpt-judge");
  await page.screenshot({ path: ".tmp/screenshots/quality.png", fullPage: true });

  const rows = await page.getByTestId("annotator-row").count();
  await page.getByTestId("exclude-annotator").first().click();
  await expect(page.getByTestId("annotator-row")).toHaveCount(rows - 1);
  await expect(page.getByTestId("excluded-annotators")).toBeVisible();
});

test("a project with almost no judgments says how many its charts need instead of drawing empty frames", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, `/admin/projects/${projectId(E2E_TINY_PROJECT)}/quality`);
  await expect(page.getByTestId("quality-title")).toBeVisible();
  await expect(page.getByTestId("leaderboard-chart").getByTestId("chart-empty")).toContainText("needs at least 20");
  await expect(page.getByTestId("leaderboard-chart").locator(".recharts-surface")).toHaveCount(0);
  await page.screenshot({ path: ".tmp/screenshots/quality-empty.png", fullPage: true });
});
