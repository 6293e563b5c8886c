import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import Database from "better-sqlite3";
import { LOCALE_COOKIE } from "@/i18n/locale";
import { writeTinyModel } from "@/server/testing/tiny-model";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_DB, E2E_QUALITY_PROJECT, E2E_USERS } from "../fixtures/users";

/**
 * The research pages for a researcher who chose Simplified Chinese (the locale cookie): Chinese
 * headings and labels, the research sub-nav with the quality pages, the training form's consistent
 * defaults, the playground refusing a blank candidate (in the form and on the server), each page at
 * 1440 and 390 px wide without sideways scrolling, screenshots in test-results/research-zh/.
 */
const MODEL_NAME = "e2e 中文试验模型";
const SHOTS = "test-results/research-zh";

test.use({ viewport: { width: 1440, height: 900 } });

function registerModel(): void {
  const db = new Database(E2E_DB);
  try {
    if (db.prepare("SELECT id FROM models WHERE name = ?").get(MODEL_NAME)) return;
    const dir = writeTinyModel(path.join(path.dirname(E2E_DB), "zh-playground-model"), { seed: 5 });
    db.prepare("INSERT INTO models (name, base, dir) VALUES (?, 'tiny', ?)").run(MODEL_NAME, dir);
  } finally {
    db.close();
  }
}

/** Full-page screenshots at 1440 and 390 px; at 390 the page must not scroll sideways. */
async function shoot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}-1440.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
}

test.beforeEach(async ({ context, baseURL }) => {
  await context.addCookies([{ name: LOCALE_COOKIE, value: "zh-CN", url: baseURL ?? "http://localhost:3217" }]);
});

test("the research pages in Simplified Chinese, the sub-nav and the training defaults", async ({ page }) => {
  await signIn(page, E2E_USERS.researcher, "/research/train");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("heading", { level: 1, name: "训练奖励模型" })).toBeVisible();
  // The header links Train/Models/Playground; the research nav only what the header lacks, plus quality pages.
  const main = page.getByRole("navigation", { name: "主导航" });
  await expect(main.getByRole("link", { name: "训练" })).toHaveAttribute("aria-current", "page");
  const research = page.getByRole("navigation", { name: "研究" });
  for (const inHeader of ["训练", "模型", "试验场"])
    await expect(research.getByRole("link", { name: inHeader, exact: true })).toHaveCount(0);
  await expect(research.getByRole("link", { name: "生成器" })).toBeVisible();
  await expect(research.getByRole("link", { name: E2E_QUALITY_PROJECT })).toHaveAttribute("href", /\/admin\/projects\/\d+\/quality$/);

  // Ties are kept by default, so the loss is the tie-aware one; dropping ties switches it to plain BT.
  await page.getByTestId("train-project").selectOption({ label: E2E_QUALITY_PROJECT });
  await expect(page.getByTestId("train-ties")).toHaveValue("keep");
  await expect(page.getByTestId("train-loss")).toHaveValue("bt-ties");
  await expect(page.getByTestId("train-loss-hint")).toHaveText("随下方的平局策略而定");
  await page.getByTestId("train-ties").selectOption("drop");
  await expect(page.getByTestId("train-loss")).toHaveValue("bt");
  // A researcher's own pick sticks, and plain BT with kept ties is flagged.
  await page.getByTestId("train-ties").selectOption("keep");
  await expect(page.getByTestId("train-loss")).toHaveValue("bt-ties");
  await page.getByTestId("train-loss").selectOption("bt");
  await expect(page.getByTestId("train-loss-hint")).toHaveText("普通 Bradley-Terry 会跳过这些筛选条件保留的平局");
  await expect(page.getByTestId("doctor-panel")).toContainText("解释器", { timeout: 30_000 });
  await shoot(page, "train");

  await research.getByRole("link", { name: "生成器" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "生成器" })).toBeVisible();
  await expect(research.getByRole("link", { name: "生成器" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("columnheader", { name: "上次测试" })).toBeVisible();
  await shoot(page, "generators");

  await research.getByRole("link", { name: "生成", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "生成回答" })).toBeVisible();
  await expect(page.getByLabel("每个提示的采样数")).toBeVisible();
  await shoot(page, "generate");

  await research.getByRole("link", { name: E2E_QUALITY_PROJECT }).click();
  await expect(page).toHaveURL(/\/admin\/projects\/\d+\/quality$/);
});

test("the playground refuses a blank candidate, in the form and on the server", async ({ page }) => {
  test.setTimeout(120_000);
  registerModel();
  await signIn(page, E2E_USERS.researcher, "/research/playground");
  await expect(page.getByRole("heading", { level: 1, name: "奖励模型试验场" })).toBeVisible();
  await page.getByTestId("playground-model").selectOption({ label: MODEL_NAME });
  await page.getByTestId("playground-prompt").fill("用一句话解释 `map`。");
  await page.getByTestId("candidate-0").fill("`map` 返回一个**新数组**，其中每个元素都经过转换。");
  await page.getByTestId("candidate-1").fill("   ");

  const scored: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("scoring.score")) scored.push(r.url());
  });
  await page.getByTestId("playground-score").click();
  await expect(page.getByTestId("playground-blank")).toHaveText(/候选 B 为空/);
  await expect(page.getByTestId("playground-blank")).toHaveAttribute("role", "alert");
  await expect(page.getByTestId("candidate-1")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByTestId("playground-score")).toBeDisabled();
  expect(scored).toEqual([]);
  await shoot(page, "playground-blank");

  // The server refuses it too, whatever the client does.
  const res = await page.request.post("/api/trpc/scoring.score", { data: { modelId: 1, prompt: "x", responses: ["ok", " \n "] } });
  expect(res.status()).toBe(400);
  expect(await res.text()).toContain("a candidate cannot be empty");

  // Writing the candidate lifts the refusal; the rewards come back with Chinese labels.
  await page.getByTestId("candidate-1").fill("不知道。");
  await expect(page.getByTestId("playground-blank")).toHaveCount(0);
  await page.getByTestId("playground-score").click();
  await expect(page.getByTestId("playground-result")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("reward-0")).toHaveText(/^奖励 -?\d+\.\d{3}$/);
  await expect(page.getByRole("heading", { name: /2 选最佳/ })).toBeVisible();
  await expect(page.getByTestId("reward-chart")).toContainText("奖励");
  await shoot(page, "playground");
});
