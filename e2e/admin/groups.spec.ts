/**
 * "Whose preferences?" (#17): a project judged by two annotator groups. The quality page says there are
 * no groups until annotators are put in them, then splits win rates, the Bradley-Terry leaderboard and
 * agreement by group; the export form keeps one group's judgments (raw keeps ties by default) and the
 * CLI's `export --group` does the same. Screenshots at 1440 and 390 px wide go to test-results/.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { queryE2eDb } from "../fixtures/db";
import { E2E_DB, E2E_USERS } from "../fixtures/users";

const PROJECT = "e2e whose preferences";
const EXPERTS = "e2e clinicians";
const NATIVE = "e2e zh-native";
const PAIRS = [
  ["atlas-7b", "birch-13b"],
  ["birch-13b", "cedar-70b"],
  ["atlas-7b", "cedar-70b"],
] as const;

// 12 items, each judged twice by each group: the clinicians prefer the first response (one tie),
// the zh-native group the second. 24 comparisons per group, enough for the charts.
const LINES = Array.from({ length: 12 }, (_, i) => {
  const [a, b] = PAIRS[i % 3] ?? PAIRS[0];
  return JSON.stringify({
    id: `whose-${i}`,
    prompt: `Which answer is better? (${i})`,
    responses: [
      { model: a, text: `${a} answers ${i}` },
      { model: b, text: `${b} answers ${i}` },
    ],
    judgments: [
      { annotator: "e2e-clinician-1", winner: "a" },
      { annotator: "e2e-clinician-2", winner: i === 0 ? "tie" : "a" },
      { annotator: "e2e-native-1", winner: "b" },
      { annotator: "e2e-native-2", winner: i % 4 === 1 ? "a" : "b" },
    ],
  });
});

async function trpc(page: Page, procedure: string, input: unknown) {
  const res = await page.request.post(`/api/trpc/${procedure}`, { data: input, headers: { origin: new URL(page.url()).origin } });
  expect(res.status(), await res.text()).toBe(200);
}

/** How far the page itself scrolls sideways, and which elements outside any scroll frame stick out. */
async function sideways(page: Page): Promise<{ overflow: number; widest: string[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const framed = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== "visible") return true;
      }
      return false;
    };
    const widest = [...document.querySelectorAll("body *")]
      .map((el) => ({ el, right: el.getBoundingClientRect().right }))
      .filter((x) => x.right > width + 1 && !framed(x.el))
      .sort((a, b) => b.right - a.right)
      .slice(0, 5)
      .map((x) => `${x.el.tagName.toLowerCase()}.${String(x.el.getAttribute("class") ?? "").slice(0, 60)} → ${Math.round(x.right)}`);
    return { overflow: document.documentElement.scrollWidth - width, widest };
  });
}

/**
 * Full-page screenshots at 1440 and 390 px wide, back at 1440 after. At 390 px the page is loaded afresh,
 * as a phone opens it (charts size themselves on load), and must not scroll sideways: the failure names
 * what sticks out.
 */
async function screenshots(page: Page, name: string) {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.screenshot({ path: `test-results/${name}-1440.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.waitForLoadState("networkidle");
  await expect.poll(() => sideways(page), { message: `${name} scrolls sideways at 390 px` }).toMatchObject({ overflow: 0 });
  await page.screenshot({ path: `test-results/${name}-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 1000 });
}

