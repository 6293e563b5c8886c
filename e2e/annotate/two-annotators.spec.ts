import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId, queryE2eDb } from "../fixtures/db";
import { E2E_SINGLE_PROJECT, E2E_USERS } from "../fixtures/users";

function leasedItem(assignmentId: number): number {
  const row = queryE2eDb<{ item_id: number }>("SELECT item_id FROM assignments WHERE id = ?", assignmentId)[0];
  if (!row) throw new Error(`no assignment ${assignmentId}`);
  return row.item_id;
}

test("a second annotator never gets an item leased to the first", async ({ browser }) => {
  const pid = projectId(E2E_SINGLE_PROJECT);
  const one = await browser.newContext();
  const two = await browser.newContext();
  const p1 = await one.newPage();
  const p2 = await two.newPage();
  await signIn(p1, E2E_USERS.annotator1, `/annotate/${pid}`);
  await signIn(p2, E2E_USERS.annotator2, `/annotate/${pid}`);
  const seen1: number[] = [];
  const seen2: number[] = [];
  for (let round = 0; round < 3; round++) {
    const a1 = Number(await p1.getByTestId("item").getAttribute("data-assignment"));
    const a2 = Number(await p2.getByTestId("item").getAttribute("data-assignment"));
    seen1.push(leasedItem(a1));
    seen2.push(leasedItem(a2));
    expect(seen1.at(-1)).not.toBe(seen2.at(-1));
    // Both judge (this project has no strength scale): 3 = tie, then Enter.
    for (const [page, a] of [
      [p1, a1],
      [p2, a2],
    ] as const) {
      await page.keyboard.press("3");
      await page.keyboard.press("Enter");
      await expect(page.getByTestId("item")).not.toHaveAttribute("data-assignment", String(a));
    }
  }
  expect(new Set([...seen1, ...seen2]).size).toBe(6);
  await one.close();
  await two.close();
});
