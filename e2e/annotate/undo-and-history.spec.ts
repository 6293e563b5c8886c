import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId, queryE2eDb } from "../fixtures/db";
import { SCREEN_USERS, UNDO_PROJECT } from "../fixtures/screens";

type Row = {
  id: number;
  assignment_id: number;
  outcome: string;
  strength: number | null;
  supersedes_id: number | null;
  shown_order: string;
};

function rows(): Row[] {
  return queryE2eDb<Row>(
    "SELECT j.id, j.assignment_id, j.outcome, j.strength, j.supersedes_id, j.shown_order FROM judgments j JOIN users u ON u.id = j.annotator_id WHERE u.email = ? ORDER BY j.id",
    SCREEN_USERS.reviser.email,
  );
}

/** The stored (canonical) outcome for a choice made on screen (`a` = the left response). */
function canonical(screen: "a" | "b", shownOrder: string): string {
  const shown = JSON.parse(shownOrder) as number[];
  return shown[screen === "a" ? 0 : 1] === 0 ? "a" : "b";
}

for (const width of [1440, 390]) {
  test(`Undo brings the last item back with its choices; the revision supersedes it; /me lists and revises (${width} px)`, async ({
    page,
  }) => {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    const pid = projectId(UNDO_PROJECT);
    await signIn(page, SCREEN_USERS.reviser, `/annotate/${pid}`);
    const before = rows().length;
    const item = page.getByTestId("item");
    await expect(item).toBeVisible();
    const first = Number(await item.getAttribute("data-assignment"));
    const firstPrompt = await page.getByTestId("prompt").innerText();
    await page.keyboard.press("1");
    await page.keyboard.press("3");
    await page.keyboard.press("Enter");
    await expect(item).not.toHaveAttribute("data-assignment", String(first));
    const current = Number(await item.getAttribute("data-assignment"));
    await expect(page.getByTestId("announcer")).toContainText("Next item loaded");

    // Undo: the same item, A and "strong" still chosen, ready to change.
    await page.getByRole("button", { name: /^Undo/ }).click();
    await expect(page.getByTestId("revising")).toBeVisible();
    await expect(item).toHaveAttribute("data-assignment", String(first));
    await expect.poll(() => page.getByTestId("prompt").innerText()).toBe(firstPrompt);
    await expect(page.getByTestId("outcome-a")).toHaveAttribute("aria-pressed", "true");
    await expect(page.getByTestId("strength-3")).toHaveAttribute("aria-pressed", "true");
    await page.screenshot({ path: `.tmp/screenshots/undo-${width}.png` });
    await page.keyboard.press("2");
    await page.keyboard.press("4");
    await page.keyboard.press("Enter");
    // Back to the item that was current before the undo.
    await expect(page.getByTestId("revising")).toHaveCount(0);
    await expect(item).toHaveAttribute("data-assignment", String(current));

    const stored = rows().slice(before);
    expect(stored).toHaveLength(2);
    const [original, revision] = stored as [Row, Row];
    expect(original.assignment_id).toBe(first);
    expect(original.outcome).toBe(canonical("a", original.shown_order));
    expect(original.strength).toBe(3);
    expect(revision.supersedes_id).toBe(original.id);
    expect(revision.outcome).toBe(canonical("b", original.shown_order));
    expect(revision.strength).toBe(4);
    // Progress counts the item once.
    await expect(page.getByTestId("progress-mine")).toHaveText(`You: ${width === 1440 ? 1 : 2} judged`);

    // /me: the latest answer, with a Revise link that reopens it.
    await page.goto("/me");
    const entry = page.getByTestId("recent-judgment").first();
    await expect(entry).toContainText("B is better (decisive)");
    await expect(entry).toContainText("(revised)");
    await page.screenshot({ path: `.tmp/screenshots/me-history-${width}.png`, fullPage: true });
    await entry.getByRole("link", { name: /^Revise/ }).click();
    await expect(page.getByTestId("revising")).toBeVisible();
    await expect(page.getByTestId("outcome-b")).toHaveAttribute("aria-pressed", "true");
    await page.keyboard.press("3");
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("revising")).toHaveCount(0);
    const last = rows().at(-1);
    expect(last?.outcome).toBe("tie");
    expect(last?.supersedes_id).toBe(revision.id);
  });
}
