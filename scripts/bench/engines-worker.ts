/**
 * One "instance" of bench:engines: opens the database (a SQLite file or a postgres:// URL), runs its
 * annotators in a closed loop on the domain hot path (store the judgment + lease the next item, one
 * transaction) for the given seconds, and writes what it measured and every acknowledged submission
 * id to the result file. Started by scripts/bench/engines.ts; not a command of its own.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import type { AnyDb } from "@/server/database";
import { openDb } from "@/server/db";
import { openPg } from "@/server/db-pg";
import { type LeaseResult, leaseNextItem } from "@/server/domain/assignment";
import { submitAndLeaseNext } from "@/server/domain/judgments";

const { values: args } = parseArgs({
  options: {
    db: { type: "string" },
    project: { type: "string" },
    users: { type: "string" },
    seconds: { type: "string" },
    out: { type: "string" },
    tag: { type: "string" },
  },
});

async function main() {
  const url = args.db as string;
  const users = (args.users as string).split(",").map(Number);
  const projectId = Number(args.project);
  const seconds = Number(args.seconds);
  const db: AnyDb = url.startsWith("postgres") ? await openPg(url, { max: Math.min(20, users.length) }) : openDb(url);
  const acknowledged: string[] = [];
  const latencies: number[] = [];
  let errors = 0;
  const errorSamples: string[] = [];
  // Every annotator takes its first lease before the clock starts.
  const leases = new Map<number, LeaseResult>();
  for (const userId of users) leases.set(userId, await leaseNextItem(db, { projectId, userId }));
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) =>
    process.stdin.once("data", () => {
      process.stdin.destroy(); // nothing more comes; an open stdin would keep the process alive
      resolve();
    }),
  );

  const end = performance.now() + seconds * 1000;
  const annotator = async (userId: number) => {
    for (let n = 0; performance.now() < end; n++) {
      const lease = leases.get(userId);
      if (lease?.status !== "item") return;
      const clientSubmissionId = `bench-${args.tag}-${userId}-${n}`;
      const t = performance.now();
      try {
        // K = 2 items take an outcome, K > 2 items a full ranking of the shown positions.
        const k = lease.item.responses.length;
        const choice =
          k === 2
            ? { outcome: n % 4 === 0 ? ("b" as const) : ("a" as const) }
            : { ranking: Array.from({ length: k }, (_, i) => k - 1 - i) };
        const submission = { assignmentId: lease.item.assignmentId, clientSubmissionId, ...choice };
        const r = await submitAndLeaseNext(db, { userId, projectId, submission });
        latencies.push(performance.now() - t);
        acknowledged.push(clientSubmissionId);
        leases.set(userId, r.lease);
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String(e));
        leases.set(userId, await leaseNextItem(db, { projectId, userId }));
      }
      // SQLite never yields inside the loop: give the other annotators of this process their turn.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const t0 = performance.now();
  await Promise.all(users.map(annotator));
  const elapsed = (performance.now() - t0) / 1000;
  fs.writeFileSync(
    args.out as string,
    JSON.stringify({ ops: acknowledged.length, errors, errorSamples, seconds: elapsed, latencies, acknowledged }),
  );
  if ("end" in db.$client) await db.$client.end();
  else db.$client.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
