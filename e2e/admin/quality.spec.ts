import { expect, test } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { E2E_USERS } from "../fixtures/users";

test("an admin opens the quality page of a demo-like project: α, leaderboard chart, annotator table", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByRole("link", { name: "e2e quality demo" }).click();
  await page.getByTestId("quality-link").click();
  await expect(page.getByTestId("quality-title")).toBeVisible();
  await expect(page.getByTestId("alpha")).toHaveText(/^-?[01]\.\d{3}$/);
  await expect(page.getByTestId("percent-agreement")).toHaveText(/^\d+\.\d%$/);
  await expect(page.getByTestId("leaderboard-chart").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("leaderboard-chart")).toContainText("cirrus-70b-instruct");
  await expect(page.getByTestId("annotator-row").first()).toBeVisible();
  await expect(page.getByTestId("annotator-table")).toContainText("gpt-judge");
  await page.screenshot({ path: ".tmp/screenshots/quality.png", fullPage: true });

  const rows = await page.getByTestId("annotator-row").count();
  await page.getByTestId("exclude-annotator").first().click();
  await expect(page.getByTestId("annotator-row")).toHaveCount(rows - 1);
  await expect(page.getByTestId("excluded-annotators")).toBeVisible();
});
