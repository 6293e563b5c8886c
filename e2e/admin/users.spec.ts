import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_USERS } from "../fixtures/users";

test("an admin invites an annotator by link; the link works once; disabling locks the account out", async ({ page, browser }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByTestId("nav-users").click();
  await page.getByTestId("invite-create").click();
  const link = (await page.getByTestId("invite-link").textContent()) ?? "";
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{40,}$/);

  const guest = await browser.newContext();
  const newcomer = await guest.newPage();
  await newcomer.goto(link);
  await newcomer.getByTestId("invite-email").fill("newcomer@e2e.test");
  // A common password is refused with the reason, and no account is made.
  await newcomer.getByTestId("invite-password").fill("password1234");
  await newcomer.getByTestId("invite-accept").click();
  await expect(newcomer.getByTestId("invite-error")).toContainText('common password ("password")');
  await newcomer.getByTestId("invite-password").fill("tidal-orchid-lantern");
  await newcomer.getByTestId("invite-accept").click();
  await expect(newcomer.getByTestId("nav-user")).toHaveText("newcomer@e2e.test · annotator");

  // The link is spent.
  const other = await (await browser.newContext()).newPage();
  await other.goto(link);
  await expect(other.getByTestId("invite-error")).toContainText("already used");

  // Disable the newcomer: their next API call is refused.
  await page.reload();
  const row = page.getByTestId("users-table").getByRole("row", { name: /newcomer@e2e.test/ });
  // Status and action apart: the status cell says Active, the button names what it does and to whom.
  await expect(row.getByTestId("user-status")).toHaveText("Active");
  await row.getByRole("button", { name: "Disable the account of newcomer@e2e.test" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("Disabled");
  await expect(row.getByRole("button", { name: "Enable the account of newcomer@e2e.test" })).toBeVisible();
  expect((await newcomer.request.get("/api/trpc/annotate.projects")).status()).toBe(401);
  await guest.close();
});
