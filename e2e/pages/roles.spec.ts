import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_USERS } from "../fixtures/users";

/** The header of every role: each page of the role is one click away, the current one marked. */
const PAGES = {
  annotator: ["Annotate", "My progress"],
  admin: ["Annotate", "My progress", "Projects", "Users", "Audit log"],
  researcher: ["Annotate", "My progress", "Projects", "Audit log", "Train", "Models", "Playground"],
} as const;

for (const role of ["annotator", "admin", "researcher"] as const) {
  test(`the ${role}'s header links every page of the role and marks the current one; no sideways scrolling at 390 px`, async ({ page }) => {
    const user = role === "annotator" ? E2E_USERS.annotator2 : E2E_USERS[role];
    const home = role === "researcher" ? "/research/train" : role === "admin" ? "/admin" : "/me";
    await signIn(page, user, home);
    const nav = page.getByRole("navigation", { name: "Main" });
    const names = (await nav.getByRole("link").allTextContents()).map((t) => t.trim());
    expect(names).toEqual([...PAGES[role]]);
    await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
    await page.screenshot({ path: `.tmp/screenshots/role-${role}-1440.png` });
    // Keyboard focus is visible: the first links take a solid outline (once the page has settled, so a
    // late render does not drop the focus).
    await page.goto(home, { waitUntil: "networkidle" });
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press("Tab");
      const outline = await page.evaluate(() => {
        const el = document.activeElement;
        return el && el !== document.body ? getComputedStyle(el).outlineStyle : "none";
      });
      expect(outline).toBe("solid");
    }
    await page.setViewportSize({ width: 390, height: 844 });
    // Charts follow the width through a ResizeObserver, a frame or two after the viewport changes.
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    await page.getByRole("button", { name: "Menu" }).click();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeInViewport();
    await page.screenshot({ path: `.tmp/screenshots/role-${role}-390.png` });
  });
}

test("Sign out ends the session: the header names no one and pages ask to sign in again", async ({ page }) => {
  await signIn(page, E2E_USERS.annotator2, "/me");
  await expect(page.getByTestId("nav-user")).toContainText(E2E_USERS.annotator2.email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/login**");
  await expect(page.getByTestId("nav-user")).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await page.goto("/me");
  await page.waitForURL("**/login?callbackUrl=%2Fme");
  // The old session cookie is gone from the browser: the API refuses it too.
  expect((await page.request.get("/api/trpc/annotate.projects")).status()).toBe(401);
});
