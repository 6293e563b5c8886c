import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId, queryE2eDb } from "../fixtures/db";
import { E2E_MODELS, E2E_PROJECT, E2E_USERS } from "../fixtures/users";

test("an annotator judges five items by keyboard; each is stored with its shown order", async ({ page }) => {
  const pid = projectId(E2E_PROJECT);
  const bodies: string[] = [];
  page.on("response", async (res) => {
    if (res.url().includes("/api/trpc/")) bodies.push(await res.text().catch(() => ""));
  });
  await signIn(page, E2E_USERS.annotator1, `/annotate/${pid}`);

  // Keys per item: outcome (1 = A, 2 = B, 3 = tie, 4 = both bad), then strength for A/B, then Enter.
  const plan = [["1", "2"], ["2", "4"], ["3"], ["1", "1"], ["4"]] as const;
  const pressed: { assignment: number; keys: readonly string[] }[] = [];
  for (const keys of plan) {
    const item = page.getByTestId("item");
    await expect(item).toBeVisible();
    const assignment = Number(await item.getAttribute("data-assignment"));
    if (pressed.length === 0) {
      await expect(item).toContainText("<script>window.__pwned = true</script>"); // shown as text, not run
      await page.screenshot({ path: ".tmp/screenshots/annotate.png", fullPage: true });
    }
    for (const k of keys) await page.keyboard.press(k);
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("item")).not.toHaveAttribute("data-assignment", String(assignment));
    pressed.push({ assignment, keys });
  }
  await expect(page.getByTestId("progress-mine")).toHaveText("You: 5 judged");
  expect(await page.evaluate(() => (window as { __pwned?: boolean }).__pwned)).toBeUndefined();
  for (const model of E2E_MODELS) expect(bodies.join("\n")).not.toContain(model);

  const rows = queryE2eDb<{ assignment_id: number; outcome: string; strength: number | null; shown_order: string }>(
    "SELECT j.assignment_id, j.outcome, j.strength, j.shown_order FROM judgments j JOIN users u ON u.id = j.annotator_id WHERE u.email = ? ORDER BY j.id",
    E2E_USERS.annotator1.email,
  );
  expect(rows).toHaveLength(5);
  rows.forEach((row, i) => {
    const { assignment, keys } = pressed[i] as (typeof pressed)[number];
    const shown = JSON.parse(row.shown_order) as number[];
    expect(row.assignment_id).toBe(assignment);
    expect([...shown].sort()).toEqual([0, 1]);
    const screen = { "1": "a", "2": "b", "3": "tie", "4": "both_bad" }[keys[0] as "1"];
    // A = the response shown on the left = responses[shown[0]].
    const expected = screen === "a" ? (shown[0] === 0 ? "a" : "b") : screen === "b" ? (shown[1] === 0 ? "a" : "b") : screen;
    expect(row.outcome).toBe(expected);
    expect(row.strength).toBe(keys[1] ? Number(keys[1]) : null);
  });
});

test("a resubmitted judgment is stored once (idempotent submission id)", async ({ page }) => {
  const pid = projectId(E2E_PROJECT);
  await signIn(page, E2E_USERS.annotator2, `/annotate/${pid}`);
  const assignment = Number(await page.getByTestId("item").getAttribute("data-assignment"));
  const call = (id: string) =>
    page.request.post("/api/trpc/annotate.submit", {
      data: { projectId: pid, submission: { assignmentId: assignment, clientSubmissionId: id, outcome: "tie" } },
    });
  const first = await call("dup-check-1");
  const second = await call("dup-check-1");
  expect(first.status()).toBe(200);
  expect(second.status()).toBe(200);
  expect((await second.json()).result.data.result.duplicate).toBe(true);
  const n = queryE2eDb<{ n: number }>("SELECT count(*) AS n FROM judgments WHERE client_submission_id = 'dup-check-1'")[0]?.n;
  expect(n).toBe(1);
});
