import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId, queryE2eDb } from "../fixtures/db";
import { RANKING_PROJECT, SCREEN_USERS } from "../fixtures/screens";

for (const [width, height] of [
  [1440, 900],
  [390, 844],
] as const) {
  test(`ranking four responses: excerpts per row, the panel folds and never hides every response (${width} px)`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    await signIn(page, SCREEN_USERS.reader, `/annotate/${projectId(RANKING_PROJECT)}`);
    const item = page.getByTestId("item");
    await expect(item).toBeVisible();
    // Each row names its response by its first words, not only "Response A".
    for (const letter of ["A", "B", "C", "D"]) {
      const text = (await page.getByTestId(`response-${letter}`).locator(".md").innerText()).split("\n")[0] ?? "";
      await expect(page.getByTestId(`excerpt-${letter}`)).toContainText(text.slice(0, 20));
    }
    const panel = page.getByTestId("judgment-panel");
    const box = await panel.boundingBox();
    expect(box?.height ?? height).toBeLessThanOrEqual(0.45 * height + 1);

    // Scrolled to the first response, part of it is visible above the panel (which covers at most 45 %).
    await page.getByTestId("response-A").evaluate((el) => el.scrollIntoView({ block: "start" }));
    const visibleAbovePanel = async () => {
      const p = await panel.boundingBox();
      for (const letter of ["A", "B", "C", "D"]) {
        const r = await page.getByTestId(`response-${letter}`).boundingBox();
        if (r && p && r.y < p.y && r.y + r.height > 0) return true;
      }
      return false;
    };
    expect(await visibleAbovePanel()).toBe(true);

    // Folding leaves a thin bar: its title, Submit and skip.
    await page.getByTestId("fold-panel").click();
    await expect(page.getByTestId("ranking")).toHaveCount(0);
    expect((await panel.boundingBox())?.height ?? height).toBeLessThan(0.15 * height);
    await page.screenshot({ path: `.tmp/screenshots/ranking-folded-${width}.png` });
    await page.getByTestId("fold-panel").click();
    await expect(page.getByTestId("ranking")).toBeVisible();

    // Code stays readable: it scrolls inside its response instead of being clipped.
    const code = page.getByTestId("response-A").locator("pre").first();
    const codeBox = await code.evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
      overflow: getComputedStyle(el).overflowX,
    }));
    expect(codeBox.overflow).toBe("auto");
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    await page.screenshot({ path: `.tmp/screenshots/ranking-${width}.png` });

    // Keyboard: select C, move it to the top, submit.
    const assignment = Number(await item.getAttribute("data-assignment"));
    await page.keyboard.press("c");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    await expect(item).not.toHaveAttribute("data-assignment", String(assignment));
    const stored = queryE2eDb<{ ranking: string; shown_order: string }>(
      "SELECT ranking, shown_order FROM judgments WHERE assignment_id = ?",
      assignment,
    );
    expect(stored).toHaveLength(1);
    const shown = JSON.parse(stored[0]?.shown_order ?? "[]") as number[];
    expect((JSON.parse(stored[0]?.ranking ?? "[]") as number[])[0]).toBe(shown[2]);
  });
}
