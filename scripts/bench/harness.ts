/**
 * Shared by the benchmarks: a seeded template database (demo items, annotators), fresh copies of
 * it, starting and stopping servers as child processes, virtual annotators with minted session
 * cookies, and the integrity check (acknowledged vs stored judgments).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { encode } from "next-auth/jwt";
import pg from "pg";
import { users } from "@/db/schema";
import { openDb } from "@/server/db";
import { copyDatabaseBetween } from "@/server/domain/db-copy";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { generateDemoItems } from "../demo/demo-items";
import { makeClient } from "./load";

export const ITEMS = 30_000;
export const ANNOTATORS = 200;
export const SECRET = "bench-secret-bench-secret-bench-secret-0123456789";
export const PSEUDONYM_KEY = "bench-pseudonym-key";
export const DIR = path.resolve(".tmp/bench");
export const TEMPLATE = path.join(DIR, "template.db");

export function log(msg: string) {
  process.stderr.write(`${msg}\n`);
}

export function seedTemplate(items = ITEMS): { projectId: number; userIds: number[] } {
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const db = openDb(TEMPLATE);
  const project = createProject(db, { name: "bench", overlap: 3, strengthScale: false, rationalePolicy: "off" });
  const file = path.join(DIR, "items.jsonl");
  const out = fs.openSync(file, "w");
  for (const item of generateDemoItems({ count: items, seed: 1 })) {
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

export function freshCopy(name: string): string {
  const file = path.join(DIR, `${name}.db`);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  fs.copyFileSync(TEMPLATE, file);
  return file;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL"); // never leave a server holding the port
});

export async function startServer(script: string, db: string, port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  // BENCH_SERVER_NODE_ARGS: extra node flags for the servers only (e.g. --cpu-prof --cpu-prof-dir=DIR).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script], {
    env: {
      ...process.env,
      ARBITER_DB: db,
      PORT: String(port),
      NEXTAUTH_SECRET: SECRET,
      ARBITER_PSEUDONYM_KEY: PSEUDONYM_KEY,
      NEXTAUTH_URL: `http://localhost:${port}`,
      NODE_ENV: "production",
      ...env,
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

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export type Worker = { userId: number; cookie: string; assignmentId: number | null; k: number; n: number };
export type LeaseReply = { lease: { status: string; item?: { assignmentId: number; responses: unknown[] } } };
export type Target = {
  next: (w: Worker) => Promise<void>;
  submit: (w: Worker) => Promise<boolean>;
};

export const acknowledged = new Set<string>();
export const errorSamples: string[] = [];
export function noteError(what: string) {
  if (errorSamples.length < 5) errorSamples.push(what.slice(0, 300));
}

/**
 * The app behind a load balancer: with several ports (app instances on one database), requests go
 * round-robin, so one annotator's lease and submit often land on different instances.
 */
export function balancer(ports: number | number[], sockets: number): ReturnType<typeof makeClient> {
  const clients = (Array.isArray(ports) ? ports : [ports]).map((port) => makeClient(port, sockets));
  let turn = 0;
  return (...args) => (clients[turn++ % clients.length] as ReturnType<typeof makeClient>)(...args);
}

export function appTarget(ports: number | number[], projectId: number, sockets: number): Target {
  const request = balancer(ports, sockets);
  return {
    async next(w) {
      // annotate.next leases: a mutation, POSTed.
      const r = await request("POST", "/api/trpc/annotate.next", JSON.stringify({ projectId }), { cookie: w.cookie });
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

export function takeLease(w: Worker, data: LeaseReply) {
  w.assignmentId = data.lease.status === "item" ? (data.lease.item?.assignmentId ?? null) : null;
  w.k = data.lease.item?.responses.length ?? 2;
}

export function bareTarget(port: number, projectId: number, sockets: number): Target {
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

export async function workersFor(userIds: number[], count: number, target: Target): Promise<Worker[]> {
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

export type Integrity = { acknowledged: number; stored: number; lost: number; duplicates: number; overfull: number };

export const STORED_IDS = "SELECT client_submission_id AS id FROM judgments WHERE client_submission_id LIKE 'bench-%'";
export const DUPLICATE_PAIRS =
  "SELECT count(*) AS n FROM (SELECT item_id, annotator_id FROM judgments GROUP BY item_id, annotator_id HAVING count(*) > 1) d";
export const OVERFULL_ITEMS = "SELECT count(*) AS n FROM items i WHERE (SELECT count(*) FROM judgments j WHERE j.item_id = i.id) > 3";

/** Runs read-only queries on a benchmark database (a SQLite file or a postgres:// URL). */
export async function queryBench<T>(db: string, run: (all: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      return await run(async (q) => (await client.query(q)).rows);
    } finally {
      await client.end();
    }
  }
  const lite = new Database(db, { readonly: true });
  try {
    return await run(async (q) => lite.prepare(q).all() as Record<string, unknown>[]);
  } finally {
    lite.close();
  }
}

/** Acknowledged vs stored judgments, duplicate (item, annotator) pairs and items judged past the overlap. */
export async function verify(db: string): Promise<Integrity> {
  return queryBench(db, async (all) => {
    const storedIds = new Set((await all(STORED_IDS)).map((r) => String(r.id)));
    const duplicates = Number((await all(DUPLICATE_PAIRS))[0]?.n ?? 0);
    const overfull = Number((await all(OVERFULL_ITEMS))[0]?.n ?? 0);
    let lost = 0;
    for (const id of acknowledged) if (!storedIds.has(id)) lost++;
    return { acknowledged: acknowledged.size, stored: storedIds.size, lost, duplicates, overfull };
  });
}

// PostgreSQL ------------------------------------------------------------------------------------

/**
 * A PostgreSQL server for the benchmarks: --pg-url names one where databases may be created, else a
 * throwaway cluster (scripts/pg-cluster.sh) is started and removed at exit.
 */
export function pgServer(url: string | undefined): string {
  if (url) return url;
  log("starting a throwaway PostgreSQL cluster…");
  const line = spawnSync("bash", ["scripts/pg-cluster.sh", "start"], { encoding: "utf8" });
  if (line.status !== 0) throw new Error(`scripts/pg-cluster.sh start failed: ${line.stderr}`);
  const [dir, started] = line.stdout.trim().split(" ");
  process.on("exit", () => spawnSync("bash", ["scripts/pg-cluster.sh", "stop", dir as string]));
  return started as string;
}

/** A fresh PostgreSQL database holding a copy of the template (db:copy, verified per table); returns its URL. */
export async function freshPgCopy(server: string, name: string): Promise<string> {
  const database = `bench_${name.replace(/[^a-z0-9]/gi, "_").toLowerCase()}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(server);
  u.pathname = `/${database}`;
  await copyDatabaseBetween(TEMPLATE, u.toString());
  return u.toString();
}

/** Runs one statement on a benchmark database (setup before the servers start). */
export async function execBench(db: string, statement: string, params: unknown[] = []): Promise<void> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    let n = 0;
    const numbered = statement.replace(/\?/g, () => `$${++n}`); // PostgreSQL numbers its placeholders
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      await client.query(numbered, params);
    } finally {
      await client.end();
    }
    return;
  }
  const lite = new Database(db);
  lite.prepare(statement).run(...params);
  lite.close();
}
