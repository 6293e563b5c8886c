/**
 * The live conversation screen in Simplified Chinese (the "arbiter-locale" cookie): every label in
 * Chinese while the model text stays as generated; a turn judged by keyboard, its completion and the
 * next turn announced, focus on the message box; then "both bad" offers Regenerate (focused), and the
 * conversation is ended with the focus on "Start a new conversation". Screenshots at 1440 and 390 px.
 * Two tiny random-init Qwen2 generators on CPU (built-in worker, HF venv); skipped, and says so, without it.
 */
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { arbiter, expectAnswers, hasHf, NO_HF, screenshotsAtBothWidths, tinyGenerators } from "../fixtures/live";
import { E2E_USERS } from "../fixtures/users";

test.skip(!hasHf, NO_HF);

test("a conversation in Chinese: labels, announcements and focus, judged by keyboard, both bad, ended", async ({
  page,
  context,
  baseURL,
}) => {
  test.setTimeout(420_000);
  const suffix = Date.now().toString(36);
  const names = tinyGenerators(["conv-zh-a", "conv-zh-b"], 11, suffix);
  const project = arbiter(
    "project:create",
    "--name",
    `e2e 对话 ${suffix}`,
    "--overlap",
    "1",
    "--kind",
    "conversation",
    "--generators",
    names.join(","),
    "--max-turns",
    "3",
    "--max-tokens",
    "16",
    "--rate-limit",
    "0",
  ).id as number;

  await context.addCookies([{ name: "arbiter-locale", value: "zh-CN", url: baseURL ?? "http://localhost:3217" }]);
  await signIn(page, E2E_USERS.researcher, `/annotate/${project}`);
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("heading", { name: "对话", exact: true })).toBeVisible();
  const box = page.getByRole("textbox", { name: "你的消息" });
  await expect(box).toBeEnabled({ timeout: 30_000 });
  await expect(page.getByTestId("message-count")).toHaveText("已发 0 条，最多 3 条");

  // The message is the annotator's own text: sent as written.
  await box.fill("你好，请介绍一下你自己。");
  await box.press("Control+Enter");
  await expect(box).toBeDisabled();
  const better = page.getByRole("button", { name: /A 更好/ });
  await expectAnswers(page, better);
  const announcer = page.getByTestId("announcer");
  await expect(announcer).toHaveText("两个回答都已完成。用 1 到 4 键选出更好的一个，然后按 Enter。");
  await expect(page.getByRole("region", { name: "回答 A" })).toBeVisible();
  await expect(page.getByRole("region", { name: "回答 B" })).toBeVisible();
  await expect(page.getByRole("button", { name: /提交评判/ })).toBeDisabled();
  await page.keyboard.press("1");
  await expect(better).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("group", { name: "好多少？" })).toBeVisible();
  await page.keyboard.press("2");
  await expect(page.getByRole("button", { name: /较好/ })).toHaveAttribute("aria-pressed", "true");
  await screenshotsAtBothWidths(page, "conversation-zh-judging");
  await page.keyboard.press("Enter");

  // The next turn: announced, and the focus is back in the message box.
  await expect(box).toBeEnabled({ timeout: 30_000 });
  await expect(announcer).toHaveText("第 1 轮已保存。请写下一条消息。");
  await expect(box).toBeFocused();
  const transcript = page.getByRole("list", { name: "目前的对话" });
  await expect(transcript.getByRole("listitem")).toHaveCount(2);
  await expect(transcript).toContainText("你好，请介绍一下你自己。");
  await expect(page.getByTestId("message-count")).toHaveText("已发 1 条，最多 3 条");

  await page.keyboard.type("再说一点。");
  await page.getByRole("button", { name: "发送" }).click();
  await expectAnswers(page, better);
  await page.keyboard.press("4"); // both bad
  await expect(page.getByRole("button", { name: /都不好/ })).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("Enter");
  const regenerate = page.getByRole("button", { name: "重新生成" });
  await expect(regenerate).toBeFocused({ timeout: 30_000 });
  await expect(announcer).toHaveText("两个回答都不好。可以重新生成，或结束对话。");
  await expect(page.getByTestId("both-bad")).toHaveText("两个回答都不好。可以重新生成，或结束对话。");

  await page.getByRole("button", { name: "结束对话" }).click();
  await expect(page.getByTestId("ended")).toHaveText("对话已结束；已评判的轮次都已保存。");
  await expect(page.getByRole("button", { name: "开始新对话" })).toBeFocused();
  await screenshotsAtBothWidths(page, "conversation-zh-ended");
  // Model names never reach the annotator's page, in any language.
  for (const n of names) await expect(page.locator("body")).not.toContainText(n);
});
