/**
 * bench:soak — a paid campaign's worst afternoon: 200 simulated annotators judging for 10 minutes
 * against the production server, while some drop their connection mid-submit and retry, some
 * double-submit, and some walk away until their lease expires (leases are 30 s here). At the end:
 * acknowledged vs stored judgments (must be equal), duplicates (must be 0), submit latency p50/p95/p99,
 * and the server's RSS at the start and the end (growth beyond 20 % would suggest a leak).
 * Usage: npm run bench:soak [-- --minutes 10 --annotators 200]
 */
import fs from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { acknowledged, appTarget, freshCopy, log, seedTemplate, startServer, stop, takeLease, type Worker, workersFor } from "./harness";
import { makeClient, percentile } from "./load";

const { values: args } = parseArgs({
  options: { minutes: { type: "string", default: "10" }, annotators: { type: "string", default: "200" } },
});
const MINUTES = Number(args.minutes);
const N = Number(args.annotators);
const PORT = 3413;
const LEASE_S = 30;

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Sends a request and cuts the connection right after the body is written: the answer is never read. */
function sendAndDrop(path: string, body: string, cookie: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({
      host: "127.0.0.1",
      port: PORT,
      method: "POST",
      path,
      agent: false,
      headers: { cookie, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    req.on("error", () => resolve());
    req.end(body, () => {
      req.destroy();
      resolve();
    });
  });
}

async function main() {
  log("seeding…");
  const { projectId, userIds } = seedTemplate();
  const file = freshCopy("soak");
  const setup = new Database(file);
  setup.prepare("UPDATE projects SET lease_seconds = ? WHERE id = ?").run(LEASE_S, projectId);
  setup.close();
  const server = await startServer("server/main.ts", file, PORT);
  const request = makeClient(PORT, N);
  const target = appTarget(PORT, projectId, N);
  const workers = await workersFor(userIds, N, target);
  const pid = server.pid ?? 0;
  const rssStart = rssMb(pid);
  const latencies: number[] = [];
  const faults = { disconnects: 0, duplicates: 0, walkaways: 0, expiredOnReturn: 0 };
  const end = Date.now() + MINUTES * 60_000;
  let rssPeak = rssStart;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMb(pid));
  }, 5000);

  async function submitUntilAnswered(w: Worker, id: string, body: string): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const r = await request("POST", "/api/trpc/annotate.submit", body, { cookie: w.cookie }).catch(() => null);
      if (!r) continue;
      if (r.status === 200) {
        acknowledged.add(id);
        takeLease(w, JSON.parse(r.body).result.data);
        return;
      }
      // The lease ran out and went to someone else (or was already judged): move on.
      faults.expiredOnReturn++;
      await target.next(w);
      return;
    }
  }

  await Promise.all(
    workers.map(async (w) => {
      while (Date.now() < end && w.assignmentId !== null) {
        const id = `bench-${w.userId}-${w.n++}`;
        const choice = w.k === 2 ? { outcome: "a" } : { ranking: Array.from({ length: w.k }, (_, i) => i) };
        const body = JSON.stringify({ projectId, submission: { assignmentId: w.assignmentId, clientSubmissionId: id, ...choice } });
        const dice = Math.random();
        if (dice < 0.02) {
          faults.walkaways++;
          await new Promise((r) => setTimeout(r, (LEASE_S + 2) * 1000)); // the lease expires meanwhile
          await submitUntilAnswered(w, id, body); // a late submit: accepted if the slot is still free
        } else if (dice < 0.07) {
          faults.disconnects++;
          await sendAndDrop("/api/trpc/annotate.submit", body, w.cookie);
          await submitUntilAnswered(w, id, body); // the client retries with the same submission id
        } else if (dice < 0.12) {
          faults.duplicates++;
          await Promise.all([
            submitUntilAnswered(w, id, body),
            request("POST", "/api/trpc/annotate.submit", body, { cookie: w.cookie }).catch(() => null),
          ]);
        } else {
          const t = performance.now();
          await submitUntilAnswered(w, id, body);
          latencies.push(performance.now() - t);
        }
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 800)); // people read before they judge
      }
    }),
  );
  clearInterval(sampler);
  const rssEnd = rssMb(pid);
  await stop(server);

  const db = new Database(file, { readonly: true });
  const storedIds = new Set(
    (
      db.prepare("SELECT client_submission_id AS id FROM judgments WHERE client_submission_id LIKE 'bench-%'").all() as { id: string }[]
    ).map((r) => r.id),
  );
  const dupPairs = (
    db
      .prepare("SELECT count(*) AS n FROM (SELECT item_id, annotator_id FROM judgments GROUP BY item_id, annotator_id HAVING count(*) > 1)")
      .get() as { n: number }
  ).n;
  const expired = (db.prepare("SELECT count(*) AS n FROM assignments WHERE state = 'expired'").get() as { n: number }).n;
  db.close();
  const lost = [...acknowledged].filter((id) => !storedIds.has(id)).length;
  const unacknowledged = [...storedIds].filter((id) => !acknowledged.has(id)).length;
  const sorted = latencies.sort((a, b) => a - b);
  console.log(`\nbench:soak — ${N} annotators for ${MINUTES} min, leases ${LEASE_S} s`);
  console.log(
    `faults injected: ${faults.disconnects} disconnects mid-submit, ${faults.duplicates} double submits, ${faults.walkaways} walk-aways (${expired} leases expired; ${faults.expiredOnReturn} late submits refused)`,
  );
  console.log(
    `acknowledged ${acknowledged.size}  stored ${storedIds.size}  lost ${lost}  stored-but-unacknowledged ${unacknowledged}  duplicate (item, annotator) pairs ${dupPairs}`,
  );
  console.log(
    `submit latency p50 ${percentile(sorted, 50).toFixed(1)} ms  p95 ${percentile(sorted, 95).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms  (${sorted.length} plain submits)`,
  );
  console.log(
    `server RSS start ${rssStart.toFixed(0)} MB  peak ${rssPeak.toFixed(0)} MB  end ${rssEnd.toFixed(0)} MB  growth ${((100 * (rssEnd - rssStart)) / rssStart).toFixed(1)} %`,
  );
  process.exit(lost === 0 && dupPairs === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
