/**
 * The "bare" reference for bench:annotate: node:http + better-sqlite3 doing the same lease and
 * judgment transactions as server/domain (same schema, same indexes, same statements in raw SQL),
 * with no framework, no auth and no validation. What the app achieves is reported as a share of this.
 * Usage: ARBITER_DB=FILE PORT=N tsx scripts/bench/bare-server.ts
 */
import http from "node:http";
import Database from "better-sqlite3";

const db = new Database(process.env.ARBITER_DB ?? "bench.db");
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
db.pragma("busy_timeout = 5000");

const q = {
  due: db.prepare("SELECT id, item_id, project_id FROM assignments WHERE state = 'active' AND deadline < ? LIMIT 200"),
  active: db.prepare(
    "SELECT id, item_id, shown_order, deadline FROM assignments WHERE user_id = ? AND project_id = ? AND state = 'active' AND deadline > ? LIMIT 1",
  ),
  project: db.prepare("SELECT lease_seconds FROM projects WHERE id = ?"),
  cursor: db.prepare("SELECT pos FROM queue_cursors WHERE user_id = ? AND project_id = ?"),
  next: db.prepare(
    `SELECT id, queue_pos, k FROM items WHERE project_id = ? AND open_slots > 0 AND queue_pos > ?
     AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = items.id AND a.user_id = ?) ORDER BY queue_pos LIMIT 1`,
  ),
  take: db.prepare("UPDATE items SET open_slots = open_slots - 1 WHERE id = ? AND open_slots > 0"),
  insertLease: db.prepare(
    "INSERT INTO assignments (project_id, item_id, user_id, shown_order, leased_at, deadline) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
  ),
  upsertCursor: db.prepare(
    "INSERT INTO queue_cursors (user_id, project_id, pos) VALUES (?, ?, ?) ON CONFLICT (user_id, project_id) DO UPDATE SET pos = excluded.pos",
  ),
  prompt: db.prepare("SELECT prompt FROM items WHERE id = ?"),
  responses: db.prepare("SELECT idx, content FROM responses WHERE item_id = ? ORDER BY idx"),
  bySubmission: db.prepare("SELECT id FROM judgments WHERE client_submission_id = ?"),
  lease: db.prepare("SELECT a.id, a.item_id, a.project_id, a.shown_order, a.leased_at FROM assignments a WHERE a.id = ? AND a.user_id = ?"),
  insertJudgment: db.prepare(
    `INSERT INTO judgments (project_id, item_id, assignment_id, annotator_id, shown_order, outcome, strength, criteria, time_on_task_ms, client_submission_id, source)
     VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, 'api') RETURNING id`,
  ),
  close: db.prepare("UPDATE assignments SET state = 'submitted', closed_at = ? WHERE id = ?"),
  done: db.prepare("UPDATE items SET done_count = done_count + 1 WHERE id = ?"),
  slots: db.prepare("UPDATE projects SET done_slots = done_slots + 1 WHERE id = ?"),
};

type Lease = { id: number; item_id: number; shown_order: string; deadline: number };

function view(lease: Lease) {
  const order = JSON.parse(lease.shown_order) as number[];
  const prompt = JSON.parse((q.prompt.get(lease.item_id) as { prompt: string }).prompt);
  const byIdx = new Map((q.responses.all(lease.item_id) as { idx: number; content: string }[]).map((r) => [r.idx, JSON.parse(r.content)]));
  return {
    assignmentId: lease.id,
    deadline: lease.deadline,
    prompt,
    responses: order.map((i, position) => ({ position, content: byIdx.get(i) })),
  };
}

const leaseNext = db.transaction((userId: number, projectId: number, now: number) => {
  if ((q.due.all(now) as unknown[]).length > 0) throw new Error("bench leases never expire");
  const current = q.active.get(userId, projectId, now) as Lease | undefined;
  if (current) return { status: "item", item: view(current) };
  const { lease_seconds } = q.project.get(projectId) as { lease_seconds: number };
  const pos = (q.cursor.get(userId, projectId) as { pos: number } | undefined)?.pos ?? 0;
  const next = q.next.get(projectId, pos, userId) as { id: number; queue_pos: number; k: number } | undefined;
  if (!next) return { status: "empty" };
  q.take.run(next.id);
  const order = Array.from({ length: next.k }, (_, i) => i).sort(() => Math.random() - 0.5);
  const deadline = now + lease_seconds * 1000;
  const { id } = q.insertLease.get(projectId, next.id, userId, JSON.stringify(order), now, deadline) as { id: number };
  q.upsertCursor.run(userId, projectId, next.queue_pos);
  return { status: "item", item: view({ id, item_id: next.id, shown_order: JSON.stringify(order), deadline }) };
});

const submit = db.transaction((userId: number, assignmentId: number, outcome: string, clientId: string, now: number) => {
  const dup = q.bySubmission.get(clientId) as { id: number } | undefined;
  if (dup) return { judgmentId: dup.id, duplicate: true };
  const a = q.lease.get(assignmentId, userId) as {
    id: number;
    item_id: number;
    project_id: number;
    shown_order: string;
    leased_at: number;
  };
  const { id } = q.insertJudgment.get(a.project_id, a.item_id, a.id, userId, a.shown_order, outcome, null, now - a.leased_at, clientId) as {
    id: number;
  };
  q.close.run(now, a.id);
  q.done.run(a.item_id);
  q.slots.run(a.project_id);
  return { judgmentId: id, duplicate: false };
});

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://x");
    let out: unknown;
    if (url.pathname === "/api/health") out = { ok: true };
    else if (url.pathname === "/next")
      out = { lease: leaseNext.immediate(Number(url.searchParams.get("userId")), Number(url.searchParams.get("projectId")), Date.now()) };
    else if (url.pathname === "/submit") {
      const b = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const now = Date.now();
      const result = submit.immediate(b.userId, b.assignmentId, b.outcome, b.clientSubmissionId, now);
      out = { result, lease: leaseNext.immediate(b.userId, b.projectId, now) };
    } else {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.stringify(out);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 3300), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
