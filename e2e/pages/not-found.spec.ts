import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_USERS } from "../fixtures/users";

test("an unknown URL shows a styled page with navigation and no CSP errors; bad project URLs one friendly message", async ({ page }) => {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await signIn(page, E2E_USERS.annotator2, "/");
  const res = await page.goto("/no/such/page");
  expect(res?.status()).toBe(404);
  const panel = page.getByTestId("not-found");
  await expect(panel).toContainText("There is no page here");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Annotate" })).toBeVisible();
  await expect(panel.getByRole("link", { name: "My projects" })).toBeVisible();
  await page.screenshot({ path: ".tmp/screenshots/not-found-1440.png" });
  // The header is live (its scripts ran): the signed-in user shows.
  await expect(page.getByTestId("nav-user")).toContainText(E2E_USERS.annotator2.email);
  expect(errors.filter((e) => /Content Security Policy|CSP/i.test(e))).toEqual([]);

  for (const bad of ["/annotate/999999", "/annotate/abc"]) {
    await page.goto(bad);
    const message = page.getByTestId("project-unavailable");
    await expect(message).toContainText("This project is not available");
    await expect(page.locator(".text-red-600")).toHaveCount(0);
    await message.getByRole("link", { name: "Back to my projects" }).click();
    await expect(page).toHaveURL(/\/$/);
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/still/not/here");
  await expect(page.getByTestId("not-found")).toBeVisible();
  await page.screenshot({ path: ".tmp/screenshots/not-found-390.png" });
  expect(errors.filter((e) => /Content Security Policy|CSP/i.test(e))).toEqual([]);
});
