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
 * Usage: npm run bench:annotate [-- --seconds 15 --open-seconds 30 --rate 300]
 */
import { type ChildProcess, execSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { encode } from "next-auth/jwt";
import { users } from "@/db/schema";
import { openDb } from "@/server/db";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { generateDemoItems } from "../demo/demo-items";
import { closedLoop, makeClient, openLoop, type RunStats, summarize } from "./load";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "15" },
    "open-seconds": { type: "string", default: "30" },
    rate: { type: "string", default: "300" },
  },
});
const SECONDS = Number(args.seconds);
const OPEN_SECONDS = Number(args["open-seconds"]);
const RATE = Number(args.rate);
const ITEMS = 30_000;
const ANNOTATORS = 200;
const SECRET = "bench-secret-bench-secret-bench-secret-0123456789";
const DIR = path.resolve(".tmp/bench");
const TEMPLATE = path.join(DIR, "template.db");

function log(msg: string) {
  process.stderr.write(`${msg}\n`);
}

function seedTemplate(): { projectId: number; userIds: number[] } {
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const db = openDb(TEMPLATE);
  const project = createProject(db, { name: "bench", overlap: 3, strengthScale: false, rationalePolicy: "off" });
  const file = path.join(DIR, "items.jsonl");
  const out = fs.openSync(file, "w");
  for (const item of generateDemoItems({ count: ITEMS, seed: 1 })) {
    const { judgments: _skip, ...rest } = item; // humans judge everything in the benchmark
    fs.writeSync(out, `${JSON.stringify(rest)}\n`);
  }
  fs.closeSync(out);
  const r = importItems(db, { projectId: project.id, file });
  if (r.errorCount) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
  const userIds = Array.from(
    { length: ANNOTATORS },
    (_, i) =>
      db
        .insert(users)
        .values({ email: `bench-${i}@bench.local`, name: `bench-${i}`, role: "annotator" })
        .returning({ id: users.id })
        .get().id,
  );
  db.$client.pragma("wal_checkpoint(TRUNCATE)");
  db.$client.close();
  return { projectId: project.id, userIds };
}

function freshCopy(name: string): string {
  const file = path.join(DIR, `${name}.db`);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  fs.copyFileSync(TEMPLATE, file);
  return file;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL"); // never leave a server holding the port
});

async function startServer(script: string, db: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: {
      ...process.env,
      ARBITER_DB: db,
      PORT: String(port),
      NEXTAUTH_SECRET: SECRET,
      NEXTAUTH_URL: `http://localhost:${port}`,
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  const request = makeClient(port, 1);
  for (let i = 0; i < 600; i++) {
    const ok = await request("GET", "/api/health").then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${script} did not start`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

type Worker = { userId: number; cookie: string; assignmentId: number | null; k: number; n: number };
type LeaseReply = { lease: { status: string; item?: { assignmentId: number; responses: unknown[] } } };
type Target = {
  next: (w: Worker) => Promise<void>;
  submit: (w: Worker) => Promise<boolean>;
};

const acknowledged = new Set<string>();
const errorSamples: string[] = [];
function noteError(what: string) {
  if (errorSamples.length < 5) errorSamples.push(what.slice(0, 300));
}

function appTarget(port: number, projectId: number, sockets: number): Target {
  const request = makeClient(port, sockets);
  return {
    async next(w) {
      const input = encodeURIComponent(JSON.stringify({ projectId }));
      const r = await request("GET", `/api/trpc/annotate.next?input=${input}`, undefined, { cookie: w.cookie });
      if (r.status !== 200) throw new Error(`next: ${r.status} ${r.body.slice(0, 200)}`);
      takeLease(w, JSON.parse(r.body).result.data);
    },
    async submit(w) {
      if (w.assignmentId === null) return false;
      const id = `bench-${w.userId}-${w.n++}`;
      // K = 2 items take an outcome, K > 2 items a full ranking of the shown positions.
      const choice = w.k === 2 ? { outcome: w.n % 3 === 0 ? "tie" : "a" } : { ranking: Array.from({ length: w.k }, (_, i) => w.k - 1 - i) };
      const body = JSON.stringify({ projectId, submission: { assignmentId: w.assignmentId, clientSubmissionId: id, ...choice } });
      const r = await request("POST", "/api/trpc/annotate.submit", body, { cookie: w.cookie });
      if (r.status !== 200) {
        noteError(`${r.status} ${r.body}`);
        return false;
      }
      const data = JSON.parse(r.body).result.data;
      if (!data.result.duplicate) acknowledged.add(id);
      takeLease(w, data);
      return true;
    },
  };
}

function takeLease(w: Worker, data: LeaseReply) {
  w.assignmentId = data.lease.status === "item" ? (data.lease.item?.assignmentId ?? null) : null;
  w.k = data.lease.item?.responses.length ?? 2;
}

function bareTarget(port: number, projectId: number, sockets: number): Target {
  const request = makeClient(port, sockets);
  return {
    async next(w) {
      const r = await request("GET", `/next?userId=${w.userId}&projectId=${projectId}`);
      takeLease(w, JSON.parse(r.body));
    },
    async submit(w) {
      if (w.assignmentId === null) return false;
      const id = `bench-${w.userId}-${w.n++}`;
      const body = JSON.stringify({ userId: w.userId, projectId, assignmentId: w.assignmentId, clientSubmissionId: id, outcome: "a" });
      const r = await request("POST", "/submit", body);
      if (r.status !== 200) return false;
      const data = JSON.parse(r.body);
      if (!data.result.duplicate) acknowledged.add(id);
      takeLease(w, data);
      return true;
    },
  };
}

async function workersFor(userIds: number[], count: number, target: Target): Promise<Worker[]> {
  const workers = await Promise.all(
    userIds.slice(0, count).map(async (userId) => ({
      userId,
      cookie: `next-auth.session-token=${await encode({ token: { uid: userId, role: "annotator", sub: String(userId) }, secret: SECRET, maxAge: 3600 })}`,
      assignmentId: null as number | null,
      k: 2,
      n: 0,
    })),
  );
  for (const w of workers) await target.next(w);
  return workers;
}

function verify(file: string) {
  const db = new Database(file, { readonly: true });
  const stored = (db.prepare("SELECT count(*) AS n FROM judgments WHERE client_submission_id LIKE 'bench-%'").get() as { n: number }).n;
  const storedIds = new Set(
    (
      db.prepare("SELECT client_submission_id AS id FROM judgments WHERE client_submission_id LIKE 'bench-%'").all() as { id: string }[]
    ).map((r) => r.id),
  );
  const duplicates = (
    db
      .prepare("SELECT count(*) AS n FROM (SELECT item_id, annotator_id FROM judgments GROUP BY item_id, annotator_id HAVING count(*) > 1)")
      .get() as { n: number }
  ).n;
  const overfull = (
    db.prepare("SELECT count(*) AS n FROM items i WHERE (SELECT count(*) FROM judgments j WHERE j.item_id = i.id) > 3").get() as {
      n: number;
    }
  ).n;
  db.close();
  let lost = 0;
  for (const id of acknowledged) if (!storedIds.has(id)) lost++;
  return { acknowledged: acknowledged.size, stored, lost, duplicates, overfull };
}

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
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
