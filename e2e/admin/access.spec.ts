import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { E2E_USERS } from "../fixtures/users";

test("an annotator cannot open admin pages nor call admin procedures", async ({ page }) => {
  await signIn(page, E2E_USERS.annotator1);
  await page.goto("/admin");
  await expect(page.getByTestId("forbidden")).toBeVisible();
  await page.goto("/admin/projects/new");
  await expect(page.getByTestId("forbidden")).toBeVisible();
  await expect(page.getByTestId("nav-admin")).toHaveCount(0);

  const create = await page.request.post("/api/trpc/projects.create", { data: { name: "sneaky" } });
  expect(create.status()).toBe(403);
  const list = await page.request.get("/api/trpc/projects.list");
  expect(list.status()).toBe(403);
});

test("anonymous callers are sent to the login page and refused by the API", async ({ page }) => {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fadmin/);
  const res = await page.request.get("/api/trpc/annotate.projects");
  expect(res.status()).toBe(401);
});

test("an admin creates a project, a bad file imports nothing, a good one imports", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  await page.getByTestId("new-project").click();
  await page.getByTestId("project-name").fill("e2e created");
  await page.getByTestId("create-project").click();
  await expect(page.getByTestId("project-title")).toHaveText("e2e created");

  const bad = ['{"id": "x1", "prompt": "p", "responses": [{"model": "m", "text": "one"}]}', "{oops"].join("\n");
  await page.getByTestId("import-file").setInputFiles({ name: "bad.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(bad) });
  await page.getByTestId("import-submit").click();
  const errors = page.getByTestId("import-errors");
  await expect(errors).toContainText("line 1, field responses: an item needs at least 2 responses");
  await expect(errors).toContainText("line 2, field (line): invalid JSON");
  await expect(page.getByTestId("project-status")).toContainText("Items0");

  const good = [1, 2, 3].map((i) =>
    JSON.stringify({
      id: `g${i}`,
      prompt: `q${i}`,
      responses: [
        { model: "m1", text: "a" },
        { model: "m2", text: "b" },
      ],
    }),
  );
  await page
    .getByTestId("import-file")
    .setInputFiles({ name: "good.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(good.join("\n")) });
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-ok")).toContainText("Imported 3 items");
  await expect(page.getByTestId("project-status")).toContainText("Items3");
});

test("pages and API answers carry the security headers (no framing, no third-party origins)", async ({ page }) => {
  const pageRes = await page.goto("/login");
  const csp = pageRes?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("img-src 'self' data:");
  expect(pageRes?.headers()["x-frame-options"]).toBe("DENY");
  // Scripts run only with this response's nonce: no 'unsafe-inline', so injected inline script never runs.
  const scriptSrc = csp.split(";").find((d) => d.trim().startsWith("script-src")) ?? "";
  expect(scriptSrc).toMatch(/'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(scriptSrc).not.toContain("unsafe-inline");
  const again = (await page.goto("/login"))?.headers()["content-security-policy"];
  expect(again).not.toBe(csp); // a fresh nonce each time
  // The page still works: its own scripts carry the nonce (the form is interactive).
  await page.getByTestId("login-email").fill("nobody@e2e.test");
  await page.getByTestId("login-password").fill("not-the-password");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  const api = await page.request.get("/api/trpc/annotate.projects");
  expect(api.headers()["content-security-policy"]).toContain("default-src 'self'");
  expect(api.headers()["cache-control"]).toBe("no-store");
});

test("ten failed sign-ins lock the account for a while, with a clear message", async ({ page }) => {
  await page.goto("/login");
  for (let i = 0; i < 10; i++) {
    await page.getByTestId("login-email").fill("guessed@e2e.test");
    await page.getByTestId("login-password").fill(`wrong-${i}`);
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
    await expect(page.getByTestId("login-submit")).toBeEnabled();
  }
  await page.getByTestId("login-password").fill("wrong-again");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("login-error")).toContainText("Too many failed sign-ins");
});

test("a cross-site POST to the API is refused even with a valid session", async ({ page }) => {
  await signIn(page, E2E_USERS.admin, "/admin");
  const res = await page.request.post("/api/trpc/projects.create", {
    data: { name: "csrf" },
    headers: { origin: "https://evil.example" },
  });
  expect(res.status()).toBe(403);
  const same = await page.request.post("/api/trpc/projects.create", {
    data: { name: "" },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(same.status()).toBe(400); // reached the procedure: input validation answered
});
