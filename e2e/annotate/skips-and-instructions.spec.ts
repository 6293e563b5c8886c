import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId } from "../fixtures/db";
import { SCREEN_USERS, SKIP_PROJECT } from "../fixtures/screens";

test("instructions open on the first visit and after they change; a skipped item returns once at the end", async ({ page }) => {
  const pid = projectId(SKIP_PROJECT);
  await signIn(page, SCREEN_USERS.skipper, `/annotate/${pid}`);
  const instructions = page.getByTestId("instructions");
  await expect(instructions).toHaveAttribute("open", "");
  await expect(instructions).toContainText("Judge accuracy first");
  await page.screenshot({ path: ".tmp/screenshots/instructions-first-visit.png" });
  await page.reload();
  await expect(page.getByTestId("item")).toBeVisible();
  await expect(instructions).not.toHaveAttribute("open", "");
  // Instructions edited since they were last shown: they open again.
  await page.evaluate((key) => window.localStorage.setItem(key, "an older version"), `arbiter:instructions:${pid}`);
  await page.reload();
  await expect(instructions).toHaveAttribute("open", "");

  const item = page.getByTestId("item");
  const skippedPrompt = await page.getByTestId("prompt").innerText();
  const skipped = await item.getAttribute("data-assignment");
  await page.getByRole("button", { name: "Can't judge this one" }).click();
  await expect(item).not.toHaveAttribute("data-assignment", skipped ?? "");
  const seen: string[] = [];
  for (let i = 0; i < 2; i++) {
    const prompt = await page.getByTestId("prompt").innerText();
    expect(prompt).not.toBe(skippedPrompt);
    seen.push(prompt);
    const a = await item.getAttribute("data-assignment");
    await page.keyboard.press("3");
    await page.keyboard.press("Enter");
    await expect(item.or(page.getByTestId("queue-empty"))).toBeVisible();
    if (await item.isVisible()) await expect(item).not.toHaveAttribute("data-assignment", a ?? "");
  }
  // The end of the queue: the skipped item is back, once.
  await expect.poll(() => page.getByTestId("prompt").innerText()).toBe(skippedPrompt);
  await page.getByRole("button", { name: "Can't judge this one" }).click();
  await expect(page.getByTestId("queue-empty")).toBeVisible();
  expect(new Set(seen).size).toBe(2);
});
