import type { Page } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId } from "../fixtures/db";
import { SCREEN_USERS, TEXT_PROJECT } from "../fixtures/screens";

/** How far the page scrolls sideways (0 = it does not). */
async function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Finds the response (A or B) whose text contains `needle`. */
async function responseWith(page: Page, needle: string) {
  for (const side of ["A", "B"]) {
    const r = page.getByTestId(`response-${side}`);
    if ((await r.textContent())?.includes(needle)) return r;
  }
  throw new Error(`no response contains ${needle}`);
}

test.describe("text as written", () => {
  test("line breaks are kept, code scrolls inside its box, long tokens wrap (1440 px)", async ({ page }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signIn(page, SCREEN_USERS.reader, `/annotate/${projectId(TEXT_PROJECT)}`);
    const prompt = page.getByTestId("prompt");
    await expect(prompt).toBeVisible();
    // Three lines, not one: the browser's rendered text keeps the breaks.
    expect(await prompt.locator(".md").innerText()).toBe("Solve the system:\n5x + 3y = 61\n5x − 2y = 26");
    const haiku = await responseWith(page, "An old silent pond");
    expect(await haiku.locator(".md p").first().innerText()).toBe(
      "An old silent pond\nA frog jumps into the pond—\nSplash! Silence again.",
    );

    const code = page.locator("pre").first();
    const box = await code.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, overflow: getComputedStyle(el).overflowX }));
    expect(box.overflow).toBe("auto");
    expect(box.scroll).toBeGreaterThan(box.client); // it scrolls inside…
    const column = await (await responseWith(page, "Subtract")).boundingBox();
    const codeBox = await code.boundingBox();
    expect(codeBox && column && codeBox.x + codeBox.width <= column.x + column.width + 1).toBe(true); // …and stays in its column
    expect(await sidewaysOverflow(page)).toBe(0); // the 300-character URL wraps
    await page.screenshot({ path: ".tmp/screenshots/text-as-written-1440.png", fullPage: true });
  });

  test("phone (390 px): no sideways scrolling, menu, sticky judgment bar, strength row fits", async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, SCREEN_USERS.reader, `/annotate/${projectId(TEXT_PROJECT)}`);
    await expect(page.getByTestId("prompt")).toBeVisible();
    expect(await sidewaysOverflow(page)).toBe(0);

    // The judgment bar sits at the bottom of the screen, not ~1,900 px down.
    const panel = page.getByTestId("judgment-panel");
    const p = await panel.boundingBox();
    expect(p).not.toBeNull();
    expect(Math.abs((p?.y ?? 0) + (p?.height ?? 0) - 844)).toBeLessThanOrEqual(2);
    expect(p?.height ?? 0).toBeLessThanOrEqual(0.45 * 844 + 1);

    await page.keyboard.press("1");
    const strength = page.getByTestId("strength");
    await expect(strength).toBeVisible();
    for (let i = 1; i <= 4; i++) {
      const b = await page.getByTestId(`strength-${i}`).boundingBox();
      expect(b && b.x >= 0 && b.x + b.width <= 390).toBe(true);
    }
    expect(await sidewaysOverflow(page)).toBe(0);
    await page.screenshot({ path: ".tmp/screenshots/annotate-phone-390.png" });

    // Header: the links and Sign out fold into a Menu that opens on screen.
    await expect(page.getByRole("button", { name: "Sign out" })).toBeHidden();
    await page.getByRole("button", { name: "Menu" }).click();
    const signOut = page.getByRole("button", { name: "Sign out" });
    await expect(signOut).toBeVisible();
    const s = await signOut.boundingBox();
    expect(s && s.x + s.width <= 390).toBe(true);
    await expect(page.getByRole("link", { name: "Annotate" })).toHaveAttribute("aria-current", "page");
    expect(await sidewaysOverflow(page)).toBe(0);
    await page.screenshot({ path: ".tmp/screenshots/annotate-phone-390-menu.png" });
  });
});