test("the quality page splits by annotator group; the form's Group select and export --group keep one group", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByTestId("new-project").click();
  await page.getByTestId("project-name").fill(PROJECT);
  await page.getByTestId("create-project").click();
  await expect(page.getByTestId("project-title")).toHaveText(PROJECT);
  await page
    .getByTestId("import-file")
    .setInputFiles({ name: "whose.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(LINES.join("\n")) });
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-ok")).toContainText("Imported 12 items");
  const projectId = queryE2eDb<{ id: number }>("SELECT id FROM projects WHERE name = ?", PROJECT)[0]?.id ?? 0;

  // No groups yet: the section says how to make some instead of drawing empty charts.
  await page.goto(`/admin/projects/${projectId}/quality`);
  await expect(page.getByTestId("group-empty")).toContainText("No annotator groups yet");
  await expect(page.getByTestId("group-split").locator(".recharts-surface")).toHaveCount(0);

  await trpc(page, "users.createGroup", { name: EXPERTS, description: "e2e: medical background" });
  await trpc(page, "users.createGroup", { name: NATIVE });
  const judges = queryE2eDb<{ id: number; name: string }>(
    "SELECT id, name FROM users WHERE external = 1 AND (name LIKE 'e2e-clinician-%' OR name LIKE 'e2e-native-%')",
  );
  expect(judges).toHaveLength(4);
  for (const j of judges) {
    await trpc(page, "users.setGroup", { userId: j.id, group: j.name.startsWith("e2e-clinician") ? EXPERTS : NATIVE });
  }

  await page.reload();
  const split = page.getByTestId("group-split");
  await expect(split.getByTestId("group-row")).toHaveCount(2);
  await expect(split.getByTestId("group-table")).toContainText(EXPERTS);
  await expect(split.getByTestId("group-table")).toContainText(NATIVE);
  await expect(split.getByTestId("group-between")).toContainText("Between groups");
  for (const chart of ["group-winrate-chart", "group-leaderboard-chart", "group-agreement-chart"]) {
    await expect(split.getByTestId(chart).locator(".recharts-bar-rectangle").first()).toBeVisible();
  }
  // Each group is one series, named in the legend.
  await expect(split.getByTestId("group-winrate-chart").locator(".recharts-legend-wrapper")).toContainText(EXPERTS);
  await expect(split.getByTestId("group-winrate-chart").locator(".recharts-legend-wrapper")).toContainText(NATIVE);
  await split.scrollIntoViewIfNeeded();
  await screenshots(page, "quality-groups");

  // The export form: raw keeps ties unless a policy is picked; the Group select keeps the clinicians' judgments.
  await page.goto(`/admin/projects/${projectId}/exports`);
  await page.getByTestId("export-format").selectOption("raw");
  await expect(page.getByTestId("export-ties")).toHaveValue("keep");
  await expect(page.getByTestId("export-both-bad")).toHaveValue("keep");
  await expect(page.getByTestId("export-group").locator("option")).toContainText([
    "All annotators",
    `${EXPERTS} (2 members)`,
    `${NATIVE} (2 members)`,
  ]);
  await page.getByTestId("export-group").selectOption(EXPERTS);
  await page.getByTestId("export-submit").click();
  const link = page.locator('[data-testid^="download-"]').first();
  await expect(link).toBeVisible();
  await expect(page.getByTestId("snapshot-group").first()).toHaveText(`group: ${EXPERTS}`);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const rows = fs
    .readFileSync(await download.path(), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(rows).toHaveLength(24);
  expect(new Set(rows.map((r) => r.annotator_group))).toEqual(new Set([EXPERTS]));
  expect(rows.filter((r) => r.outcome === "tie")).toHaveLength(1);
  // Pseudonyms only: no annotator name in the file.
  expect(JSON.stringify(rows)).not.toContain("e2e-clinician");
  await screenshots(page, "exports-group");

  // The CLI: export --group writes only that group's preferences, each row naming it.
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-e2e-group-")), "native.jsonl");
  const args = ["export", "--project", String(projectId), "--format", "trl", "--group", NATIVE, "--out", out, "--db", E2E_DB, "--json"];
  const cli = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args], { encoding: "utf8" }));
  expect(cli).toMatchObject({ rows: 24 });
  const trl = fs
    .readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(trl).toHaveLength(24);
  expect(new Set(trl.map((r) => r.annotator_group))).toEqual(new Set([NATIVE]));
});

test("the group split in Simplified Chinese", async ({ page, context, baseURL }) => {
  await context.addCookies([{ name: "arbiter-locale", value: "zh-CN", url: baseURL ?? "http://localhost:3217" }]);
  await signIn(page, E2E_USERS.admin, "/admin");
  const id = queryE2eDb<{ id: number }>("SELECT id FROM projects WHERE name = ?", PROJECT)[0]?.id;
  test.skip(id === undefined, "runs after the English test made the project");
  await page.goto(`/admin/projects/${id}/quality`);
  await expect(page.getByTestId("quality-title")).toHaveText("质量与排行榜");
  await expect(page.getByTestId("group-split").getByRole("heading", { level: 2 })).toHaveText("谁的偏好：按标注组拆分");
  await expect(page.getByTestId("group-between")).toContainText("组间");
  await page.goto(`/admin/projects/${id}/exports`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("导出");
  await expect(page.getByTestId("export-group").locator("option").first()).toHaveText("全部标注员");
  await screenshots(page, "exports-zh");
});
