// node scripts/test-failures.mjs: names every failed (and flaky) test of the last `npm test` run, with
// the first lines of its error, from the reporters' files in .tmp. scripts/test.sh prints this right
// above its summary so that the tail of a CI log says which test failed, not only how many.
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";

const LINES = 6;
const out = [];

/** The message's first lines and the first stack frame in our code (the place that failed). */
const firstLines = (text) => {
  const lines = String(text ?? "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes from the reporters
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "");
  const message = lines.filter((line) => !/^\s*at /.test(line)).slice(0, LINES);
  const frame = lines.find((line) => /^\s*at /.test(line) && !line.includes("node_modules") && !line.includes("node:internal"));
  return [...message, ...(frame ? [frame.trim()] : [])].map((line) => `      ${line.trim()}`).join("\n");
};

function vitest(suite, file) {
  if (!existsSync(file)) return;
  const report = JSON.parse(readFileSync(file, "utf8"));
  for (const result of report.testResults ?? []) {
    const where = relative(process.cwd(), result.name);
    const failed = (result.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const t of failed) {
      // A timeout reads as a bare stack in this report: its duration says what happened.
      const after = typeof t.duration === "number" ? ` (after ${Math.round(t.duration)} ms)` : "";
      out.push(`  ${suite}: ${where} › ${t.fullName}${after}\n${firstLines(t.failureMessages?.join("\n"))}`);
    }
    if (result.status === "failed" && failed.length === 0) out.push(`  ${suite}: ${where}\n${firstLines(result.message)}`);
  }
}

function playwright(suite, file) {
  if (!existsSync(file)) return;
  const report = JSON.parse(readFileSync(file, "utf8"));
  const walk = (node, titles) => {
    for (const spec of node.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status !== "unexpected" && test.status !== "flaky") continue;
        const error = test.results?.find((r) => r.error)?.error;
        const label = test.status === "flaky" ? " (flaky: passed on retry)" : "";
        out.push(`  ${suite}: ${spec.file}:${spec.line} › ${[...titles, spec.title].join(" › ")}${label}\n${firstLines(error?.message)}`);
      }
    }
    for (const child of node.suites ?? []) walk(child, node.title && !node.title.endsWith(".ts") ? [...titles, node.title] : titles);
  };
  for (const top of report.suites ?? []) walk(top, []);
}

function junit(suite, file) {
  if (!existsSync(file)) return;
  const xml = readFileSync(file, "utf8");
  const xmlText = (s) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#10;/g, "\n")
      .replace(/&amp;/g, "&");
  for (const m of xml.matchAll(/<testcase ([^>]*)>([\s\S]*?)<\/testcase>/g)) {
    const failure = m[2].match(/<(failure|error)[^>]*message="([^"]*)"/);
    if (!failure) continue;
    const attr = (k) => (m[1].match(new RegExp(`${k}="([^"]*)"`)) || [])[1] ?? "";
    out.push(`  ${suite}: ${attr("classname")} › ${attr("name")}\n${firstLines(xmlText(failure[2]))}`);
  }
}

vitest("unit", ".tmp/vitest-results.json");
vitest("unit-pg", ".tmp/vitest-pg-results.json");
junit("trainer", ".tmp/pytest-results.xml");
junit("trainer-hf", ".tmp/pytest-hf-results.xml");
playwright("e2e", ".tmp/e2e-results.json");
playwright("e2e-pg", ".tmp/e2e-pg-results.json");

if (out.length > 0) {
  console.log("\n━━ failed or flaky tests");
  console.log(out.join("\n"));
}
