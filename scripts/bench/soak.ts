/**
 * bench:soak — a paid campaign's worst afternoon: 200 simulated annotators judging for 10 minutes
 * against the production server, while some drop their connection mid-submit and retry, some
 * double-submit, and some walk away until their lease expires (leases are 30 s here). At the end:
 * acknowledged vs stored judgments (must be equal), duplicates (must be 0), submit latency p50/p95/p99,
 * and the server's memory: RSS after warm-up vs at the end (each the median of the 5 s samples of one
 * minute, so one GC or burst does not decide it; growth beyond 20 % would suggest a leak) and the live
 * heap (heapUsed right after a full GC) at the same two points, which tells a leak (the live heap
 * grows) from the allocator keeping pages it once needed (RSS grows, the live heap does not).
 * The server runs with --expose-gc and ARBITER_MEMORY_LOG; a minute-by-minute memory timeline is printed.
 * Usage: npm run bench:soak [-- --minutes 10 --annotators 200 --warmup-seconds 60 --api-only]
 *        [--engine postgres --instances 2 --pg-url URL]
 * (--api-only serves the API without Next, server/main.ts's ARBITER_API_ONLY, for runs without a build).
 * --engine postgres runs --instances app processes on one PostgreSQL database (a copy of the same seeded
 * template) behind a round-robin balancer, so a lease and its submit often reach different instances;
 * memory is sampled on the first instance. --pg-url names a server, else a throwaway cluster starts.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  acknowledged,
  appTarget,
  balancer,
  DIR,
  DUPLICATE_PAIRS,
  execBench,
  freshCopy,
  freshPgCopy,
  ITEMS,
  log,
  OVERFULL_ITEMS,
  pgServer,
  queryBench,
  STORED_IDS,
  seedTemplate,
  startServer,
  stop,
  takeLease,
  type Worker,
  workersFor,
} from "./harness";
import { percentile } from "./load";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    annotators: { type: "string", default: "200" },
    "warmup-seconds": { type: "string" },
    "api-only": { type: "boolean", default: false },
    engine: { type: "string", default: "sqlite" },
    instances: { type: "string" },
    "pg-url": { type: "string" },
  },
});
if (args.engine !== "sqlite" && args.engine !== "postgres") throw new Error(`--engine ${args.engine}: sqlite or postgres`);
const INSTANCES = Number(args.instances ?? (args.engine === "postgres" ? 2 : 1));
if (!Number.isInteger(INSTANCES) || INSTANCES < 1) throw new Error(`--instances ${args.instances}: a whole number ≥ 1`);
if (args.engine === "sqlite" && INSTANCES > 1) throw new Error("several instances need one shared database: --engine postgres");
const MINUTES = Number(args.minutes);
const N = Number(args.annotators);
// Memory is compared from the end of warm-up: V8's heap, SQLite's page cache and the sockets of 200
// connections all grow to their working size in the first minute, which is not a leak.
const WARMUP_S = Number(args["warmup-seconds"] ?? Math.min(60, MINUTES * 6));
const PORT = 3413;
const LEASE_S = 30;

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

type MemorySample = {
  t: number;
  kind: "sample" | "after-gc";
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
};
const MEMORY_LOG = path.join(DIR, "soak-memory.jsonl");

function memorySamples(): MemorySample[] {
  if (!fs.existsSync(MEMORY_LOG)) return [];
  return fs
    .readFileSync(MEMORY_LOG, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MemorySample);
}

/** Asks the server for a sample right after a full GC (SIGUSR2, see server/main.ts) and waits for it. */
async function sampleAfterGc(server: ChildProcess): Promise<MemorySample> {
  const seen = memorySamples().filter((m) => m.kind === "after-gc").length;
  server.kill("SIGUSR2");
  for (let i = 0; i < 100; i++) {
    const gcs = memorySamples().filter((m) => m.kind === "after-gc");
    if (gcs.length > seen) return gcs[gcs.length - 1] as MemorySample;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the server wrote no after-GC memory sample (is it running with --expose-gc?)");
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** Sends a request and cuts the connection right after the body is written: the answer is never read. */
function sendAndDrop(port: number, path: string, body: string, cookie: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
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
  // Enough work for the whole run: at full speed the annotators make about 10k judgments a minute
  // (3 an item), and a queue that runs dry would end the load early.
  const { projectId, userIds } = seedTemplate(Math.max(ITEMS, Math.ceil(MINUTES * 6000)));
  const file = args.engine === "postgres" ? await freshPgCopy(pgServer(args["pg-url"]), "soak") : freshCopy("soak");
  await execBench(file, "UPDATE projects SET lease_seconds = ? WHERE id = ?", [LEASE_S, projectId]);
  fs.rmSync(MEMORY_LOG, { force: true });
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --expose-gc`.trim();
  if (args["api-only"]) process.env.ARBITER_API_ONLY = "1";
  const ports = Array.from({ length: INSTANCES }, (_, i) => PORT + i);
  // Memory is sampled on the first instance (the others serve the same share of the load).
  const servers = await Promise.all(
    ports.map((port, i) => startServer("server/main.ts", file, port, i === 0 ? { ARBITER_MEMORY_LOG: MEMORY_LOG } : {})),
  );
  const server = servers[0] as ChildProcess;
  const request = balancer(ports, N);
  const target = appTarget(ports, projectId, N);
  const workers = await workersFor(userIds, N, target);
  const pid = server.pid ?? 0;
  const rssStart = rssMb(pid);
  const started = Date.now();
  let warmLive: MemorySample | null = null;
  const warmup = setTimeout(async () => {
    warmLive = await sampleAfterGc(server);
  }, WARMUP_S * 1000);
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
          await sendAndDrop(ports[w.n % ports.length] as number, "/api/trpc/annotate.submit", body, w.cookie);
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
  clearTimeout(warmup);
  const rssEnd = rssMb(pid);
  const liveEnd = await sampleAfterGc(server);
  await Promise.all(servers.map(stop));

  const { storedIds, dupPairs, overfull, expired } = await queryBench(file, async (all) => ({
    storedIds: new Set((await all(STORED_IDS)).map((r) => String(r.id))),
    dupPairs: Number((await all(DUPLICATE_PAIRS))[0]?.n ?? 0),
    overfull: Number((await all(OVERFULL_ITEMS))[0]?.n ?? 0),
    expired: Number((await all("SELECT count(*) AS n FROM assignments WHERE state = 'expired'"))[0]?.n ?? 0),
  }));
  const lost = [...acknowledged].filter((id) => !storedIds.has(id)).length;
  const unacknowledged = [...storedIds].filter((id) => !acknowledged.has(id)).length;
  const sorted = latencies.sort((a, b) => a - b);
  const engine = args.engine === "postgres" ? `PostgreSQL, ${INSTANCES} app instance${INSTANCES > 1 ? "s" : ""}` : "SQLite, 1 app instance";
  console.log(`\nbench:soak — ${N} annotators for ${MINUTES} min, leases ${LEASE_S} s, ${engine}`);
  console.log(
    `faults injected: ${faults.disconnects} disconnects mid-submit, ${faults.duplicates} double submits, ${faults.walkaways} walk-aways (${expired} leases expired; ${faults.expiredOnReturn} late submits refused)`,
  );
  console.log(
    `acknowledged ${acknowledged.size}  stored ${storedIds.size}  lost ${lost}  stored-but-unacknowledged ${unacknowledged}  duplicate (item, annotator) pairs ${dupPairs}  items over the overlap ${overfull}`,
  );
  console.log(
    `submit latency p50 ${percentile(sorted, 50).toFixed(1)} ms  p95 ${percentile(sorted, 95).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms  (${sorted.length} plain submits)`,
  );
  console.log("\nserver memory, MB (sampled every 5 s; rss is what the OS counts, heap* are V8's, external/arrayBuffers are Buffers):");
  console.log("  min   rss  heapTotal  heapUsed  external  arrayBuffers");
  const samples = memorySamples().filter((m) => m.kind === "sample");
  for (let minute = 0; minute <= MINUTES; minute += Math.max(1, Math.round(MINUTES / 10))) {
    const m = samples.find((x) => x.t >= started + minute * 60_000) ?? samples[samples.length - 1];
    if (!m) break;
    console.log(
      `  ${String(minute).padStart(3)} ${mb(m.rss).padStart(5)} ${mb(m.heapTotal).padStart(10)} ${mb(m.heapUsed).padStart(9)} ${mb(m.external).padStart(9)} ${mb(m.arrayBuffers).padStart(13)}`,
    );
  }
  const w = warmLive as MemorySample | null;
  const growth = (a: number, b: number) => `${((100 * (b - a)) / a).toFixed(1)} %`;
  const medianRss = (from: number, to: number) => {
    const xs = samples
      .filter((m) => m.t >= from && m.t <= to)
      .map((m) => m.rss)
      .sort((a, b) => a - b);
    return xs.length ? (xs[Math.floor(xs.length / 2)] as number) / 2 ** 20 : Number.NaN;
  };
  const lastT = samples[samples.length - 1]?.t ?? Date.now();
  const rssWarm = medianRss(started + WARMUP_S * 1000, started + WARMUP_S * 1000 + 60_000);
  const rssLast = medianRss(lastT - 60_000, lastT);
  console.log(`server RSS before any load ${rssStart.toFixed(0)} MB, peak ${rssPeak.toFixed(0)} MB, at the end ${rssEnd.toFixed(0)} MB`);
  if (w) {
    console.log(
      `server RSS, median of the minute after the ${WARMUP_S} s warm-up ${rssWarm.toFixed(0)} MB → of the last minute ${rssLast.toFixed(0)} MB: growth ${growth(rssWarm, rssLast)} (target ≤ 20 %)`,
    );
    console.log(
      `live heap (heapUsed after a full GC) after warm-up ${mb(w.heapUsed)} MB → end ${mb(liveEnd.heapUsed)} MB: growth ${growth(w.heapUsed, liveEnd.heapUsed)}; external ${mb(w.external)} → ${mb(liveEnd.external)} MB`,
    );
  } else console.log(`the run ended before the ${WARMUP_S} s warm-up: no growth figure`);
  process.exit(lost === 0 && dupPairs === 0 && overfull === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
