import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { models } from "@/db/schema";
import { leaseNextItem } from "@/server/domain/assignment";
import { createProject } from "@/server/domain/projects";
import { getScoringModel } from "@/server/domain/scoring/project-scores";
import { GeneratorClients } from "@/server/generation/generators";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { GenerateRunner } from "@/server/jobs/generate";
import { cancelJob, getJob } from "@/server/jobs/jobs";
import { ScoringPool, scorerFor } from "@/server/jobs/scoring";
import { databaseChecksum } from "@/server/testing/checksum";
import { addAnnotator, memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { writeTinyModel } from "@/server/testing/tiny-model";
import { planPrompt, selectForHumans } from "./plan";
import { addGenerator } from "./registry";
import { createGenerateJob, generationSummary, listGenerationFailures, listRounds, resumeGenerateJob } from "./sampling";

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  a = await startOpenAITestServer({ model: "policy-a" });
  b = await startOpenAITestServer({ model: "policy-b" });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

function setup() {
  const db = memoryDb();
  const project = createProject(db, { name: "gen", overlap: 1 });
  addGenerator(db, { kind: "external", name: "A", url: a.url, model: "policy-a" });
  addGenerator(db, { kind: "external", name: "B", url: b.url, model: "policy-b" });
  addGenerator(db, { kind: "external", name: "C", url: b.url, model: "policy-b" });
  return { db, project };
}

async function runOnce(db: ReturnType<typeof memoryDb>, jobId: number, opts: { attempts?: number } = {}) {
  const runner = new GenerateRunner(db, {
    only: jobId,
    clients: new GeneratorClients(undefined, { maxRetries: 0 }),
    backoffMs: 1,
    progressMs: 50,
    ...opts,
  });
  const job = await runner.tick();
  await runner.stop();
  return job;
}

describe("planPrompt", () => {
  it("K samples of one generator make one ranking item; pairs, all pairs and seeded random pairs", () => {
    expect(planPrompt({ generators: [7], samples: 4, pairing: "all-pairs", seed: 0, promptIndex: 0 })).toEqual({
      plan: [0, 1, 2, 3].map((s) => ({ generator: 7, sample: s })),
      groups: [[0, 1, 2, 3]],
    });
    expect(planPrompt({ generators: [1, 2, 3], samples: 1, pairing: "all-pairs", seed: 0, promptIndex: 0 }).groups).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const p = planPrompt({ generators: [1, 2, 3], samples: 1, pairing: "random-pair", seed: 5, promptIndex: i });
      expect(p.groups).toEqual([[0, 1]]);
      const [x, y] = p.plan.map((s) => s.generator);
      expect(x).not.toBe(y);
      seen.add([x, y].sort().join("-"));
      expect(planPrompt({ generators: [1, 2, 3], samples: 1, pairing: "random-pair", seed: 5, promptIndex: i })).toEqual(p);
    }
    expect(seen.size).toBe(3);
    expect(() => planPrompt({ generators: [1], samples: 1, pairing: "all-pairs", seed: 0, promptIndex: 0 })).toThrow(/samples 2 or more/);
    expect(() => planPrompt({ generators: [1, 2], samples: 3, pairing: "all-pairs", seed: 0, promptIndex: 0 })).toThrow(/one sample each/);
  });
});

