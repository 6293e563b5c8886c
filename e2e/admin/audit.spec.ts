import { expect, test } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { E2E_USERS } from "../fixtures/users";

test("an admin reads the audit log: sign-ins and project actions, filterable", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByTestId("nav-audit").click();
  const table = page.getByTestId("audit-table");
  await expect(table).toContainText("auth.login");
  await expect(table).toContainText(E2E_USERS.admin.email);
  await page.getByRole("button", { name: "Projects & imports" }).click();
  await expect(table).toContainText("project.import");
  await expect(table).not.toContainText("auth.login");
});

test("an annotator cannot read the audit log", async ({ page }) => {
  await signIn(page, E2E_USERS.annotator1);
  await page.goto("/admin/audit");
  await expect(page.getByTestId("forbidden")).toBeVisible();
  expect((await page.request.get("/api/trpc/audit.list")).status()).toBe(403);
});
