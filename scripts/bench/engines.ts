/**
 * bench:engines — the annotate hot path (store a judgment + lease the next item, one transaction) on
 * each database engine, side by side in one run, and several processes ("instances") sharing one
 * PostgreSQL database. Domain level: each process calls the same domain functions the API calls, with
 * no HTTP in front (bench:annotate measures the whole app on SQLite).
 *
 * Runs, each on a fresh copy of the same seeded database (demo items, overlap 3):
 *   sqlite    1 process on a SQLite file
 *   postgres  1 process, then --instances processes, on one PostgreSQL database
 * Every annotator works in a closed loop for --seconds. Afterwards each run is checked: every
 * acknowledged judgment is stored (lost 0), no annotator judged an item twice, no item has more
 * judgments than its overlap.
 * PostgreSQL: --pg-url names a server where databases may be created; without it a throwaway
 * cluster is started (scripts/pg-cluster.sh; Debian's postgresql, which scripts/bootstrap installs).
 * Usage: npm run bench:engines [-- --items 10000 --annotators 32 --seconds 10 --instances 2 --pg-url URL]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { and, count, eq, like, sql } from "drizzle-orm";
import pg from "pg";
import { items, judgments, projects } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import { openDb } from "@/server/db";
import { openPg } from "@/server/db-pg";
import { copyDatabaseBetween } from "@/server/domain/db-copy";
import { DIR, freshCopy, log, seedTemplate, TEMPLATE } from "./harness";
import { percentile } from "./load";

const { values: args } = parseArgs({
  options: {
    items: { type: "string", default: "10000" },
    annotators: { type: "string", default: "32" },
    seconds: { type: "string", default: "10" },
    instances: { type: "string", default: "2" },
    "pg-url": { type: "string" },
  },
});
const ITEMS = Number(args.items);
const ANNOTATORS = Number(args.annotators);
const SECONDS = Number(args.seconds);
const INSTANCES = Number(args.instances);

type WorkerResult = { ops: number; errors: number; errorSamples: string[]; seconds: number; latencies: number[]; acknowledged: string[] };
type Run = { engine: "sqlite" | "postgres"; processes: number; db: string };

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(url: string, statements: string[]) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

/** Starts `processes` workers on one database, releases them together, and gathers their results. */
async function runWorkers(run: Run, projectId: number, userIds: number[], tag: string): Promise<WorkerResult[]> {
  const children: { child: ChildProcess; out: string; ready: Promise<void>; done: Promise<number> }[] = [];
  for (let i = 0; i < run.processes; i++) {
    const users = userIds.filter((_, k) => k % run.processes === i);
    const out = path.join(DIR, `engines-${tag}-${i}.json`);
    const child = spawn(
      "npx",
      [
        "tsx",
        "scripts/bench/engines-worker.ts",
        "--db",
        run.db,
        "--project",
        String(projectId),
        "--users",
        users.join(","),
        "--seconds",
        String(SECONDS),
        "--out",
        out,
        "--tag",
        `${tag}${i}`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child.on("exit", (code) => reject(new Error(`worker ${i} exited (${code}) before it was ready`)));
    });
    const done = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
    children.push({ child, out, ready, done });
  }
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.child.stdin?.end("go\n");
  const codes = await Promise.all(children.map((c) => c.done));
  if (codes.some((c) => c !== 0)) throw new Error(`a worker failed (exit codes ${codes.join(", ")})`);
  return children.map((c) => JSON.parse(fs.readFileSync(c.out, "utf8")) as WorkerResult);
}

/** What the database holds after a run, against what the workers were told was stored. */
async function check(db: AnyDb, projectId: number, acknowledged: Set<string>) {
  return runOp(db, function* (c) {
    const stored = yield* c.all(
      c.q
        .select({ id: judgments.clientSubmissionId })
        .from(judgments)
        .where(and(eq(judgments.projectId, projectId), like(judgments.clientSubmissionId, "bench-%"))),
    );
    const twice = yield* c.first(
      c.q
        .select({ n: count() })
        .from(
          c.q
            .select({ i: judgments.itemId })
            .from(judgments)
            .where(eq(judgments.projectId, projectId))
            .groupBy(judgments.itemId, judgments.annotatorId)
            .having(sql`count(*) > 1`)
            .as("t"),
        ),
    );
    const overFull = yield* c.first(
      c.q
        .select({ n: count() })
        .from(items)
        .innerJoin(projects, eq(projects.id, items.projectId))
        .where(
          and(
            eq(items.projectId, projectId),
            sql`(SELECT count(*) FROM ${judgments} j WHERE j.item_id = ${items.id}) > ${projects.overlap}`,
          ),
        ),
    );
    const storedIds = new Set(stored.map((r) => r.id));
    let lost = 0;
    for (const id of acknowledged) if (!storedIds.has(id)) lost++;
    return { stored: storedIds.size, lost, duplicates: Number(twice?.n ?? 0), overFull: Number(overFull?.n ?? 0) };
  });
}

