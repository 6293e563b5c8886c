/**
 * The job runner on its own, without the web server: `tsx server/jobs/run-worker.ts` with ARBITER_DB
 * pointing at the database. A GPU box that shares the database file can train this way while the
 * app serves elsewhere on the same machine; tests use it as a "server" process they can kill.
 * SIGTERM/SIGINT ask the running trainer to checkpoint, then exit.
 */
import { openDb, restrictFileModes } from "@/server/db";
import { GenerateRunner } from "@/server/jobs/generate";
import { JobRunner } from "@/server/jobs/runner";

restrictFileModes();
const runner = new JobRunner(openDb(), { pollMs: Number(process.env.ARBITER_RUNNER_POLL_MS ?? 1000) });
runner.start();
const generation = new GenerateRunner(openDb(), { pollMs: Number(process.env.ARBITER_RUNNER_POLL_MS ?? 1000) });
generation.start();
process.stderr.write(`job runner ${process.pid} on ${process.env.ARBITER_DB ?? "data/arbiter.db"}\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void Promise.all([runner.stop(), generation.stop()]).then(() => process.exit(0));
  });
}
