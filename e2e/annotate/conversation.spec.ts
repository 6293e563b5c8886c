/**
 * A live conversation in the browser: two tiny random-init Qwen2 generators (built offline, served by
 * the built-in worker on CPU through the HF venv) answer each message side by side; the turn is judged
 * by keyboard (1–4, strength, Enter), the conversation goes on from the chosen answer until the
 * project's two messages are used (the box closes, End takes the focus), and is ended by Enter;
 * then `export --format hh` writes one line per judged turn, the second's prefix holding the first
 * turn's chosen answer. Skipped, and says so, where the HF venv is not built (scripts/trainer-hf-env).
 */
import fs from "node:fs";
import path from "node:path";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { queryE2eDb } from "../fixtures/db";
import { arbiter, expectAnswers, hasHf, NO_HF, screenshotsAtBothWidths, tinyGenerators } from "../fixtures/live";
import { E2E_USERS } from "../fixtures/users";

test.skip(!hasHf, NO_HF);

test("a two-turn conversation judged by keyboard and ended, then exported as HH", async ({ page }) => {
  test.setTimeout(420_000);
  const suffix = Date.now().toString(36);
  const names = tinyGenerators(["conv-a", "conv-b"], 0, suffix);
  const project = arbiter(
    "project:create",
    "--name",
    `e2e conversation ${suffix}`,
    "--overlap",
    "1",
    "--kind",
    "conversation",
    "--generators",
    names.join(","),
    "--max-turns",
    "2",
    "--max-tokens",
    "16",
    "--rate-limit",
    "0",
  ).id as number;

  await signIn(page, E2E_USERS.researcher, `/annotate/${project}`);
  const box = page.getByRole("textbox", { name: "Your message" });
  await expect(box).toBeEnabled({ timeout: 30_000 });
  // Model names never reach the annotator's page.
  for (const n of names) await expect(page.locator("body")).not.toContainText(n);

  await box.fill("Hello there");
  await box.press("Control+Enter");
  await expect(box).toBeDisabled();
  const better = page.getByRole("button", { name: /A is better/ });
  await expectAnswers(page, better);
  await expect(box).toBeDisabled(); // until the turn is judged
  // Announced once both answers are complete (not token by token).
  await expect(page.getByTestId("announcer")).toHaveText(/Both answers are complete/);
  await screenshotsAtBothWidths(page, "conversation-judging");
  await page.keyboard.press("1"); // A
  await page.keyboard.press("2"); // moderate
  await page.keyboard.press("Enter");
  await expect(box).toBeEnabled({ timeout: 30_000 });
  // The next turn is announced and the message box takes the focus.
  await expect(page.getByTestId("announcer")).toHaveText("Turn 1 saved. Write your next message.");
  await expect(box).toBeFocused();
  await expect(page.getByTestId("transcript").locator("li")).toHaveCount(2);

  await box.fill("Tell me more");
  await page.getByRole("button", { name: "Send" }).click();
  await expectAnswers(page, page.getByRole("button", { name: /B is better/ }));
  await page.keyboard.press("2"); // B
  await page.keyboard.press("3"); // strong
  await page.keyboard.press("Enter");
  // The project allows two messages: the box stays closed, the screen says so and End takes the focus.
  await expect(page.getByTestId("full")).toHaveText("This conversation has reached its 2 messages. End it to save it and start another.");
  await expect(box).toBeDisabled();
  await expect(page.getByTestId("announcer")).toHaveText(
    "Turn 2 saved. That was the last message this project allows: end the conversation.",
  );
  const endButton = page.getByRole("button", { name: "End conversation" });
  await expect(endButton).toBeFocused();
  await expect(page.getByTestId("message-count")).toHaveText("2 of 2 messages");
  for (const n of names) await expect(page.locator("body")).not.toContainText(n);
  await page.keyboard.press("Enter"); // Enter on the focused button ends the conversation
  await expect(page.getByRole("button", { name: "Start a new conversation" })).toBeFocused();
  await expect(page.getByText("This conversation has ended")).toBeVisible();

  const out = path.resolve(`.tmp/e2e-conversation-${suffix}.jsonl`);
  expect(arbiter("export", "--project", String(project), "--format", "hh", "--out", out).rows).toBe(2);
  const lines = fs
    .readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { chosen: string; rejected: string });
  // The first turn's chosen answer is the one shown on the left (A), from the stored judgment's order.
  const [first] = queryE2eDb<{ content: string }>(
    `SELECT r.content FROM judgments j JOIN items i ON i.id = j.item_id JOIN responses r ON r.item_id = i.id
     AND r.idx = CASE j.outcome WHEN 'a' THEN 0 ELSE 1 END WHERE i.project_id = ? ORDER BY i.id LIMIT 1`,
    project,
  );
  const chosen1 = JSON.parse(first?.content ?? "null") as string;
  expect(lines[0]?.chosen).toBe(`\n\nHuman: Hello there\n\nAssistant: ${chosen1}`);
  expect(lines[1]?.chosen.startsWith(`\n\nHuman: Hello there\n\nAssistant: ${chosen1}\n\nHuman: Tell me more\n\nAssistant: `)).toBe(true);
  expect(lines[1]?.rejected.startsWith(`\n\nHuman: Hello there\n\nAssistant: ${chosen1}\n\nHuman: Tell me more\n\nAssistant: `)).toBe(true);
});
