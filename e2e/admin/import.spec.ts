import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
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

test("a pretty-printed file is explained (one JSON object per line), the list scrolls, and the refusal is audited", async ({ page }) => {
  await newProject(page, "e2e import pretty");
  // The README's example item, pretty-printed as people paste it, and a line missing its responses.
  const item = {
    id: "ext-42",
    prompt: "Solve the system:\n5x + 3y = 61\n5x − 2y = 26",
    responses: [
      { model: "m1", text: "x = 8, y = 7" },
      { model: "m2", text: "x = 7, y = 8" },
    ],
    judgments: [{ annotator: "judge-x", winner: "a", strength: 3 }],
  };
  const file = `${JSON.stringify(item, null, 2)}\n${JSON.stringify({ prompt: "no responses" })}\n`;
  await page.getByTestId("import-file").setInputFiles({ name: "pretty.json", mimeType: "application/json", buffer: Buffer.from(file) });
  await page.getByTestId("import-submit").click();
  const errors = page.getByTestId("import-errors");
  await expect(errors).toContainText(
    "lines 1–21, field (line): not a whole JSON object: the file must hold one whole JSON object per line (JSONL)",
  );
  await expect(errors).toContainText("field responses: missing: this field is required");
  await expect(errors).not.toContainText("received undefined");
  const list = errors.locator("ul");
  expect(await list.evaluate((el) => getComputedStyle(el).overflowY)).toBe("auto");
  await page.screenshot({ path: ".tmp/screenshots/import-errors-1440.png" });
  // Many different problems: the list scrolls inside its box.
  const mixed = Array.from({ length: 30 }, (_, i) => (i % 2 ? "{oops" : JSON.stringify({ prompt: `p${i}` }))).join("\n");
  await page.getByTestId("import-file").setInputFiles({ name: "mixed.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(mixed) });
  await page.getByTestId("import-submit").click();
  await expect(errors).toContainText("Nothing was imported: 30 problems in mixed.jsonl");
  expect(await list.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);

  await page.getByTestId("nav-audit").click();
  const row = page.getByTestId("audit-row").filter({ hasText: "Import refused" }).filter({ hasText: "pretty.json" });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("e2e import pretty");
  await expect(row).toContainText("not a whole JSON object");
  await expect(page.getByTestId("audit-row").filter({ hasText: "Import refused" }).filter({ hasText: "mixed.jsonl" })).toHaveCount(1);
  const id = projectId("e2e import pretty");
  expect(queryE2eDb<{ n: number }>("SELECT count(*) AS n FROM items WHERE project_id = ?", id)[0]?.n).toBe(0);
});