async function main() {
  log(`seeding ${ITEMS.toLocaleString("en")} items, overlap 3…`);
  const { projectId, userIds: allUsers } = seedTemplate(ITEMS);
  const userIds = allUsers.slice(0, ANNOTATORS);

  let cluster: string | undefined;
  let serverUrl = args["pg-url"];
  if (!serverUrl) {
    log("starting a throwaway PostgreSQL cluster…");
    const line = execFileSync("bash", ["scripts/pg-cluster.sh", "start"], { encoding: "utf8" }).trim();
    cluster = line.split(" ")[0];
    serverUrl = line.slice(line.indexOf(" ") + 1);
  }
  const stamp = Date.now().toString(36);
  const template = `bench_engines_${stamp}`;
  const created: string[] = [template];
  try {
    await admin(serverUrl, [`CREATE DATABASE "${template}"`]);
    log("copying the seeded database to PostgreSQL (db:copy)…");
    await copyDatabaseBetween(TEMPLATE, withDatabase(serverUrl, template));

    const runs: Run[] = [{ engine: "sqlite", processes: 1, db: "" }];
    for (const processes of [...new Set([1, INSTANCES])]) runs.push({ engine: "postgres", processes, db: "" });
    const rows: Record<string, unknown>[] = [];
    for (const [k, run] of runs.entries()) {
      if (run.engine === "sqlite") run.db = freshCopy(`engines-${k}`);
      else {
        const name = `bench_engines_${stamp}_${k}`;
        await admin(serverUrl, [`CREATE DATABASE "${name}" TEMPLATE "${template}"`]);
        created.push(name);
        run.db = withDatabase(serverUrl, name);
      }
      log(`${run.engine}, ${run.processes} process${run.processes > 1 ? "es" : ""}, ${ANNOTATORS} annotators, ${SECONDS} s…`);
      const results = await runWorkers(run, projectId, userIds, `r${k}`);
      const acknowledged = new Set(results.flatMap((r) => r.acknowledged));
      const ops = results.reduce((a, r) => a + r.ops, 0);
      const seconds = Math.max(...results.map((r) => r.seconds));
      const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const db = run.engine === "sqlite" ? openDb(run.db) : await openPg(run.db, { max: 2 });
      const verdict = await check(db, projectId, acknowledged);
      if ("end" in db.$client) await db.$client.end();
      else db.$client.close();
      const errors = results.reduce((a, r) => a + r.errors, 0);
      for (const r of results) for (const e of r.errorSamples) log(`  error: ${e}`);
      rows.push({
        engine: run.engine,
        processes: run.processes,
        judgmentsPerSecond: Math.round(ops / seconds),
        p50ms: +percentile(latencies, 50).toFixed(2),
        p95ms: +percentile(latencies, 95).toFixed(2),
        errors,
        acknowledged: acknowledged.size,
        ...verdict,
      });
    }
    console.table(rows);
    const base = rows[0]?.judgmentsPerSecond as number;
    for (const r of rows.slice(1)) {
      console.log(`${r.engine} × ${r.processes}: ${((r.judgmentsPerSecond as number) / base).toFixed(2)}× the judgments/s of sqlite × 1`);
    }
    const bad = rows.filter((r) => r.lost !== 0 || r.duplicates !== 0 || r.overFull !== 0 || r.stored !== r.acknowledged);
    console.log(
      bad.length
        ? `FAILED: ${bad.length} run(s) broke an invariant`
        : "acknowledged = stored, 0 lost, 0 duplicates, 0 items over overlap, in every run",
    );
    if (bad.length) process.exitCode = 1;
  } finally {
    await admin(
      serverUrl,
      created.reverse().map((n) => `DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`),
    ).catch(() => {});
    if (cluster) execFileSync("bash", ["scripts/pg-cluster.sh", "stop", cluster]);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
