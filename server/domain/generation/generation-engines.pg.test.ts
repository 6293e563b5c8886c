/**
 * Generation is written once (registry.ts, sampling.ts, server/jobs/generate.ts) and must behave the
 * same on both engines: the same registry calls, rounds, recorded prompts and whole sampling jobs give
 * the same results and the same rows on a SQLite file and on its PostgreSQL copy. Then two app
 * instances (two pools) run GenerateRunners on one PostgreSQL database: a job is claimed by exactly
 * one of them, a cancel sent through the other reaches it, a live runner is never taken for dead, and
 * a runner whose lock connection dies is taken over without storing any prompt twice.
 */
import { spawnSync } from "node:child_process";
import { asc, eq, inArray, sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditEvents, generationPrompts, generators, items, jobs, models, projects, responses, rounds } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import { openPg, type PgDb } from "@/server/db-pg";
import { createProject } from "@/server/domain/projects";
import { GeneratorClients } from "@/server/generation/generators";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { GenerateRunner } from "@/server/jobs/generate";
import { cancelJob, finishJob, getJob, JOB_LOCK, recoverJobs } from "@/server/jobs/jobs";
import { expectSameOnBoth, type Twins, twinDatabases } from "@/server/testing/engines";
import { addAnnotator, writeJsonl } from "@/server/testing/fixtures";
import {
  addGenerator,
  getGenerator,
  getGeneratorRecord,
  listGenerators,
  type ProbeSampler,
  prepareGenerator,
  recordProbe,
  removeGenerator,
  testGenerator,
} from "./registry";
import {
  createGenerateJob,
  generationSummary,
  getRound,
  getRoundForJob,
  listGenerationFailures,
  listPendingPrompts,
  listRounds,
  recordPromptFailure,
  recordPromptSuccess,
  resumeGenerateJob,
  type SampleOutcome,
} from "./sampling";

type Seed = { projectId: number; runnerProject: number; userId: number; modelId: number };

let server: TestServer;
let slow: TestServer;
let twins: Twins<Seed>;
let second: PgDb; // another app instance on the same PostgreSQL database
const clients = new GeneratorClients(undefined, { maxRetries: 0 });

beforeAll(async () => {
  server = await startOpenAITestServer({ model: "served" });
  slow = await startOpenAITestServer({ model: "slow", delayMs: 80 });
  twins = await twinDatabases("generation", (db) => {
    const userId = addAnnotator(db, "researcher");
    const projectId = createProject(db, { name: "gen", overlap: 2 }).id;
    const runnerProject = createProject(db, { name: "runners", overlap: 1 }).id;
    const modelId = db.insert(models).values({ name: "rm", base: "tiny", dir: "/nowhere" }).returning().get().id;
    return { projectId, runnerProject, userId, modelId };
  });
  second = await openPg(twins.url, { max: 4 });
}, 120_000);
afterAll(async () => {
  await second?.$client.end();
  await twins?.close();
  await server?.close();
  await slow?.close();
});

/** A call's value, or its error's code and message: both engines must fail alike too. */
async function outcome<T>(f: () => T | Promise<T>): Promise<T | { error: string }> {
  try {
    return await f();
  } catch (e) {
    return { error: `${(e as { code?: string }).code ?? ""}: ${(e as Error).message}` };
  }
}

