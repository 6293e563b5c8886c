/**
 * Rewrites on an imported pairwise item: the annotator picks the better answer, presses Improve, edits
 * the chosen text (the diff shows the change) and submits; the improvement is stored with the judgment
 * and `export --format sft` writes it as a TRL SFT row, `--rewrites pair` as improved ≻ chosen.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { signIn } from "../fixtures/auth";
import { expect, test } from "../fixtures/axe";
import { screenshotsAtBothWidths } from "../fixtures/live";
import { E2E_DB, E2E_USERS } from "../fixtures/users";

function arbiter(...args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args, "--db", E2E_DB, "--json"], {
    encoding: "utf8",
  });
  return JSON.parse(out) as Record<string, unknown>;
}

test("Improve on a pairwise item stores a rewrite, exported as SFT and as an improved ≻ chosen pair", async ({ page }) => {
  const suffix = Date.now().toString(36);
  const project = arbiter("project:create", "--name", `e2e rewrites ${suffix}`, "--overlap", "1", "--rewrites").id as number;
  const file = path.resolve(`.tmp/e2e-rewrite-items-${suffix}.jsonl`);
  const answer = "Paris is the capital of France";
  fs.writeFileSync(
    file,
    `${JSON.stringify({
      id: "r1",
      prompt: "What is the capital of France?",
      responses: [
        { model: "m1", text: answer },
        { model: "m2", text: answer },
      ],
    })}\n`,
  );
  arbiter("import", "--project", String(project), "--file", file);

  await signIn(page, E2E_USERS.researcher, `/annotate/${project}`);
  await expect(page.getByText("What is the capital of France?").first()).toBeVisible();
  await page.keyboard.press("1");
  await page.keyboard.press("2");
  await page.getByRole("button", { name: "Improve" }).click();
  const editor = page.getByRole("textbox", { name: /Improved answer/ });
  await expect(editor).toHaveValue(answer);
  await editor.fill("Paris is the capital of France, on the Seine.");
  await expect(page.getByTestId("rewrite-diff").locator("ins", { hasText: "Seine" })).toHaveCount(1);
  await screenshotsAtBothWidths(page, "rewrite-pairwise");
  await page.getByRole("button", { name: /Submit/ }).click();
  await expect(page.getByTestId("queue-empty")).toBeVisible();

  const sft = path.resolve(`.tmp/e2e-rewrite-sft-${suffix}.jsonl`);
  await expect.poll(() => arbiter("export", "--project", String(project), "--format", "sft", "--out", sft).rows).toBe(1);
  expect(JSON.parse(fs.readFileSync(sft, "utf8"))).toEqual({
    messages: [
      { role: "user", content: "What is the capital of France?" },
      { role: "assistant", content: "Paris is the capital of France, on the Seine." },
    ],
  });
  const pairs = path.resolve(`.tmp/e2e-rewrite-pairs-${suffix}.jsonl`);
  arbiter("export", "--project", String(project), "--format", "trl", "--rewrites", "pair", "--out", pairs);
  expect(JSON.parse(fs.readFileSync(pairs, "utf8"))).toEqual({
    prompt: "\n\nHuman: What is the capital of France?\n\nAssistant:",
    chosen: " Paris is the capital of France, on the Seine.",
    rejected: ` ${answer}`,
  });
});
