/**
 * The job runner on its own, without the web server: `tsx server/jobs/run-worker.ts` with ARBITER_DB
 * pointing at the database. A GPU box that shares the database (the SQLite file on the same machine, or
 * a PostgreSQL server the app instances also use) can train this way while the app serves elsewhere;
 * tests use it as a "server" process they can kill. SIGTERM/SIGINT ask the running trainer to
 * checkpoint, then exit. Training and sampling jobs, on either engine.
 */
import { DEFAULT_DB_PATH, openDb, restrictFileModes } from "@/server/db";
import { parseDbLocation, redactDbUrl } from "@/server/db-url";
import { GenerateRunner } from "@/server/jobs/generate";
import { JobRunner } from "@/server/jobs/runner";

async function main() {
  restrictFileModes();
  const pollMs = Number(process.env.ARBITER_RUNNER_POLL_MS ?? 1000);
  const location = parseDbLocation(process.env.ARBITER_DB ?? DEFAULT_DB_PATH);
  const runners: { stop(): Promise<void> }[] = [];
  if (location.engine === "postgres") {
    const { openPg } = await import("@/server/db-pg");
    const db = await openPg(location.url, { max: 6 });
    const runner = new JobRunner(db, { pollMs });
    runner.start();
    const generation = new GenerateRunner(db, { pollMs });
    generation.start();
    runners.push(runner, generation);
    process.stderr.write(`job runner ${process.pid} on ${redactDbUrl(location.url)}\n`);
  } else {
    const runner = new JobRunner(openDb(location.file), { pollMs });
    runner.start();
    const generation = new GenerateRunner(openDb(location.file), { pollMs });
    generation.start();
    runners.push(runner, generation);
    process.stderr.write(`job runner ${process.pid} on ${location.file}\n`);
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void Promise.all(runners.map((r) => r.stop())).then(() => process.exit(0));
    });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`job runner: ${(e as Error).message}\n`);
  process.exit(1);
});
