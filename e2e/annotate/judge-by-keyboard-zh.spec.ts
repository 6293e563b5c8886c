import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId } from "../fixtures/db";
import { E2E_PROJECT, E2E_USERS } from "../fixtures/users";

/**
 * The annotate screen in Simplified Chinese for a browser that asks for it, and back in English with
 * the header's language switcher. Nothing is submitted: other specs count this user's judgments.
 */
test.use({ locale: "zh-CN" });

test("a Chinese browser gets the annotate screen in Chinese; the switcher turns it English", async ({ page }) => {
  const pid = projectId(E2E_PROJECT);
  await signIn(page, E2E_USERS.annotator2, `/annotate/${pid}`);
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  const item = page.getByTestId("item");
  await expect(item).toBeVisible();
  await expect(page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "标注" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "提示" })).toBeVisible();
  await expect(page.getByTestId("progress-mine")).toContainText("你：已评判");

  // Keys as in English: 1 = A better, then 1–4 for strength; Esc clears.
  await page.keyboard.press("1");
  await expect(page.getByRole("button", { name: /A 更好/ })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("strength")).toContainText("好多少？");
  await page.screenshot({ path: ".tmp/screenshots/annotate-zh-1440.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(item).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: ".tmp/screenshots/annotate-zh-390.png", fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.keyboard.press("Escape");
  await expect(page.getByRole("button", { name: /A 更好/ })).toHaveAttribute("aria-pressed", "false");

  await page.getByRole("combobox", { name: "语言" }).selectOption("en");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { name: "Prompt" })).toBeVisible();
  await page.keyboard.press("2");
  await expect(page.getByRole("button", { name: /B is better/ })).toHaveAttribute("aria-pressed", "true");
  await page.screenshot({ path: ".tmp/screenshots/annotate-en-switched-1440.png", fullPage: true });

  // The choice outlives the page: a reload stays English although the browser asks for Chinese.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Prompt" })).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Language" })).toHaveValue("en");
});
