/**
 * An arena battle in the browser with two tiny random-init Qwen2 generators (built offline, served by the
 * built-in worker on CPU through the HF venv): the names appear nowhere on the page (nor in any answer
 * the page received) until the vote, then they are shown; then a rewrite of the chosen answer is stored
 * ("Improve": editor with a diff) and `export --format sft` writes it as a TRL SFT row. Skipped, and says
 * so, where the HF venv is not built (scripts/trainer-hf-env).
 */
import fs from "node:fs";
import path from "node:path";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { arbiter, expectAnswers, hasHf, NO_HF, screenshotsAtBothWidths, tinyGenerators } from "../fixtures/live";
import { E2E_USERS } from "../fixtures/users";

test.skip(!hasHf, NO_HF);

test("an arena battle reveals the names only after the vote; a rewrite is stored and exported as SFT", async ({ page }) => {
  test.setTimeout(420_000);
  const suffix = Date.now().toString(36);
  const names = tinyGenerators(["arena-a", "arena-b"], 5, suffix);
  const project = arbiter(
    "project:create",
    "--name",
    `e2e arena ${suffix}`,
    "--overlap",
    "1",
    "--kind",
    "arena",
    "--generators",
    names.join(","),
    "--max-tokens",
    "16",
    "--rate-limit",
    "0",
  ).id as number;

  // Every body the page receives, to check no answer before the vote names a generator.
  const bodies: string[] = [];
  page.on("response", async (r) => {
    if (r.url().includes("/api/")) bodies.push(await r.text().catch(() => ""));
  });
  await signIn(page, E2E_USERS.researcher, `/annotate/${project}`);
  const box = page.getByRole("textbox", { name: "Your message" });
  await expect(box).toBeEnabled({ timeout: 30_000 });
  await box.fill("Which is the tallest mountain?");
  await box.press("Control+Enter");
  await expectAnswers(page, page.getByRole("button", { name: /A is better/ }));
  for (const n of names) {
    await expect(page.locator("body")).not.toContainText(n);
    expect(bodies.join("\n")).not.toContain(n);
  }
  await screenshotsAtBothWidths(page, "arena-before-vote");
  await page.keyboard.press("1");
  await page.keyboard.press("4");
  await page.keyboard.press("Enter");
  const reveal = page.getByTestId("reveal");
  await expect(reveal).toBeVisible();
  await expect(reveal).toContainText(names[0] as string);
  await expect(reveal).toContainText(names[1] as string);
  // Screen readers hear the reveal once, with the vote (sides are drawn at random, so either order).
  const announcer = page.getByTestId("announcer");
  await expect(announcer).toContainText("Vote saved. Model A was ");
  for (const n of names) await expect(announcer).toContainText(n);

  await page.getByRole("button", { name: "Improve" }).click();
  const editor = page.getByRole("textbox", { name: "Improved answer" });
  await editor.fill("Mount Everest, at 8,849 metres.");
  await expect(page.getByTestId("rewrite-diff").locator("ins", { hasText: "Everest" })).toHaveCount(1);
  await screenshotsAtBothWidths(page, "arena-rewrite");
  await page.getByRole("button", { name: "Save improvement" }).click();
  await expect(page.getByTestId("rewrite-editor")).toBeHidden();

  const out = path.resolve(`.tmp/e2e-sft-${suffix}.jsonl`);
  expect(arbiter("export", "--project", String(project), "--format", "sft", "--out", out).rows).toBe(1);
  expect(JSON.parse(fs.readFileSync(out, "utf8"))).toEqual({
    messages: [
      { role: "user", content: "Which is the tallest mountain?" },
      { role: "assistant", content: "Mount Everest, at 8,849 metres." },
    ],
  });
});
