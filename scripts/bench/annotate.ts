/**
 * bench:annotate — how many judgments a second the annotate hot path sustains, and at what latency.
 *
 * On a fresh database (30,000 demo items, overlap 3, 200 annotators) it serves the production build
 * and measures, one after another on the same machine:
 *   ceiling   a trivial authenticated tRPC query (me.whoami) on the same server: the framework limit
 *   app       annotate.submit (store the judgment + lease the next item, one round trip), closed loop
 *             with 50 and 200 annotators, then an open loop at a fixed 300 judgments/s
 *   bare      node:http + better-sqlite3 doing the same lease and insert transactions, no framework
 *   postgres  with --engine postgres: the same closed loops with the app on PostgreSQL, --instances app
 *             processes (default 2) on one database behind a round-robin balancer, beside the single
 *             SQLite process of the same run (--pg-url names a server, else a throwaway cluster starts)
 * then checks acknowledged vs stored judgments (equal) and duplicates (none).
 * Then the browser part (annotate-browser.ts): Chromium, 50 keyboard judgments, Enter → next item
 * painted p50/p95, and the annotate page's first-load JavaScript in kB gzip.
 * Usage: npm run bench:annotate [-- --seconds 15 --open-seconds 30 --rate 300 --browser-judgments 50]
 *        [--browser-only | --no-browser] [--engine postgres --instances 2 --pg-url URL] [--app-only]
 * --app-only skips the ceiling, the open loop and the bare server (the app's closed loops only).
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
  freshPgCopy,
  type Integrity,
  ITEMS,
  log,
  pgServer,
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
    "app-only": { type: "boolean", default: false },
    engine: { type: "string", default: "sqlite" },
    instances: { type: "string", default: "2" },
    "pg-url": { type: "string" },
  },
});
const SECONDS = Number(args.seconds);
const OPEN_SECONDS = Number(args["open-seconds"]);
const RATE = Number(args.rate);
const INSTANCES = Number(args.instances);
if (args.engine !== "sqlite" && args.engine !== "postgres") throw new Error(`--engine ${args.engine}: sqlite or postgres`);
if (!Number.isInteger(INSTANCES) || INSTANCES < 1) throw new Error(`--instances ${args.instances}: a whole number ≥ 1`);
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
  const checks: { name: string; result: Integrity }[] = [];
  const APP_PORT = 3411;
  const BARE_PORT = 3412;

  // 1. ceiling: the trivial authenticated query on the app server
  if (!args["app-only"]) {
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
  const appRuns = [
    ["app closed loop, 50 annotators", "closed", 50],
    ["app closed loop, 200 annotators", "closed", 200],
    [`app open loop, ${RATE}/s`, "open", 200],
  ] as const;
  for (const [label, kind, n] of appRuns.filter(([, kind]) => kind === "closed" || !args["app-only"])) {
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
    checks.push({ name: label, result: await verify(db) });
  }

  // 2b. the same closed loops on PostgreSQL, several app instances on one database
  if (args.engine === "postgres") {
    const pgUrl = pgServer(args["pg-url"]);
    for (const n of [50, 200]) {
      const label = `app on PostgreSQL × ${INSTANCES}, ${n} annotators`;
      acknowledged.clear();
      const db = await freshPgCopy(pgUrl, `annotate_${n}`);
      const ports = Array.from({ length: INSTANCES }, (_, i) => APP_PORT + 10 + i);
      // Each instance's pool: enough connections for its share of the annotators' concurrent requests.
      const servers = await Promise.all(ports.map((port) => startServer("server/main.ts", db, port, { ARBITER_PG_POOL: "16" })));
      const target = appTarget(ports, projectId, n);
      const workers = await workersFor(userIds, n, target);
      log(`${label}…`);
      const stats = await closedLoop(n, SECONDS, (w) => target.submit(workers[w] as Worker));
      rows.push({ name: label, stats });
      await Promise.all(servers.map(stop));
      checks.push({ name: label, result: await verify(db) });
    }
  }

  // 3. bare node:http + better-sqlite3, same transactions
  if (!args["app-only"]) {
    acknowledged.clear();
    const db = freshCopy("bare");
    const server = await startServer("scripts/bench/bare-server.ts", db, BARE_PORT);
    const target = bareTarget(BARE_PORT, projectId, ANNOTATORS);
    const workers = await workersFor(userIds, ANNOTATORS, target);
    log(`bare node:http + better-sqlite3, ${ANNOTATORS} annotators…`);
    const stats = await closedLoop(ANNOTATORS, SECONDS, (w) => target.submit(workers[w] as Worker));
    rows.push({ name: `bare node:http+sqlite, ${ANNOTATORS} annotators`, stats });
    await stop(server);
    checks.push({ name: "bare", result: await verify(db) });
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
  const rate = (prefix: string) => s.find((r) => r.name.startsWith(prefix))?.perSecond ?? Number.NaN;
  const app200 = rate("app closed loop, 200");
  if (!args["app-only"]) {
    console.log(
      `\nratio app(200)/ceiling = ${(app200 / rate("ceiling")).toFixed(2)}   app(200)/bare = ${(app200 / rate("bare")).toFixed(2)}`,
    );
  }
  if (args.engine === "postgres") {
    for (const n of [50, 200]) {
      const onPg = rate(`app on PostgreSQL × ${INSTANCES}, ${n} `);
      console.log(
        `ratio PostgreSQL × ${INSTANCES} / SQLite × 1, ${n} annotators = ${(onPg / rate(`app closed loop, ${n} `)).toFixed(2)} (judgments/s)`,
      );
    }
  }
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
