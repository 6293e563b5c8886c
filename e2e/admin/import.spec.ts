import { expect, test } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { projectId, queryE2eDb } from "../fixtures/db";
import { E2E_USERS } from "../fixtures/users";

const hh = (q: string, good: string, bad: string) =>
  JSON.stringify({ chosen: `\n\nHuman: ${q}\n\nAssistant: ${good}`, rejected: `\n\nHuman: ${q}\n\nAssistant: ${bad}` });

async function newProject(page: import("@playwright/test").Page, name: string) {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByTestId("new-project").click();
  await page.getByTestId("project-name").fill(name);
  await page.getByTestId("create-project").click();
  await expect(page.getByTestId("project-title")).toHaveText(name);
}

test("an admin uploads an HH file through the page and sees the items counted", async ({ page }) => {
  await newProject(page, "e2e import hh");
  const lines = Array.from({ length: 40 }, (_, i) => hh(`Question ${i}?`, `Good answer ${i}.`, `Bad answer ${i}.`));
  await page.getByTestId("import-format").selectOption("hh");
  await page
    .getByTestId("import-file")
    .setInputFiles({ name: "hh.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(`${lines.join("\n")}\n`) });
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-ok")).toContainText("Imported 40 items, 80 responses and 40 judgments from hh.jsonl");
  await expect(page.getByTestId("project-status")).toContainText("Items40");
  const id = projectId("e2e import hh");
  expect(queryE2eDb<{ n: number }>("SELECT count(*) AS n FROM items WHERE project_id = ?", id)[0]?.n).toBe(40);
});

test("a broken file shows the line and field of each problem and imports nothing", async ({ page }) => {
  await newProject(page, "e2e import broken");
  const lines = [hh("q1", "a", "b"), hh("q2", "a", "b"), JSON.stringify({ chosen: "\n\nHuman: q3\n\nAssistant: a" }), "{not json"];
  await page.getByTestId("import-format").selectOption("hh");
  await page
    .getByTestId("import-file")
    .setInputFiles({ name: "broken.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(lines.join("\n")) });
  await page.getByTestId("import-submit").click();
  const errors = page.getByTestId("import-errors");
  await expect(errors).toContainText("Nothing was imported: 2 problems in broken.jsonl");
  await expect(errors).toContainText("line 3, field rejected:");
  await expect(errors).toContainText("line 4, field");
  await expect(page.getByTestId("project-status")).toContainText("Items0");
  const id = projectId("e2e import broken");
  expect(queryE2eDb<{ n: number }>("SELECT count(*) AS n FROM items WHERE project_id = ?", id)[0]?.n).toBe(0);
});
