/**
 * Shared by the benchmarks: a seeded template database (demo items, annotators), fresh copies of
 * it, starting and stopping servers as child processes, virtual annotators with minted session
 * cookies, and the integrity check (acknowledged vs stored judgments).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { encode } from "next-auth/jwt";
import { users } from "@/db/schema";
import { openDb } from "@/server/db";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { generateDemoItems } from "../demo/demo-items";
import { makeClient } from "./load";

export const ITEMS = 30_000;
export const ANNOTATORS = 200;
export const SECRET = "bench-secret-bench-secret-bench-secret-0123456789";
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

export async function startServer(script: string, db: string, port: number): Promise<ChildProcess> {
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

export function appTarget(port: number, projectId: number, sockets: number): Target {
  const request = makeClient(port, sockets);
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

export function verify(file: string) {
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