/** The rows generation writes, read back without times (the probe's `at`, created/updated stamps). */
async function contents(db: AnyDb, projectId: number) {
  return runOp(db, function* (c) {
    const gens = (yield* c.all(c.q.select().from(generators).orderBy(asc(generators.id)))).map(
      ({ createdAt: _c, removedAt, lastTest, ...g }) => ({
        ...g,
        removed: removedAt !== null,
        lastTest: lastTest && { ...lastTest, at: undefined },
      }),
    );
    const audit = (yield* c.all(c.q.select().from(auditEvents).orderBy(asc(auditEvents.id)))).map(({ createdAt: _c, ...a }) => a);
    const jobRows = (yield* c.all(
      c.q
        .select({ id: jobs.id, kind: jobs.kind, state: jobs.state, config: jobs.config, error: jobs.error, progress: jobs.progress })
        .from(jobs)
        .where(eq(jobs.projectId, projectId))
        .orderBy(asc(jobs.id)),
    )).map(({ progress, ...j }) => ({ ...j, progress: { total: progress?.total, cancel_requested: progress?.cancel_requested } }));
    const roundRows = (yield* c.all(c.q.select().from(rounds).where(eq(rounds.projectId, projectId)).orderBy(asc(rounds.id)))).map(
      ({ createdAt: _c, ...r }) => r,
    );
    const jobIds = jobRows.map((j) => j.id);
    const promptRows =
      jobIds.length === 0
        ? []
        : (yield* c.all(
            c.q.select().from(generationPrompts).where(inArray(generationPrompts.jobId, jobIds)).orderBy(asc(generationPrompts.id)),
          )).map(({ updatedAt, ...p }) => ({ ...p, updated: updatedAt !== null }));
    const itemRows = (yield* c.all(
      c.q
        .select({
          id: items.id,
          externalId: items.externalId,
          prompt: items.prompt,
          metadata: items.metadata,
          k: items.k,
          queuePos: items.queuePos,
          openSlots: items.openSlots,
          roundId: items.roundId,
        })
        .from(items)
        .where(eq(items.projectId, projectId))
        .orderBy(asc(items.id)),
    )).map((it) => ({ ...it, metadata: withoutLatency(it.metadata) }));
    const responseRows = yield* c.all(
      c.q
        .select({ itemId: responses.itemId, idx: responses.idx, model: responses.model, content: responses.content })
        .from(responses)
        .innerJoin(items, eq(items.id, responses.itemId))
        .where(eq(items.projectId, projectId))
        .orderBy(asc(responses.itemId), asc(responses.idx)),
    );
    const project = yield* c.first(
      c.q.select({ itemCount: projects.itemCount, queueSeq: projects.queueSeq }).from(projects).where(eq(projects.id, projectId)),
    );
    return { gens, audit, jobRows, roundRows, promptRows, itemRows, responseRows, project };
  });
}

/** Request latencies differ from run to run; everything else an item records must not. */
function withoutLatency(metadata: Record<string, unknown> | null) {
  const gen = metadata?.generation as { samples?: Record<string, unknown>[] } | undefined;
  if (!gen?.samples) return metadata;
  return { ...metadata, generation: { ...gen, samples: gen.samples.map(({ latency_ms: _l, ...s }) => s) } };
}

const fakeProbe: ProbeSampler = async (messages) => ({
  text: `probe: ${messages[0]?.content}`,
  completionTokens: 7,
  latencyMs: 120,
  ttftMs: 15,
  model: "served-v2",
});

/** Every registry call, in one order, as a trace of what came back. */
async function registryScenario(db: AnyDb, seed: Seed) {
  const trace: unknown[] = [];
  const ext = await addGenerator(db, { kind: "external", name: "remote a", url: `${server.url}/`, model: "served" }, seed.userId);
  trace.push(["add", ext]);
  trace.push(["add-local", await addGenerator(db, { kind: "local", name: "hub", model: "Qwen/Qwen2.5-0.5B-Instruct", device: "cpu" })]);
  trace.push(["dup", await outcome(() => addGenerator(db, { kind: "external", name: "remote a", url: server.url, model: "x" }))]);
  trace.push(["bad", await outcome(() => addGenerator(db, { kind: "external", name: "x", url: "not a url", model: "m" }))]);
  trace.push(["prepare", await prepareGenerator(db, { kind: "external", name: "next", url: server.url, model: "m", apiKeyEnv: "K" })]);
  trace.push(["prepare-taken", await outcome(() => prepareGenerator(db, { kind: "local", name: "hub", model: "a/b" }))]);
  trace.push(["by-name", await getGenerator(db, "remote a")]);
  trace.push(["by-id-string", await getGenerator(db, String(ext.id))]);
  trace.push(["missing", await outcome(() => getGenerator(db, "nobody"))]);
  const probe = await testGenerator(db, "remote a", fakeProbe);
  trace.push(["probe", { ...probe, at: undefined }]);
  const failed = await testGenerator(db, ext.id, async () => {
    throw new Error("cannot connect");
  });
  trace.push(["probe-failed", { ...failed, at: undefined }]);
  const probed = await recordProbe(db, await getGenerator(db, ext.id), { ...probe, model: "served-v3" });
  trace.push(["record-probe", { ...probed, lastTest: { ...probed.lastTest, at: undefined } }]);
  trace.push([
    "added-with-probe",
    await addGenerator(db, { kind: "external", name: "probed", url: server.url, model: "m" }, undefined, probe),
  ]);
  trace.push(["list", await listGenerators(db)]);
  trace.push(["remove", await removeGenerator(db, "hub", seed.userId)]);
  trace.push(["removed", await outcome(() => getGenerator(db, "hub"))]);
  trace.push(["record-of-removed", (await getGeneratorRecord(db, 2)).name]);
  trace.push(["name-free-again", await addGenerator(db, { kind: "local", name: "hub", model: "Qwen/Qwen2.5-0.5B-Instruct" })]);
  trace.push(["list-after", await listGenerators(db)]);
  // Times differ between runs, not between engines' logic.
  return JSON.parse(JSON.stringify(trace, (k, v) => (k === "createdAt" || k === "removedAt" ? undefined : v)));
}

