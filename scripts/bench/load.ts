/**
 * A small HTTP load generator for the benchmarks: keep-alive sockets, closed loops (each virtual
 * annotator sends its next request as soon as the previous answer arrives) and an open loop (a
 * fixed arrival rate, latency measured from the scheduled send time so queueing is not hidden).
 */
import http from "node:http";

export type Reply = { status: number; body: string };

export function makeClient(port: number, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return function request(method: "GET" | "POST", path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method,
          path,
          agent,
          headers:
            body === undefined ? headers : { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  };
}

export type RunStats = { ops: number; errors: number; seconds: number; latenciesMs: number[] };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarize(s: RunStats) {
  const sorted = [...s.latenciesMs].sort((a, b) => a - b);
  return {
    perSecond: s.ops / s.seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    ops: s.ops,
    errors: s.errors,
  };
}

/** Runs `workers` loops for `seconds`; each loop calls `step(worker)` repeatedly; step returns ok. */
export async function closedLoop(workers: number, seconds: number, step: (w: number) => Promise<boolean>): Promise<RunStats> {
  const stats: RunStats = { ops: 0, errors: 0, seconds, latenciesMs: [] };
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await step(w).catch(() => false);
        stats.latenciesMs.push(performance.now() - t);
        if (ok) stats.ops++;
        else stats.errors++;
      }
    }),
  );
  stats.seconds = (performance.now() - start) / 1000;
  return stats;
}

/**
 * Open loop: `rate` arrivals per second for `seconds`. Each arrival is served by a free worker
 * (a worker holds state, e.g. a lease); arrivals wait for a worker, and that wait counts as latency.
 */
export async function openLoop(rate: number, seconds: number, workers: number, step: (w: number) => Promise<boolean>): Promise<RunStats> {
  const stats: RunStats = { ops: 0, errors: 0, seconds, latenciesMs: [] };
  const free = Array.from({ length: workers }, (_, w) => w);
  const waiting: ((w: number) => void)[] = [];
  const acquire = () => new Promise<number>((resolve) => (free.length ? resolve(free.pop() as number) : waiting.push(resolve)));
  const release = (w: number) => {
    const next = waiting.shift();
    if (next) next(w);
    else free.push(w);
  };
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const delay = scheduled - performance.now();
    if (delay > 1) await new Promise((r) => setTimeout(r, delay));
    pending.push(
      (async () => {
        const w = await acquire();
        const ok = await step(w).catch(() => false);
        stats.latenciesMs.push(performance.now() - scheduled);
        if (ok) stats.ops++;
        else stats.errors++;
        release(w);
      })(),
    );
  }
  await Promise.all(pending);
  stats.seconds = (performance.now() - start) / 1000;
  return stats;
}
