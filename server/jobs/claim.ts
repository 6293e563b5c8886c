/**
 * How a runner takes a job, shared by the training runner (runner.ts) and the sampling runner
 * (generate.ts): one job of a slot at a time across every process on the database, and on PostgreSQL
 * a liveness lock held on a connection of the runner's own for as long as it runs the job.
 */
import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import { jobs } from "@/db/schema";
import { type Conn, type Op, runOp } from "@/server/database";
import type { PgDb } from "@/server/db-pg";
import { JOB_LOCK, type Job, recoverJobs } from "@/server/jobs/jobs";

export type ClaimRule = {
  /** The advisory lock that serializes this slot's claims across instances (PostgreSQL). */
  slot: readonly [number, number];
  /** The kind of job this runner takes. */
  kind: Job["kind"];
  /** Which running jobs occupy the slot (the runner claims nothing while one does). */
  occupies: SQL | undefined;
  /** Only this job (tests, `--wait` on one job). */
  only?: number;
  /** The job's progress once claimed (who runs it, for recovery, and what a resume keeps). */
  progress: (job: Job) => Record<string, unknown>;
};

/** Claims the next queued job of `rule.kind` when none occupies its slot; null when there is none or the slot is taken. */
export function* claimNextJobOp(c: Conn, rule: ClaimRule): Op<Job | null> {
  return yield* c.transaction(function* (tx): Op<Job | null> {
    // PostgreSQL: instances claim one after another, so two never both see "none running".
    if (tx.engine === "postgres") yield* tx.exec(sql`SELECT pg_advisory_xact_lock(${rule.slot[0]}, ${rule.slot[1]})`);
    yield* recoverJobs.op(tx);
    const running = yield* tx.first(
      tx.q
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.state, "running"), rule.occupies)),
    );
    if (running) return null;
    const conds = [eq(jobs.state, "queued"), eq(jobs.kind, rule.kind)];
    if (rule.only) conds.push(eq(jobs.id, rule.only));
    const next = yield* tx.first(
      tx.q
        .select()
        .from(jobs)
        .where(and(...conds))
        .orderBy(asc(jobs.id)),
    );
    if (!next) return null;
    // PostgreSQL: the job's liveness lock, on this transaction's own connection and kept after it
    // commits, taken before anyone can see the job running (recovery elsewhere would take it for dead).
    if (tx.engine === "postgres") yield* tx.exec(sql`SELECT pg_advisory_lock(${JOB_LOCK}, ${next.id}::int)`);
    const claimed = yield* tx.first(
      tx.q
        .update(jobs)
        .set({ state: "running", startedAt: next.startedAt ?? Math.floor(Date.now() / 1000), progress: rule.progress(next) })
        .where(eq(jobs.id, next.id))
        .returning(),
    );
    return claimed ?? null;
  });
}

/** A job claimed on PostgreSQL: `release` ends its liveness lock; `lost` fires if the lock's connection breaks. */
export type PgClaim = { job: Job; release: () => Promise<void>; lost: AbortSignal };

/**
 * The claim on a connection of its own, which then holds the job's liveness lock until `release`.
 * When that connection breaks, `lost` aborts: another instance may take the job over, so the runner
 * must stop its work and write nothing more. Errors are logged (under `label`) and give null.
 */
export async function claimOnOwnConnection(db: PgDb, rule: ClaimRule, label: string, quiet: () => boolean): Promise<PgClaim | null> {
  const client: pg.PoolClient = await db.$client.connect();
  const lost = new AbortController();
  const onError = (e: Error) => {
    console.error(`[${label}] the job's lock connection failed:`, e.message);
    lost.abort();
  };
  client.on("error", onError);
  const release = async () => {
    client.off("error", onError);
    // Destroyed, not returned to the pool: every session lock on it goes with it.
    client.release(true);
  };
  try {
    // Loaded here: the app's bundle (which imports the runners) carries no PostgreSQL driver on SQLite.
    const { pgOnClient } = await import("@/server/db-pg");
    const job = await runOp(pgOnClient(client), (c) => claimNextJobOp(c, rule));
    if (!job) await release();
    return job ? { job, release, lost: lost.signal } : null;
  } catch (e) {
    await release();
    if (!quiet()) console.error(`[${label}] claim:`, e);
    return null;
  }
}