const sample = (text: string, seed: number, tokens: number): SampleOutcome => ({
  text,
  finishReason: "stop",
  promptTokens: 3,
  completionTokens: tokens,
  latencyMs: 10,
  seed,
});

/** Rounds and prompts recorded by hand: every sampling.ts function, success, failure, selection and resume. */
async function samplingScenario(db: AnyDb, seed: Seed, file: string, badFile: string) {
  const trace: unknown[] = [];
  const projectId = seed.projectId;
  const one = await createGenerateJob(
    db,
    { projectId, promptsFile: file, generators: ["remote a"], samples: 3, seed: 11, system: "Be brief." },
    { actorId: seed.userId, promptsLabel: "p.jsonl" },
  );
  trace.push(["create", { ...one.job, createdAt: undefined }, { ...one.round, createdAt: undefined }]);
  trace.push(["bad-file", await outcome(() => createGenerateJob(db, { projectId, promptsFile: badFile, generators: [1], samples: 2 }))]);
  trace.push(["bad-shape", await outcome(() => createGenerateJob(db, { projectId, promptsFile: file, generators: [1, 3], samples: 2 }))]);
  trace.push([
    "no-model",
    await outcome(() =>
      createGenerateJob(db, { projectId, promptsFile: file, generators: [1], samples: 2, select: 4, rewardModelId: 999 }),
    ),
  ]);
  const pairs = await createGenerateJob(db, { projectId, promptsFile: file, generators: ["remote a", "probed", "hub"], samples: 1 });
  const picked = await createGenerateJob(db, {
    projectId,
    promptsFile: file,
    generators: ["remote a"],
    samples: 2,
    select: 4,
    rewardModelId: seed.modelId,
    keep: "top2",
  });
  trace.push(["rounds-created", [one.round.number, pairs.round.number, picked.round.number]]);
  const pending = await listPendingPrompts(db, one.job.id);
  trace.push(["pending", pending]);
  const [p1, p2, p3] = pending as [(typeof pending)[0], (typeof pending)[0], (typeof pending)[0]];
  trace.push(["wrong-count", await outcome(() => recordPromptSuccess(db, { promptId: p1.id, samples: [sample("x", 1, 1)], attempts: 1 }))]);
  const three = [sample("a", 11, 4), sample("b", 12, 5), sample("c", 13, 6)];
  trace.push(["success", await recordPromptSuccess(db, { promptId: p2.id, samples: three, attempts: 3 })]);
  trace.push(["again", await recordPromptSuccess(db, { promptId: p2.id, samples: three, attempts: 3 })]);
  await recordPromptFailure(db, { promptId: p3.id, error: `http: HTTP 500 ${"x".repeat(3000)}`, attempts: 6 });
  await recordPromptFailure(db, { promptId: p2.id, error: "too late", attempts: 1 }); // done stays done
  trace.push(["failures", await listGenerationFailures(db, one.job.id)]);
  trace.push(["summary", await generationSummary(db, one.job.id)]);
  for (const p of await listPendingPrompts(db, pairs.job.id)) {
    trace.push([
      "pair",
      await recordPromptSuccess(db, {
        promptId: p.id,
        samples: p.plan.map((slot, i) => sample(`g${slot.generator} ${p.externalId}`, i, 2)),
        attempts: 3,
      }),
    ]);
  }
  const [sel] = await listPendingPrompts(db, picked.job.id);
  trace.push([
    "selected",
    await recordPromptSuccess(db, {
      promptId: sel?.id ?? 0,
      samples: [0, 1, 2, 3].map((i) => sample(`s${i}`, 20 + i, 1)),
      attempts: 4,
      selection: { rewardModelId: seed.modelId, keep: "top2", rewards: [0.5, 2, -1, 1.5], kept: [1, 3] },
    }),
  ]);
  trace.push(["summaries", await generationSummary(db, pairs.job.id), await generationSummary(db, picked.job.id)]);
  trace.push(["resume-queued", await outcome(() => resumeGenerateJob(db, one.job.id))]);
  trace.push(["resume-missing", await outcome(() => resumeGenerateJob(db, 999))]);
  await finishJob(db, one.job.id, "failed", "stopped");
  const resumed = await resumeGenerateJob(db, one.job.id, { actorId: seed.userId, retryFailed: true });
  trace.push(["resumed", { ...resumed, createdAt: undefined }]);
  trace.push(["pending-after", (await listPendingPrompts(db, one.job.id)).map((p) => p.externalId)]);
  trace.push(["round-for-job", { ...(await getRoundForJob(db, pairs.job.id)), createdAt: undefined }]);
  trace.push(["round", { ...(await getRound(db, projectId, 3)), createdAt: undefined }]);
  trace.push(["no-round", await outcome(() => getRoundForJob(db, 999)), await outcome(() => getRound(db, projectId, 9))]);
  trace.push(["list-rounds", (await listRounds(db, projectId)).map((r) => ({ ...r, createdAt: undefined }))]);
  trace.push(["list-rounds-empty", await listRounds(db, seed.runnerProject)]);
  return JSON.parse(JSON.stringify(trace));
}

