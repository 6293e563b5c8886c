import fs from "node:fs";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_USERS } from "../fixtures/users";

test("an admin exports TRL, downloads it in the browser and the file parses", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByTestId("new-project").click();
  await page.getByTestId("project-name").fill("e2e export");
  await page.getByTestId("create-project").click();
  await expect(page.getByTestId("project-title")).toHaveText("e2e export");
  const lines = [1, 2, 3].map((i) =>
    JSON.stringify({
      id: `x${i}`,
      prompt: `Question ${i}?`,
      responses: [
        { model: "m1", text: `good ${i}` },
        { model: "m2", text: `bad ${i}` },
      ],
      judgments: [{ annotator: "judge-e2e", winner: i === 3 ? "tie" : "a" }],
    }),
  );
  await page
    .getByTestId("import-file")
    .setInputFiles({ name: "j.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(lines.join("\n")) });
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-ok")).toContainText("Imported 3 items");

  await page.getByTestId("exports-link").click();
  await expect(page.getByTestId("snapshot-list")).toContainText("No exports yet.");
  await page.getByTestId("export-format").selectOption("trl");
  await page.getByTestId("export-submit").click();
  const link = page.locator('[data-testid^="download-"]').first();
  await expect(link).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const file = await download.path();
  const rows = fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(rows).toEqual([
    { prompt: "\n\nHuman: Question 1?\n\nAssistant:", chosen: " good 1", rejected: " bad 1" },
    { prompt: "\n\nHuman: Question 2?\n\nAssistant:", chosen: " good 2", rejected: " bad 2" },
  ]);
  expect(download.suggestedFilename()).toMatch(/-trl-snapshot-\d+\.jsonl$/);
});

test("an annotator cannot download a snapshot", async ({ page }) => {
  await signIn(page, E2E_USERS.annotator1);
  expect((await page.request.get("/api/exports/1")).status()).toBe(403);
  expect((await page.request.get("/api/trpc/exports.list?input=%7B%22projectId%22%3A1%7D")).status()).toBe(403);
});
