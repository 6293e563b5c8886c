import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_USERS } from "../fixtures/users";

test("an admin reads the audit log: sign-ins and project actions in words, filterable", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByTestId("nav-audit").click();
  await expect(page.getByTestId("nav-audit")).toHaveAttribute("aria-current", "page");
  const table = page.getByTestId("audit-table");
  await expect(table).toContainText("auth.login");
  await expect(table).toContainText("Signed in");
  await expect(table).toContainText(E2E_USERS.admin.email);
  await page.getByRole("button", { name: "Projects & imports" }).click();
  await expect(table).toContainText("project.import");
  await expect(table).not.toContainText("auth.login");
  // Project names, not ids; details as labelled values, not JSON.
  const row = page.getByTestId("audit-row").filter({ hasText: "Imported a file" }).first();
  await expect(row.getByRole("link")).toHaveText(/^e2e /);
  await expect(row).toContainText("items");
  await expect(row).not.toContainText("{");
  await page.screenshot({ path: ".tmp/screenshots/audit-log-1440.png" });
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
  await page.screenshot({ path: ".tmp/screenshots/audit-log-390.png" });
});

test("an annotator cannot read the audit log", async ({ page }) => {
  await signIn(page, E2E_USERS.annotator1);
  await page.goto("/admin/audit");
  await expect(page.getByTestId("forbidden")).toBeVisible();
  expect((await page.request.get("/api/trpc/audit.list")).status()).toBe(403);
});