describe("sampling jobs", () => {
  it("a malformed prompts file names line and field and writes nothing", () => {
    const { db, project } = setup();
    const before = databaseChecksum(db);
    const file = writeJsonl([
      { id: "p1", prompt: "fine" },
      { id: "p2", prompt: 42 },
      { id: "p1", prompt: "dup" },
      { id: "p4", prompt: [] },
    ]);
    expect(() => createGenerateJob(db, { projectId: project.id, promptsFile: file, generators: ["A"], samples: 2 })).toThrow(
      /items\.jsonl, line 2, field prompt: expected text or a list of \{role, content\} messages \(and 2 more\)$/,
    );
    try {
      createGenerateJob(db, { projectId: project.id, promptsFile: file, generators: ["A"], samples: 2 });
    } catch (e) {
      expect((e as { issues: unknown[] }).issues).toEqual([
        expect.objectContaining({ line: 2, field: "prompt" }),
        { line: 3, field: "id", message: 'duplicate id "p1" (first on line 1)' },
        { line: 4, field: "prompt", message: "a message list needs at least one message" },
      ]);
    }
    const extra = writeJsonl([{ id: "x", prompt: "hi", respones: [] }]);
    expect(() => createGenerateJob(db, { projectId: project.id, promptsFile: extra, generators: ["A"], samples: 2 })).toThrow(
      /line 1, field respones: /,
    );
    expect(databaseChecksum(db)).toBe(before);
  });

  it("one generator × K samples → ranking items in the annotate queue, a round with its params, seeded requests", async () => {
    const { db, project } = setup();
    const prompts = Array.from({ length: 6 }, (_, i) => ({
      id: `q${i}`,
      prompt: i % 2 ? `question ${i}` : [{ role: "user", content: `chat ${i}` }],
      metadata: { topic: "t" },
    }));
    const { job, round } = createGenerateJob(db, {
      projectId: project.id,
      promptsFile: writeJsonl(prompts),
      generators: ["A"],
      samples: 3,
      seed: 100,
      temperature: 0.7,
      system: "Be brief.",
    });
    expect(round.number).toBe(1);
    const done = await runOnce(db, job.id);
    expect(done?.state).toBe("succeeded");
    expect(done?.metrics).toMatchObject({ items: 6, responses: 18, failed: 0 });
    expect(done?.metrics?.tokens).toBeGreaterThan(0);
    const rows = db.$client.prepare("SELECT id, external_id, k, round_id, metadata FROM items ORDER BY external_id").all() as {
      id: number;
      external_id: string;
      k: number;
      round_id: number;
      metadata: string;
    }[];
    expect(rows.map((r) => [r.external_id, r.k, r.round_id])).toEqual(prompts.map((p) => [`r1:${p.id}`, 3, round.id]));
    const meta = JSON.parse(rows[1]?.metadata ?? "{}");
    expect(meta.topic).toBe("t");
    expect(meta.generation.samples.map((s: { seed: number }) => s.seed)).toEqual([103, 104, 105]);
    const texts = db.$client.prepare("SELECT model, content FROM responses WHERE item_id = ? ORDER BY idx").all(rows[1]?.id) as {
      model: string;
      content: string;
    }[];
    expect(texts).toEqual([0, 1, 2].map((j) => ({ model: "A", content: JSON.stringify(`echo: question 1 #${103 + j}`) })));
    expect(listRounds(db, project.id)).toMatchObject([
      { number: 1, items: 6, promptCount: 6, state: "succeeded", generators: [{ name: "A" }] },
    ]);
    const lease = leaseNextItem(db, { projectId: project.id, userId: addAnnotator(db, "ann") });
    expect(lease.status).toBe("item");
    expect(db.$client.prepare("SELECT item_count FROM projects WHERE id = ?").pluck().get(project.id)).toBe(6);
  });

  it("per-prompt failures are retried, then recorded with the reason; the job goes on", async () => {
    const { db, project } = setup();
    const prompts = [
      { id: "ok", prompt: "fine" },
      { id: "flaky", prompt: "[flaky] retry me" },
      { id: "broken", prompt: "[500] always" },
      { id: "long", prompt: "[400-context] too long" },
      { id: "empty", prompt: "[empty] nothing" },
      { id: "junk", prompt: "[garbage] html" },
    ];
    const { job } = createGenerateJob(db, { projectId: project.id, promptsFile: writeJsonl(prompts), generators: ["A", "B"], samples: 1 });
    const done = await runOnce(db, job.id);
    expect(done?.state).toBe("succeeded");
    expect(done?.error).toBe("4 prompts failed (see the failure list)");
    expect(done?.metrics).toMatchObject({ items: 2, responses: 4, failed: 4 });
    const failures = listGenerationFailures(db, job.id);
    expect(failures.map((f) => [f.id, f.error?.split(":")[0], f.attempts >= 2])).toEqual([
      ["broken", "http", true],
      ["long", "context", true],
      ["empty", "empty", true],
      ["junk", "bad-response", true],
    ]);
    expect(failures.find((f) => f.id === "long")?.attempts).toBe(2); // one per generator: not retried
    expect(a.requests.get("[500] always")).toBe(3);
    // The successful pair: responses from A and B.
    const models = db.$client.prepare("SELECT model FROM responses ORDER BY item_id, idx").pluck().all();
    expect(models).toEqual(["A", "B", "A", "B"]);
  });

  it("three generators: all pairs per prompt or one random pair", async () => {
    const { db, project } = setup();
    const file = writeJsonl([{ id: "x", prompt: "three way" }]);
    const all = createGenerateJob(db, { projectId: project.id, promptsFile: file, generators: ["A", "B", "C"], samples: 1 });
    await runOnce(db, all.job.id);
    expect(generationSummary(db, all.job.id)).toMatchObject({ items: 3, responses: 6 });
    const one = createGenerateJob(db, {
      projectId: project.id,
      promptsFile: file,
      generators: ["A", "B", "C"],
      samples: 1,
      pairing: "random-pair",
    });
    expect(one.round.number).toBe(2);
    await runOnce(db, one.job.id);
    expect(generationSummary(db, one.job.id)).toMatchObject({ items: 1, responses: 2 });
    const ids = db.$client.prepare("SELECT external_id FROM items ORDER BY id").pluck().all();
    expect(ids).toEqual(["r1:x:1", "r1:x:2", "r1:x:3", "r2:x"]);
  });

  it("an unreachable endpoint fails the job with a clear reason; cancel and resume never sample a prompt twice", async () => {
    const { db, project } = setup();
    const dead = addGenerator(db, { kind: "external", name: "dead", url: "http://127.0.0.1:9/v1", model: "m" });
    const { job } = createGenerateJob(db, {
      projectId: project.id,
      promptsFile: writeJsonl(Array.from({ length: 12 }, (_, i) => ({ id: i, prompt: `p${i}` }))),
      generators: [dead.id],
      samples: 2,
      concurrency: 2,
    });
    const failed = await runOnce(db, job.id, { attempts: 1 });
    expect(failed?.state).toBe("failed");
    expect(failed?.error).toMatch(/gave up after 10 prompts in a row failed; last: connection: .*cannot connect/);

    const slow = await startOpenAITestServer({ model: "slow", delayMs: 150 });
    try {
      addGenerator(db, { kind: "external", name: "S", url: slow.url, model: "slow" });
      const prompts = Array.from({ length: 16 }, (_, i) => ({ id: `s${i}`, prompt: `slow ${i}` }));
      const { job: j2 } = createGenerateJob(db, {
        projectId: project.id,
        promptsFile: writeJsonl(prompts),
        generators: ["S"],
        samples: 2,
        concurrency: 2,
      });
      const runner = new GenerateRunner(db, { only: j2.id, clients: new GeneratorClients(undefined, { maxRetries: 0 }), progressMs: 50 });
      const running = runner.tick();
      await expect.poll(() => generationSummary(db, j2.id).done, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      cancelJob(db, j2.id);
      expect((await running)?.state).toBe("cancelled");
      const partial = generationSummary(db, j2.id);
      expect(partial.done).toBeLessThan(16);
      resumeGenerateJob(db, j2.id);
      expect((await runner.tick())?.state).toBe("succeeded");
      await runner.stop();
      expect(generationSummary(db, j2.id)).toMatchObject({ done: 16, items: 16, responses: 32, failed: 0 });
      // Every prompt that became an item was requested exactly twice (its 2 samples); the ones in
      // flight at the cancel were asked again, but their first answers were never stored.
      const stored = db.$client.prepare("SELECT count(*) FROM items WHERE external_id LIKE 'r2:s%'").pluck().get();
      expect(stored).toBe(16);
      const requested = [...slow.requests.values()];
      expect(requested.filter((n) => n === 2).length).toBeGreaterThanOrEqual(partial.done);
    } finally {
      await slow.close();
    }
    expect(getJob(db, job.id).kind).toBe("generate");
  });
});

describe("reward model in the loop", () => {
  it("selectForHumans keeps best-worst, top2 or the closest pair", () => {
    const r = [0.1, 2.0, -1.5, 0.3, 1.9];
    expect(selectForHumans(r, "best-worst")).toEqual([1, 2]);
    expect(selectForHumans(r, "top2")).toEqual([1, 4]);
    expect(selectForHumans(r, "most-uncertain")).toEqual([1, 4]); // gap 0.1
    expect(selectForHumans([0, 5, 0.25, 10], "most-uncertain")).toEqual([2, 0]);
  });

  it("--select N scores N samples with the reward model, keeps two for humans, and stores all N rewards", {
    timeout: 120_000,
  }, async () => {
    const { db, project } = setup();
    const modelDir = writeTinyModel(path.join(tempDir(), "rm"));
    const rm = db.insert(models).values({ name: "rm", base: "tiny", dir: modelDir }).returning().get();
    const file = writeJsonl([
      { id: "s1", prompt: "pick the best" },
      { id: "s2", prompt: [{ role: "user", content: "and here" }] },
    ]);
    expect(() => createGenerateJob(db, { projectId: project.id, promptsFile: file, generators: ["A"], samples: 2, select: 4 })).toThrow(
      /go together/,
    );
    expect(() =>
      createGenerateJob(db, {
        projectId: project.id,
        promptsFile: file,
        generators: ["A", "B"],
        samples: 1,
        select: 4,
        rewardModelId: rm.id,
      }),
    ).toThrow(/one generator/);
    const { job, round } = createGenerateJob(db, {
      projectId: project.id,
      promptsFile: file,
      generators: ["A"],
      samples: 2,
      select: 5,
      rewardModelId: rm.id,
      keep: "best-worst",
      seed: 9,
    });
    expect(round.rewardModelId).toBe(rm.id);
    const pool = new ScoringPool({ device: "cpu" });
    try {
      const runner = new GenerateRunner(db, {
        only: job.id,
        clients: new GeneratorClients(undefined, { maxRetries: 0 }),
        scorer: (id) => scorerFor(getScoringModel(db, id), pool),
      });
      const done = await runner.tick();
      await runner.stop();
      expect(done?.state, done?.error ?? "").toBe("succeeded");
      expect(a.requests.get("pick the best")).toBe(5);
      const rows = db.$client.prepare("SELECT id, k, metadata FROM items WHERE round_id = ? ORDER BY external_id").all(round.id) as {
        id: number;
        k: number;
        metadata: string;
      }[];
      expect(rows.map((r) => r.k)).toEqual([2, 2]);
      const sel = JSON.parse(rows[0]?.metadata ?? "{}").generation.selection;
      expect(sel).toMatchObject({ reward_model: rm.id, keep: "best-worst" });
      expect(sel.samples).toHaveLength(5);
      const rewards = sel.samples.map((s: { reward: number }) => s.reward);
      expect(sel.kept).toEqual(selectForHumans(rewards, "best-worst"));
      // The stored responses are the kept samples, in kept order.
      const texts = db.$client.prepare("SELECT content FROM responses WHERE item_id = ? ORDER BY idx").pluck().all(rows[0]?.id);
      expect(texts).toEqual(sel.kept.map((i: number) => JSON.stringify(`echo: pick the best #${sel.samples[i].seed}`)));
      // Rewards come from the real model: the same text scores the same through the service directly.
      const direct = await scorerFor(
        getScoringModel(db, rm.id),
        pool,
      )([{ prompt: "pick the best", response: `echo: pick the best #${sel.samples[0].seed}` }]);
      expect(direct[0]?.reward).toBeCloseTo(rewards[0], 5);
    } finally {
      await pool.close();
    }
  });
});
