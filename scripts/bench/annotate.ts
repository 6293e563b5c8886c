/**
 * bench:annotate — how many judgments a second the annotate hot path sustains, and at what latency.
 *
 * On a fresh database (30,000 demo items, overlap 3, 200 annotators) it serves the production build
 * and measures, one after another on the same machine:
 *   ceiling   a trivial authenticated tRPC query (me.whoami) on the same server: the framework limit
 *   app       annotate.submit (store the judgment + lease the next item, one round trip), closed loop
 *             with 50 and 200 annotators, then an open loop at a fixed 300 judgments/s
 *   bare      node:http + better-sqlite3 doing the same lease and insert transactions, no framework
 * then checks acknowledged vs stored judgments (equal) and duplicates (none).
 * Then the browser part (annotate-browser.ts): Chromium, 50 keyboard judgments, Enter → next item
 * painted p50/p95, and the annotate page's first-load JavaScript in kB gzip.
 * Usage: npm run bench:annotate [-- --seconds 15 --open-seconds 30 --rate 300 --browser-judgments 50]
 *        [--browser-only | --no-browser]
 */
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { benchBrowser } from "./annotate-browser";
import {
  ANNOTATORS,
  acknowledged,
  appTarget,
  bareTarget,
  errorSamples,
  freshCopy,
  ITEMS,
  log,
  seedTemplate,
  startServer,
  stop,
  verify,
  type Worker,
  workersFor,
} from "./harness";
import { closedLoop, makeClient, openLoop, type RunStats, summarize } from "./load";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "15" },
    "open-seconds": { type: "string", default: "30" },
    rate: { type: "string", default: "300" },
    "browser-judgments": { type: "string", default: "50" },
    "browser-only": { type: "boolean", default: false },
    "no-browser": { type: "boolean", default: false },
  },
});
const SECONDS = Number(args.seconds);
const OPEN_SECONDS = Number(args["open-seconds"]);
const RATE = Number(args.rate);
type Row = { name: string; stats: RunStats };

async function main() {
  if (!fs.existsSync(".next/BUILD_ID")) {
    log("building the app (next build)…");
    execSync("npx next build", { stdio: "inherit" });
  }
  log(`seeding ${ITEMS.toLocaleString("en")} items, overlap 3, ${ANNOTATORS} annotators…`);
  const t0 = performance.now();
  const { projectId, userIds } = seedTemplate();
  log(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (args["browser-only"]) return printBrowser(await benchBrowser(projectId, Number(args["browser-judgments"])));
  const rows: Row[] = [];
  const checks: { name: string; result: ReturnType<typeof verify> }[] = [];
  const APP_PORT = 3411;
  const BARE_PORT = 3412;

  // 1. ceiling: the trivial authenticated query on the app server
  {
    const db = freshCopy("ceiling");
    const server = await startServer("server/main.ts", db, APP_PORT);
    const request = makeClient(APP_PORT, ANNOTATORS);
    const workers = await workersFor(userIds, ANNOTATORS, appTarget(APP_PORT, projectId, ANNOTATORS));
    log(`ceiling: me.whoami, ${ANNOTATORS} connections, ${SECONDS} s…`);
    await closedLoop(ANNOTATORS, 2, (w) =>
      request("GET", "/api/trpc/me.whoami", undefined, { cookie: (workers[w] as Worker).cookie }).then((r) => r.status === 200),
    );
    const stats = await closedLoop(ANNOTATORS, SECONDS, (w) =>
      request("GET", "/api/trpc/me.whoami", undefined, { cookie: (workers[w] as Worker).cookie }).then((r) => r.status === 200),
    );
    rows.push({ name: `ceiling: trivial tRPC query, ${ANNOTATORS} conns`, stats });
    await stop(server);
  }

  // 2. app: closed loops at 50 and 200 annotators, then the open loop
  for (const [label, kind, n] of [
    ["app closed loop, 50 annotators", "closed", 50],
    ["app closed loop, 200 annotators", "closed", 200],
    [`app open loop, ${RATE}/s`, "open", 200],
  ] as const) {
    acknowledged.clear();
    const db = freshCopy(`app-${kind}-${n}`);
    const server = await startServer("server/main.ts", db, APP_PORT);
    const target = appTarget(APP_PORT, projectId, n);
    const workers = await workersFor(userIds, n, target);
    log(`${label}…`);
    const stats =
      kind === "closed"
        ? await closedLoop(n, SECONDS, (w) => target.submit(workers[w] as Worker))
        : await openLoop(RATE, OPEN_SECONDS, n, (w) => target.submit(workers[w] as Worker));
    rows.push({ name: label, stats });
    await stop(server);
    checks.push({ name: label, result: verify(db) });
  }

  // 3. bare node:http + better-sqlite3, same transactions
  {
    acknowledged.clear();
    const db = freshCopy("bare");
    const server = await startServer("scripts/bench/bare-server.ts", db, BARE_PORT);
    const target = bareTarget(BARE_PORT, projectId, ANNOTATORS);
    const workers = await workersFor(userIds, ANNOTATORS, target);
    log(`bare node:http + better-sqlite3, ${ANNOTATORS} annotators…`);
    const stats = await closedLoop(ANNOTATORS, SECONDS, (w) => target.submit(workers[w] as Worker));
    rows.push({ name: `bare node:http+sqlite, ${ANNOTATORS} annotators`, stats });
    await stop(server);
    checks.push({ name: "bare", result: verify(db) });
  }

  const cpu = os.cpus();
  console.log(`\nbench:annotate — ${cpu.length} × ${cpu[0]?.model ?? "cpu"}, node ${process.version}, load generator on the same machine`);
  console.log(
    `${"run".padEnd(44)} ${"ops/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(7)}`,
  );
  const s = rows.map((r) => ({ name: r.name, ...summarize(r.stats) }));
  for (const r of s) {
    console.log(
      `${r.name.padEnd(44)} ${r.perSecond.toFixed(0).padStart(8)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${String(r.errors).padStart(7)}`,
    );
  }
  const ceiling = s[0]?.perSecond ?? Number.NaN;
  const app200 = s[2]?.perSecond ?? Number.NaN;
  const bare = s[4]?.perSecond ?? Number.NaN;
  console.log(`\nratio app(200)/ceiling = ${(app200 / ceiling).toFixed(2)}   app(200)/bare = ${(app200 / bare).toFixed(2)}`);
  if (errorSamples.length) console.log(`\nfirst errors:\n  ${errorSamples.join("\n  ")}`);
  console.log("\nintegrity (acknowledged vs stored):");
  for (const c of checks) {
    const r = c.result;
    console.log(
      `  ${c.name.padEnd(42)} acknowledged ${r.acknowledged}  stored ${r.stored}  lost ${r.lost}  duplicates ${r.duplicates}  over-overlap items ${r.overfull}`,
    );
  }
  if (!args["no-browser"]) printBrowser(await benchBrowser(projectId, Number(args["browser-judgments"])));
}

function printBrowser(r: Awaited<ReturnType<typeof benchBrowser>>) {
  console.log(`\nbrowser (Chromium, 1440 × 900, ${r.judgments} keyboard judgments): Enter → next item painted`);
  console.log(`  p50 ${r.p50.toFixed(1)} ms   p95 ${r.p95.toFixed(1)} ms   max ${r.max.toFixed(1)} ms   (target p95 < 150 ms)`);
  console.log(`  annotate page first-load JavaScript: ${r.firstLoadJsKbGzip.toFixed(1)} kB gzip in ${r.scripts} scripts (target ≤ 200 kB)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
