/**
 * The local worker pool with the real worker (`arbiter_trainer openai-serve`) on a tiny random-init
 * Qwen2 with a chat template, built offline, on CPU: lazy start, one worker per model, a sampling job
 * end to end through it, idle unload, and a clear error for a model that cannot load. Needs the HF venv
 * (scripts/trainer-hf-env); skipped, and says so, where it is not built.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addGenerator } from "@/server/domain/generation/registry";
import { createGenerateJob, listGenerationFailures } from "@/server/domain/generation/sampling";
import { createProject } from "@/server/domain/projects";
import { GenerateRunner } from "@/server/jobs/generate";
import { memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { GeneratorClients } from "./generators";
import { LocalWorkerPool } from "./worker-pool";

const HF_PYTHON =
  process.env.ARBITER_HF_PYTHON ??
  path.join(
    process.env.ARBITER_HF_VENV ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "arbiter/hf-venv"),
    "bin/python",
  );
const hasHf = existsSync(HF_PYTHON) && spawnSync(HF_PYTHON, ["-c", "import transformers"]).status === 0;
if (!hasHf) console.warn(`worker-pool.test: skipped, no HF venv at ${HF_PYTHON} (bash scripts/trainer-hf-env builds it)`);

describe.skipIf(!hasHf)("LocalWorkerPool with the built-in worker", () => {
  const saved = { python: process.env.ARBITER_PYTHON, models: process.env.ARBITER_MODELS_DIR };
  let root = "";
  let folder = "";

  beforeAll(() => {
    root = tempDir("arbiter-models-");
    folder = path.join(root, "tiny-qwen2");
    const built = spawnSync(
      HF_PYTHON,
      [
        "-c",
        "import sys; from tiny_hf import build_tiny_chat_model; build_tiny_chat_model(sys.argv[1], arch='qwen2', hidden_size=64)",
        folder,
      ],
      { cwd: path.resolve("server/trainer/tests"), encoding: "utf8" },
    );
    expect(built.status, built.stderr).toBe(0);
    process.env.ARBITER_PYTHON = HF_PYTHON;
    process.env.ARBITER_MODELS_DIR = root;
  }, 120_000);

  afterAll(() => {
    for (const [k, v] of [
      ["ARBITER_PYTHON", saved.python],
      ["ARBITER_MODELS_DIR", saved.models],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("starts one worker lazily, samples a round of ranking items through it, and unloads it when idle", { timeout: 240_000 }, async () => {
    const pool = new LocalWorkerPool({ idleMs: 1500 });
    const clients = new GeneratorClients(pool, { maxRetries: 0 });
    try {
      const db = memoryDb();
      const project = createProject(db, { name: "local", overlap: 1 });
      const g = addGenerator(db, { kind: "local", name: "tiny", model: folder, device: "cpu" });
      expect(pool.loaded()).toEqual([]);

      // Two concurrent first requests share one worker process.
      const sample = clients.samplerFor(g);
      const msgs = [{ role: "user" as const, content: "hello river stone" }];
      const [x, y] = await Promise.all([sample(msgs, { temperature: 0, maxTokens: 6 }), sample(msgs, { temperature: 0, maxTokens: 6 })]);
      expect(pool.loaded()).toEqual([{ model: g.model, device: "cpu" }]);
      expect(y.text).toBe(x.text);
      expect(x.completionTokens).toBe(6);

      const prompts = Array.from({ length: 6 }, (_, i) => ({
        id: `p${i}`,
        prompt: [{ role: "user", content: `tell me about stone ${i}` }],
      }));
      const { job } = createGenerateJob(db, {
        projectId: project.id,
        promptsFile: writeJsonl(prompts),
        generators: ["tiny"],
        samples: 3,
        maxTokens: 8,
        temperature: 1,
        seed: 11,
        concurrency: 3,
      });
      const runner = new GenerateRunner(db, { only: job.id, clients, progressMs: 200 });
      const done = await runner.tick();
      await runner.stop();
      expect(done?.error ?? null, JSON.stringify(listGenerationFailures(db, job.id))).toBeNull();
      expect(done?.state).toBe("succeeded");
      expect(done?.metrics).toMatchObject({ items: 6, responses: 18, failed: 0 });
      const texts = db.$client.prepare("SELECT content FROM responses ORDER BY item_id, idx").pluck().all() as string[];
      expect(texts).toHaveLength(18);
      expect(new Set(texts).size).toBeGreaterThan(1); // different seeds per sample

      await expect.poll(() => pool.loaded(), { timeout: 20_000, interval: 200 }).toEqual([]);
    } finally {
      await clients.close();
    }
  });

  it("a model that cannot load fails the job once, with the worker's reason", { timeout: 120_000 }, async () => {
    const pool = new LocalWorkerPool();
    const clients = new GeneratorClients(pool);
    try {
      const broken = path.join(root, "broken");
      mkdirSync(broken);
      writeFileSync(path.join(broken, "config.json"), JSON.stringify({ model_type: "no-such-architecture" }));
      const db = memoryDb();
      const project = createProject(db, { name: "broken", overlap: 1 });
      addGenerator(db, { kind: "local", name: "broken", model: broken, device: "cpu" });
      const { job } = createGenerateJob(db, {
        projectId: project.id,
        promptsFile: writeJsonl([{ id: 1, prompt: "hi" }]),
        generators: ["broken"],
        samples: 2,
      });
      const runner = new GenerateRunner(db, { only: job.id, clients });
      const done = await runner.tick();
      await runner.stop();
      expect(done?.state).toBe("failed");
      expect(done?.error).toMatch(/^generator not ready: the local worker for .*broken could not start: .+/);
      expect(pool.loaded()).toEqual([]);
      expect(db.$client.prepare("SELECT count(*) FROM items").pluck().get()).toBe(0);
    } finally {
      await clients.close();
    }
  });
});
