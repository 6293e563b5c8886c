import type { Page } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId, queryE2eDb } from "../fixtures/db";
import { E2E_CHECK_ITEM, E2E_CHECKS_PROJECT, E2E_MODELS, E2E_USERS } from "../fixtures/users";

/** What the annotator sees: the prompt and the two responses' text, left (A) and right (B). */
async function shown(page: Page) {
  const text = async (id: string) => ((await page.getByTestId(id).textContent()) ?? "").replace(/^(Prompt|Response [AB])/, "").trim();
  return { prompt: await text("prompt"), left: await text("response-A"), right: await text("response-B") };
}

test("a missed check item shows its explanation; a judged item returns later with sides swapped; /me and the quality page show both", async ({
  page,
  browser,
}) => {
  const pid = projectId(E2E_CHECKS_PROJECT);
  const bodies: string[] = [];
  page.on("response", async (r) => {
    if (r.url().includes("/api/trpc/")) bodies.push(await r.text().catch(() => ""));
  });
  await signIn(page, E2E_USERS.annotator3, `/annotate/${pid}`);

  const seen = new Map<string, { index: number; left: string; right: string }>();
  let missedCheck = false;
  let checkOrdinal = 0; // the check item's place among the distinct items judged (1-based)
  let repeats = 0;
  // Half of the leases ask for the check item or a repeat; 40 leases make missing either vanishingly unlikely.
  for (let n = 0; n < 40 && !(missedCheck && repeats > 0); n++) {
    const item = page.getByTestId("item");
    await expect(item).toBeVisible();
    const assignment = (await item.getAttribute("data-assignment")) ?? "";
    const now = await shown(page);
    if (now.prompt.includes(E2E_CHECK_ITEM.prompt)) {
      expect(missedCheck).toBe(false); // never the same check item twice
      const wrongKey = now.left.includes(E2E_CHECK_ITEM.wrong) ? "1" : "2";
      const rightSide = now.left.includes(E2E_CHECK_ITEM.right) ? "A" : "B";
      await page.keyboard.press(wrongKey);
      await page.keyboard.press("Enter");
      await expect(page.getByTestId("answer-feedback")).toBeVisible();
      await expect(page.getByTestId("feedback-explanation")).toContainText(E2E_CHECK_ITEM.explanation);
      await expect(page.getByTestId("feedback-accepted")).toHaveText(`Accepted: ${rightSide} is better`);
      await page.screenshot({ path: "test-results/gold-feedback.png", fullPage: true });
      await page.getByTestId("feedback-continue").click();
      missedCheck = true;
      seen.set(now.prompt, { index: n, ...now });
      checkOrdinal = seen.size;
    } else {
      const earlier = seen.get(now.prompt);
      if (earlier) {
        // The same item again, later in the session, with the sides swapped.
        expect(now.left).toBe(earlier.right);
        expect(now.right).toBe(earlier.left);
        expect(n - earlier.index).toBeGreaterThanOrEqual(6);
        repeats += 1;
      } else seen.set(now.prompt, { index: n, ...now });
      await page.keyboard.press("1"); // always the left one: on a swapped repeat that is a flip
      await page.keyboard.press("Enter");
    }
    const next = page.getByTestId("item").or(page.getByTestId("queue-empty"));
    await expect(next).toBeVisible();
    if (await page.getByTestId("queue-empty").isVisible()) break;
    await expect(page.getByTestId("item")).not.toHaveAttribute("data-assignment", assignment);
  }
  expect(missedCheck).toBe(true);
  expect(repeats).toBeGreaterThan(0);
  // Repeats are not new items: the annotator's count is the distinct items judged.
  await expect(page.getByTestId("progress-mine")).toHaveText(`You: ${seen.size} judged`);

  // Nothing the annotator's browser received names the models or says which items are checks or repeats.
  expect(bodies.length).toBeGreaterThanOrEqual(seen.size + repeats); // one answer per submit at least
  for (const body of bodies) {
    for (const model of E2E_MODELS) expect(body).not.toContain(model);
    expect(body).not.toMatch(/gold|repeat/i);
  }

  const user = queryE2eDb<{ id: number }>("SELECT id FROM users WHERE email = ?", E2E_USERS.annotator3.email)[0]?.id;
  const stored = queryE2eDb<{ shown_order: string; original: string }>(
    `SELECT r.shown_order, o.shown_order AS original FROM assignments r JOIN assignments o ON o.id = r.repeat_of
     WHERE r.user_id = ? AND r.project_id = ? AND r.state = 'submitted'`,
    user,
    pid,
  );
  expect(stored).toHaveLength(repeats);
  for (const r of stored) expect(JSON.parse(r.shown_order)).toEqual([...JSON.parse(r.original)].reverse());

  // My progress: own figures only, with the explanation of the miss. Check figures move in batches of
  // ten judged items, so they count the check item only once its batch is complete.
  await page.goto("/me");
  const mine = page.getByTestId(`my-project-${pid}`);
  const covered = Math.floor(seen.size / 10) * 10;
  await expect(mine.getByTestId("my-summary")).toContainText(
    checkOrdinal <= covered ? `${seen.size} judged · check items 0/1 correct (0%)` : `${seen.size} judged · check items 0/0 correct`,
  );
  await expect(mine.getByTestId("my-miss")).toContainText(E2E_CHECK_ITEM.explanation);
  await page.screenshot({ path: "test-results/my-progress.png", fullPage: true });

  // The admin sees the flip rate (every repeat was a flip: the left side both times) and the gold mark.
  const admin = await browser.newContext();
  const adminPage = await admin.newPage();
  await signIn(adminPage, E2E_USERS.admin, `/admin/projects/${pid}/quality`);
  await expect(adminPage.getByTestId("flip-chart")).toContainText("ann3");
  await expect(adminPage.getByTestId("flip-chart")).toContainText(`${repeats}/${repeats}`);
  await adminPage.getByTestId("flip-chart").screenshot({ path: "test-results/flip-chart.png" });
  await adminPage.goto(`/admin/projects/${pid}/gold`);
  await adminPage.getByTestId("gold-only").check();
  await expect(adminPage.locator(`[data-testid^="gold-item-"]`)).toHaveCount(1);
  await expect(adminPage.getByTestId("gold-mark")).toContainText("gold: a");

  // Marking through the page: accepted answers and an explanation; then unmarking puts it back.
  await adminPage.getByTestId("gold-only").uncheck();
  const row = adminPage.locator('[data-testid^="gold-item-"]', { hasText: "Plain question 3:" });
  await row.getByTestId("edit-gold").click();
  await row.getByTestId("accept-b").check();
  await row.getByTestId("accept-extra").fill("a:4");
  await row.getByTestId("gold-explanation").fill("The second answer names a prime.");
  await row.getByTestId("save-gold").click();
  await expect(row.getByTestId("gold-mark")).toContainText("gold: b, a:4");
  await expect(row.getByTestId("gold-mark")).toContainText("The second answer names a prime.");
  await adminPage.screenshot({ path: "test-results/gold-page.png" });
  await row.getByTestId("unmark-gold").click();
  await expect(row).toContainText("not gold");
  await admin.close();
});
