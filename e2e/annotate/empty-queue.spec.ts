import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId } from "../fixtures/db";
import { E2E_TINY_PROJECT, E2E_USERS } from "../fixtures/users";

test("after the last item the annotator is told the queue is empty, and a reload says the same", async ({ page }) => {
  const pid = projectId(E2E_TINY_PROJECT);
  await signIn(page, E2E_USERS.annotator2, `/annotate/${pid}`);
  for (let i = 0; i < 2; i++) {
    const item = page.getByTestId("item");
    await expect(item).toBeVisible();
    const assignment = await item.getAttribute("data-assignment");
    await page.keyboard.press("4"); // both bad
    await page.keyboard.press("Enter");
    if (i === 0) await expect(page.getByTestId("item")).not.toHaveAttribute("data-assignment", assignment ?? "");
  }
  await expect(page.getByTestId("queue-empty")).toContainText("Nothing left to judge");
  await expect(page.getByTestId("progress-mine")).toHaveText("You: 2 judged");
  await page.reload();
  await expect(page.getByTestId("queue-empty")).toBeVisible();
});