describe("generation on both engines", () => {
  it("the registry: same results, same rows, same refusals", async () => {
    const lite = await registryScenario(twins.lite, twins.seed);
    const onPg = await registryScenario(twins.pg, twins.seed);
    expectSameOnBoth(onPg, lite);
    expect(JSON.stringify(lite)).toContain('a generator named \\"remote a\\" exists');
    expectSameOnBoth(await contents(twins.pg, twins.seed.projectId), await contents(twins.lite, twins.seed.projectId));
  });

  it("rounds and recorded prompts: same items, queue positions, counters and failures", async () => {
    // One file for both engines: rounds record its path.
    const file = writeJsonl([
      { id: "q1", prompt: "first", metadata: { topic: "a" } },
      { id: "q2", prompt: [{ role: "user", content: "second" }] },
      { id: 3, prompt: "third" },
    ]);
    const badFile = writeJsonl([{ id: 1 }]);
    const lite = await samplingScenario(twins.lite, twins.seed, file, badFile);
    const onPg = await samplingScenario(twins.pg, twins.seed, file, badFile);
    expectSameOnBoth(onPg, lite);
    const after = await contents(twins.pg, twins.seed.projectId);
    expectSameOnBoth(after, await contents(twins.lite, twins.seed.projectId));
    // 1 ranking item + 3 prompts × 3 pairs + 1 selected pair; counters and positions follow.
    expect(after.itemRows.map((i) => [i.externalId, i.k, i.queuePos])).toEqual([
      ["r1:q2", 3, 1],
      ["r2:q1:1", 2, 2],
      ["r2:q1:2", 2, 3],
      ["r2:q1:3", 2, 4],
      ["r2:q2:1", 2, 5],
      ["r2:q2:2", 2, 6],
      ["r2:q2:3", 2, 7],
      ["r2:3:1", 2, 8],
      ["r2:3:2", 2, 9],
      ["r2:3:3", 2, 10],
      ["r3:q1", 2, 11],
    ]);
    expect(after.project).toEqual({ itemCount: 11, queueSeq: 11 });
    expect(after.responseRows.filter((r) => r.itemId === after.itemRows[10]?.id).map((r) => r.content)).toEqual(["s1", "s3"]);
  });

  it("a whole sampling job through the GenerateRunner: the same items, failures and job on both engines", async () => {
    const prompts = ["alpha", "[500] broken", "beta", "[400-context] long", [{ role: "user", content: "gamma" }]];
    const file = writeJsonl(prompts.map((prompt, i) => ({ id: `p${i}`, prompt })));
    const run = async (db: AnyDb) => {
      const { job } = await createGenerateJob(db, {
        projectId: twins.seed.runnerProject,
        promptsFile: file,
        generators: ["remote a"],
        samples: 2,
        concurrency: 1, // one prompt at a time: items are numbered in the same order on both engines
        maxTokens: 16,
      });
      const runner = new GenerateRunner(db, { only: job.id, clients, backoffMs: 1, progressMs: 20, attempts: 1 });
      const done = await runner.tick();
      await runner.stop();
      return {
        state: done?.state,
        error: done?.error,
        metrics: { ...done?.metrics, tokens_per_s: undefined },
        log: done?.log,
        failures: await listGenerationFailures(db, job.id),
        summary: await generationSummary(db, job.id),
      };
    };
    const lite = await run(twins.lite);
    const onPg = await run(twins.pg);
    expectSameOnBoth(onPg, lite);
    expect(lite).toMatchObject({ state: "succeeded", summary: { done: 3, failed: 2, items: 3, responses: 6 } });
    expectSameOnBoth(await contents(twins.pg, twins.seed.runnerProject), await contents(twins.lite, twins.seed.runnerProject));
  });

  it("two instances opening rounds and adding one name at once: distinct round numbers, one generator", async () => {
    const projectId = twins.seed.runnerProject;
    const file = writeJsonl([{ id: "x", prompt: "race" }]);
    const made = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createGenerateJob(i % 2 ? second : twins.pg, { projectId, promptsFile: file, generators: ["remote a"], samples: 2 }),
      ),
    );
    const numbers = made.map((m) => m.round.number).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(6);
    expect(numbers).toEqual(Array.from({ length: 6 }, (_, i) => (numbers[0] as number) + i));
    for (const m of made) await finishJob(twins.pg, m.job.id, "cancelled"); // not for the runners below
    const adds = await Promise.all(
      [twins.pg, second, twins.pg, second].map((db) =>
        outcome(() => addGenerator(db, { kind: "external", name: "racer", url: server.url, model: "m" })),
      ),
    );
    expect(adds.filter((a) => "error" in a).map((a) => (a as { error: string }).error)).toEqual(
      Array(3).fill('CONFLICT: a generator named "racer" exists'),
    );
  });
});

