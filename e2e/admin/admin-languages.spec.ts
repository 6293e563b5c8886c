import type { Page } from "@playwright/test";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { projectId } from "../fixtures/db";
import { E2E_PROJECT, E2E_USERS } from "../fixtures/users";

/** No sideways scrolling of the page itself (wide tables scroll inside their own frame). */
async function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** A full-page screenshot at 1440 and at 390 px (no sideways scroll there), back at 1440 after. */
async function shootBothWidths(page: Page, name: string) {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: `test-results/admin-zh-${name}-1440.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => sidewaysScroll(page), { message: `${name} at 390 px` }).toBe(0);
  await page.screenshot({ path: `test-results/admin-zh-${name}-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
}

test.describe("admin pages in Simplified Chinese (the user's language cookie)", () => {
  test.beforeEach(async ({ context, baseURL }) => {
    await context.addCookies([{ name: "arbiter-locale", value: "zh-CN", url: baseURL ?? "http://localhost:3217" }]);
  });

  test("an admin walks every admin page: Chinese headings, titles, numbers; axe-clean at 1440 and 390", async ({ page }) => {
    const pid = projectId(E2E_PROJECT);
    await signIn(page, E2E_USERS.admin, "/admin");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");

    await expect(page.getByRole("heading", { level: 1, name: "项目" })).toBeVisible();
    await expect(page).toHaveTitle("项目 · Arbiter");
    await expect(page.getByRole("columnheader", { name: "评判" })).toBeVisible();
    await expect(page.getByTestId(`project-row-${pid}`)).toBeVisible();
    await shootBothWidths(page, "projects");

    await page.goto(`/admin/projects/${pid}`);
    await expect(page.getByTestId("project-title")).toHaveText(E2E_PROJECT); // the project's own name stays as written
    await expect(page).toHaveTitle(`项目 ${pid} · Arbiter`);
    await expect(page.getByTestId("project-status")).toContainText("已完成条目");
    await expect(page.getByRole("link", { name: "金标与重复" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "导入条目（JSONL）" })).toBeVisible();
    await expect(page.getByRole("button", { name: "导入", exact: true })).toBeVisible();
    await shootBothWidths(page, "project");

    await page.getByRole("link", { name: "金标与重复" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "金标条目与换位重复" })).toBeVisible();
    await expect(page).toHaveTitle("金标与重复 · Arbiter");
    await expect(page.getByTestId("rates")).toContainText("金标比例");
    await shootBothWidths(page, "gold");

    await page.goto(`/admin/projects/${pid}/members`);
    await expect(page.getByRole("heading", { level: 1, name: `项目 ${pid}：成员` })).toBeVisible();
    await expect(page).toHaveTitle("成员 · Arbiter");
    await expect(page.getByRole("combobox", { name: "谁可以参与" })).toBeVisible();
    await shootBothWidths(page, "members");

    await page.goto("/admin/projects/new");
    await expect(page.getByRole("heading", { level: 1, name: "新建项目" })).toBeVisible();
    await expect(page).toHaveTitle("新建项目 · Arbiter");
    await expect(page.getByRole("textbox", { name: "名称" })).toBeVisible();
    await expect(page.getByRole("group", { name: "实时生成" })).toBeVisible();
    await shootBothWidths(page, "new-project");

    await page.getByTestId("nav-users").click();
    await expect(page.getByRole("heading", { level: 1, name: "用户" })).toBeVisible();
    await expect(page).toHaveTitle("用户 · Arbiter");
    const annotatorRow = page.getByTestId("users-table").getByRole("row", { name: new RegExp(E2E_USERS.annotator1.email) });
    await expect(annotatorRow.getByTestId("user-status")).toHaveText(/已启用|已停用/);
    await expect(annotatorRow.getByRole("button", { name: `停用 ${E2E_USERS.annotator1.email} 的账户` })).toBeVisible();
    await expect(annotatorRow.getByRole("combobox", { name: `${E2E_USERS.annotator1.email} 的角色` })).toBeVisible();
    await shootBothWidths(page, "users");

    await page.getByTestId("nav-audit").click();
    await expect(page.getByRole("heading", { level: 1, name: "审计日志" })).toBeVisible();
    await expect(page).toHaveTitle("审计日志 · Arbiter");
    const table = page.getByTestId("audit-table");
    await expect(table).toContainText("登录成功");
    await expect(table).toContainText("邮箱");
    await page.getByRole("button", { name: "项目与导入" }).click();
    await expect(table).not.toContainText("登录成功");
    await shootBothWidths(page, "audit");
  });
});

test("English stays the default: page titles name the page, then the app", async ({ page }) => {
  await page.goto("/login");
  await expect(page).toHaveTitle("Sign in · Arbiter");
  await signIn(page, E2E_USERS.admin, "/admin");
  await expect(page).toHaveTitle("Projects · Arbiter");
  await page.goto("/admin/users");
  await expect(page).toHaveTitle("Users · Arbiter");
  await page.goto("/me");
  await expect(page).toHaveTitle("My progress · Arbiter");
  await page.goto("/no/such/page");
  await expect(page).toHaveTitle("Page not found · Arbiter");
});
