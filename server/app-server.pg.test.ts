/**
 * The real server (server/main.ts, API only) on PostgreSQL: two instances on one database serve one
 * campaign over HTTP, with an annotator's lease and submit reaching different instances; every
 * acknowledged judgment is stored once. ARBITER_JOB_RUNNER=0 instances run no job. At start: an
 * unreachable server is named by host and port (never the password), and the shared secrets are required.
 */
import { spawnSync } from "node:child_process";
import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { judgments, users } from "@/db/schema";
import { runOp } from "@/server/database";
import { createTrainJob, getJob } from "@/server/jobs/jobs";
import { type Twins, twinDatabases } from "@/server/testing/engines";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
import { freePort, request, sessionCookie, startApiServer, stopServer, type TestServer } from "@/server/testing/http-server";

const SHARED = { ARBITER_PSEUDONYM_KEY: "app-server-pg-test", ARBITER_JOB_RUNNER: "0", ARBITER_PG_POOL: "4" };

let twins: Twins<{ projectId: number; annotators: number[] }>;
const servers: TestServer[] = [];

beforeAll(async () => {
  twins = await twinDatabases("app_server", (db) => ({
    projectId: seedProject(db, 40, { overlap: 2, strengthScale: false }).id,
    annotators: Array.from({ length: 6 }, (_, i) => addAnnotator(db, `http-${i}`)),
  }));
  for (let i = 0; i < 2; i++) servers.push(await startApiServer(twins.url, await freePort(), { ...SHARED, ARBITER_JOBS_DIR: tempDir() }));
}, 120_000);
afterAll(async () => {
  await Promise.all(servers.map(stopServer));
  await twins?.close();
});

type Lease = { status: string; item?: { assignmentId: number } };

async function call(server: TestServer, cookie: string, proc: string, input: unknown) {
  const r = await request(server.port, "POST", `/api/trpc/${proc}`, { body: JSON.stringify(input), headers: { cookie } });
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body).result.data as { lease: Lease; result?: { judgmentId: number; duplicate: boolean } };
}

describe("the app server on PostgreSQL", () => {
  it("two instances serve one campaign: leases and submits alternate between them, every judgment stored once", async () => {
    const { projectId, annotators } = twins.seed;
    const acknowledged: string[] = [];
    await Promise.all(
      annotators.map(async (userId, a) => {
        const cookie = await sessionCookie(userId, "annotator");
        let lease = (await call(servers[a % 2] as TestServer, cookie, "annotate.next", { projectId })).lease;
        for (let n = 0; n < 8 && lease.status === "item"; n++) {
          const id = `http-${userId}-${n}`;
          const submission = { assignmentId: lease.item?.assignmentId, clientSubmissionId: id, outcome: "a" };
          const server = servers[(a + n + 1) % 2] as TestServer; // never the instance that leased it
          const answer = await call(server, cookie, "annotate.submit", { projectId, submission });
          // A resend of the same submission through the other instance is answered from the stored judgment.
          const resent = await call(servers[(a + n) % 2] as TestServer, cookie, "annotate.submit", { projectId, submission });
          expect(resent.result).toMatchObject({ judgmentId: answer.result?.judgmentId, duplicate: true });
          acknowledged.push(id);
          lease = answer.lease;
        }
      }),
    );
    const stored = await runOp(twins.pg, function* (c) {
      return yield* c.all(
        c.q
          .select({ id: judgments.clientSubmissionId, item: judgments.itemId, annotator: users.name })
          .from(judgments)
          .innerJoin(users, eq(users.id, judgments.annotatorId))
          .where(like(judgments.clientSubmissionId, "http-%")),
      );
    });
    expect(stored.map((s) => s.id).sort()).toEqual([...acknowledged].sort());
    expect(acknowledged).toHaveLength(48);
    expect(new Set(stored.map((s) => `${s.item}:${s.annotator}`)).size).toBe(stored.length); // no item twice to one annotator
    const perItem = new Map<number, number>();
    for (const s of stored) perItem.set(s.item, (perItem.get(s.item) ?? 0) + 1);
    expect(Math.max(...perItem.values())).toBeLessThanOrEqual(2); // never past the overlap
  });

  it("instances started with ARBITER_JOB_RUNNER=0 leave a queued job to a runner elsewhere", async () => {
    const job = await createTrainJob(twins.pg, { projectId: twins.seed.projectId }, { root: tempDir() });
    await new Promise((r) => setTimeout(r, 2500)); // two poll intervals of a runner, had one started
    expect((await getJob(twins.pg, job.id)).state).toBe("queued");
  });

  it("refuses to start without its shared secrets, or on a server it cannot reach (host and port, never the password)", async () => {
    const start = (env: Record<string, string | undefined>) =>
      spawnSync(process.execPath, ["--import", "tsx", "server/main.ts"], {
        env: { ...process.env, ARBITER_API_ONLY: "1", PORT: "1", NEXTAUTH_SECRET: undefined, ARBITER_PSEUDONYM_KEY: undefined, ...env },
        encoding: "utf8",
        timeout: 60_000,
      });
    const noSecrets = start({ ARBITER_DB: twins.url });
    expect(noSecrets.status).not.toBe(0);
    expect(noSecrets.stderr).toMatch(/set NEXTAUTH_SECRET and ARBITER_PSEUDONYM_KEY/);
    const closed = await freePort();
    const unreachable = start({
      ARBITER_DB: `postgres://arbiter:hunter2-secret@127.0.0.1:${closed}/arbiter`,
      NEXTAUTH_SECRET: "s".repeat(40),
      ARBITER_PSEUDONYM_KEY: "k",
    });
    expect(unreachable.status).not.toBe(0);
    expect(unreachable.stderr).toMatch(new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closed}`));
    expect(unreachable.stdout + unreachable.stderr).not.toContain("hunter2-secret");
  });
});