/** Jobs of the runner project that are running now. */
const runningNow = (db: AnyDb) =>
  runOp(db, function* (c) {
    return yield* c.all(c.q.select({ id: jobs.id }).from(jobs).where(eq(jobs.state, "running")));
  });

/** Counts items per external id in a round: a prompt stored twice shows as a count of 2. */
async function itemCounts(db: AnyDb, jobId: number) {
  const round = await getRoundForJob(db, jobId);
  return runOp(db, function* (c) {
    return yield* c.all(
      c.q
        .select({ externalId: items.externalId, n: sql<number>`count(*)` })
        .from(items)
        .where(eq(items.roundId, round.id))
        .groupBy(items.externalId)
        .having(sql`count(*) > 1`),
    );
  });
}

async function slowJob(db: AnyDb, label: string, n: number) {
  const { job } = await createGenerateJob(db, {
    projectId: twins.seed.runnerProject,
    promptsFile: writeJsonl(Array.from({ length: n }, (_, i) => ({ id: `${label}${i}`, prompt: `${label} prompt ${i}` }))),
    generators: ["slow"],
    samples: 2,
    concurrency: 3,
  });
  return job;
}

describe("GenerateRunners of two instances on one PostgreSQL database", () => {
  let a: GenerateRunner;
  let b: GenerateRunner;
  beforeAll(async () => {
    await addGenerator(twins.pg, { kind: "external", name: "slow", url: slow.url, model: "slow" });
    // The jobs the parity tests left queued are not for these runners.
    await runOp(twins.pg, function* (c) {
      yield* c.run(c.q.update(jobs).set({ state: "cancelled" }).where(eq(jobs.state, "queued")));
    });
  });

  it("claim a job exactly once between them; the next job goes to whichever is free", { timeout: 60_000 }, async () => {
    a = new GenerateRunner(twins.pg, { clients, progressMs: 50 });
    b = new GenerateRunner(second, { clients, progressMs: 50 });
    const first = await slowJob(twins.pg, "one", 30);
    const next = await slowJob(second, "two", 12);
    // Both claim at the same moment: a third session holds the first job's row, so the claim that got
    // as far as marking it running waits there while the other waits for its turn to claim.
    const holder = new pg.Client({ connectionString: twins.url });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE", [first.id]);
    const ticks = [a.tick(), b.tick()];
    await sleep(300);
    await holder.query("COMMIT");
    await holder.end();
    let maxRunning = 0;
    let ended = false;
    const watching = (async () => {
      while (!ended) {
        maxRunning = Math.max(maxRunning, (await runningNow(twins.pg)).length);
        await sleep(40);
      }
    })();
    // While the first job runs, the instance that did not get it claims nothing, however often it ticks.
    await sleep(200);
    // (The holder's tick answers its run, still going; the other's a fresh claim that finds the job running.)
    const idle = await Promise.race([a.tick(), b.tick()]);
    const claimed = await Promise.all(ticks);
    expect(claimed.filter((j) => j !== null).map((j) => [j?.id, j?.state])).toEqual([[first.id, "succeeded"]]);
    const then = (await Promise.all([a.tick(), b.tick()])).filter((j) => j !== null);
    ended = true;
    await watching;
    expect(then.map((j) => [j?.id, j?.state])).toEqual([[next.id, "succeeded"]]);
    expect(maxRunning).toBe(1);
    expect(idle).toBeNull();
    for (const [job, label, n] of [
      [first, "one", 30],
      [next, "two", 12],
    ] as const) {
      expect(await generationSummary(twins.pg, job.id)).toMatchObject({ done: n, items: n, responses: 2 * n, failed: 0 });
      expect(await itemCounts(twins.pg, job.id)).toEqual([]);
      // Each prompt was sampled by one runner only: its 2 samples, once.
      for (let i = 0; i < n; i++) expect(slow.requests.get(`${label} prompt ${i}`)).toBe(2);
    }
  });

  it("a cancel sent through the other instance stops the run; resumed there, no prompt is stored twice", { timeout: 60_000 }, async () => {
    const job = await slowJob(twins.pg, "cancel", 30);
    const running = a.tick();
    await vi.waitFor(async () => expect((await generationSummary(twins.pg, job.id)).done).toBeGreaterThanOrEqual(3), {
      timeout: 20_000,
      interval: 50,
    });
    const asked = await cancelJob(second, job.id); // instance B: only the database connects it to A's runner
    expect(asked.state).toBe("running");
    expect(asked.progress?.cancel_requested).toBe(true);
    const cancelled = await running;
    expect(cancelled?.state).toBe("cancelled");
    const partial = await generationSummary(twins.pg, job.id);
    expect(partial.done).toBeLessThan(30);
    await resumeGenerateJob(second, job.id);
    expect((await b.tick())?.state).toBe("succeeded");
    expect(await generationSummary(twins.pg, job.id)).toMatchObject({ done: 30, items: 30, responses: 60 });
    expect(await itemCounts(twins.pg, job.id)).toEqual([]);
  });

  it("recovery leaves a live runner on another host alone; a runner whose lock connection died is taken over", {
    timeout: 60_000,
  }, async () => {
    const job = await slowJob(twins.pg, "crash", 30);
    const running = a.tick();
    await vi.waitFor(async () => expect((await generationSummary(twins.pg, job.id)).done).toBeGreaterThanOrEqual(3), {
      timeout: 20_000,
      interval: 50,
    });
    // As a runner on another machine records itself: a pid and boot that mean nothing here.
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid as number;
    await runOp(twins.pg, function* (c) {
      yield* c.run(
        c.q
          .update(jobs)
          .set({
            progress: sql`(${jobs.progress}::jsonb || ${JSON.stringify({ runner_pid: deadPid, runner_boot: "elsewhere" })}::jsonb)::text`,
          })
          .where(eq(jobs.id, job.id)),
      );
    });
    expect(await recoverJobs(second)).toEqual({ resumed: [], failed: [] });
    expect(await b.tick()).toBeNull();
    expect((await getJob(second, job.id)).state).toBe("running");

    // A's lock connection dies (its host lost the network, say): A stops and writes nothing more.
    const holder = new pg.Client({ connectionString: twins.url });
    await holder.connect();
    try {
      const { rows } = await holder.query<{ pid: number }>(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND granted",
        [JOB_LOCK, job.id],
      );
      expect(rows).toHaveLength(1);
      await holder.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
    } finally {
      await holder.end();
    }
    const stopped = await running;
    expect(stopped?.state).toBe("running"); // left for recovery, not finished by a runner that lost its claim
    // The server ends the terminated session (and frees its lock) a moment after it was told to.
    await vi.waitFor(async () => expect((await recoverJobs(second)).resumed).toEqual([job.id]), { timeout: 10_000, interval: 50 });
    const taken = await b.tick(); // runs what is pending
    expect(taken?.id).toBe(job.id);
    expect(taken?.state).toBe("succeeded");
    expect(await generationSummary(twins.pg, job.id)).toMatchObject({ done: 30, items: 30, responses: 60, failed: 0 });
    expect(await itemCounts(twins.pg, job.id)).toEqual([]);
    await Promise.all([a.stop(), b.stop()]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
