/** The generator CLI commands as a user runs them: a child process, a database file, a real OpenAI-compatible server. */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/server/db";
import { addGenerator } from "@/server/domain/generation/registry";
import { generationSummary } from "@/server/domain/generation/sampling";
import { createProject } from "@/server/domain/projects";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { tempDir, writeJsonl } from "@/server/testing/fixtures";

/** Async (the test server answers from this process's event loop, which spawnSync would block). */
function cliAsync(db: string, args: string[], env: Record<string, string> = {}, onSpawn?: (pid: number) => void) {
  return new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args, "--db", db], {
      env: { ...process.env, ...env },
    });
    if (child.pid) onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

let server: TestServer;
beforeAll(async () => {
  server = await startOpenAITestServer({ model: "served", apiKey: "sk-cli-secret-99999" });
});
afterAll(() => server.close());

describe("CLI generator:add|list|test|remove", () => {
  it("registers an external generator with --test, lists it without the key, tests and removes it", { timeout: 60_000 }, async () => {
    const db = path.join(tempDir(), "gen.db");
    const env = { ARBITER_CLI_KEY: "sk-cli-secret-99999" };
    const add = await cliAsync(
      db,
      [
        "generator:add",
        "--name",
        "remote",
        "--url",
        server.url,
        "--model",
        "served",
        "--api-key-env",
        "ARBITER_CLI_KEY",
        "--test",
        "--json",
      ],
      env,
    );
    expect(add.status, add.stderr).toBe(0);
    const added = JSON.parse(add.stdout);
    expect(added).toMatchObject({ id: 1, name: "remote", test: { ok: true, model: "served" } });

    const list = await cliAsync(db, ["generator:list", "--json"], env);
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).generators).toMatchObject([{ id: 1, name: "remote", apiKeyEnv: "ARBITER_CLI_KEY", apiKeySet: true }]);
    expect(list.stdout + add.stdout).not.toContain("sk-cli-secret");

    const test = await cliAsync(db, ["generator:test", "--name", "remote", "--json"], env);
    expect(test.status, test.stderr).toBe(0);
    const probe = JSON.parse(test.stdout).test;
    expect(probe.sample).toMatch(/^echo: /);
    expect(probe.tokens_per_s).toBeGreaterThan(0);
    expect(probe.ttft_ms).not.toBeNull();

    // Without the key in the environment the test fails with the variable's name, exit 1.
    const nokey = await cliAsync(db, ["generator:test", "--name", "remote", "--json"], { ARBITER_CLI_KEY: "" });
    expect(nokey.status).toBe(1);
    expect(nokey.stderr).toMatch(/^error: .*ARBITER_CLI_KEY.*not set/);
    expect(nokey.stdout).toBe("");

    const rm = await cliAsync(db, ["generator:remove", "--name", "remote", "--json"]);
    expect(JSON.parse(rm.stdout)).toEqual({ id: 1, name: "remote", removed: true });
    expect(JSON.parse((await cliAsync(db, ["generator:list", "--json"])).stdout)).toEqual({ generators: [] });
  });

  it("an unreachable endpoint with --test is a clear error and adds nothing; bad flags exit 2", { timeout: 60_000 }, async () => {
    const db = path.join(tempDir(), "gen.db");
    const dead = await cliAsync(db, [
      "generator:add",
      "--name",
      "dead",
      "--url",
      "http://127.0.0.1:9/v1",
      "--model",
      "m",
      "--test",
      "--json",
    ]);
    expect(dead.status).toBe(1);
    expect(dead.stderr.trim().split("\n")).toHaveLength(1);
    expect(dead.stderr).toMatch(/^error: generator dead not added: the test request failed: .*cannot connect/);
    expect(JSON.parse((await cliAsync(db, ["generator:list", "--json"])).stdout)).toEqual({ generators: [] });

    const both = await cliAsync(db, ["generator:add", "--name", "x", "--local", "a/b", "--url", "http://h"]);
    expect(both.status).toBe(2);
    const badKey = await cliAsync(db, [
      "generator:add",
      "--name",
      "x",
      "--url",
      "http://h:1/v1",
      "--model",
      "m",
      "--api-key-env",
      "sk-123",
    ]);
    expect(badKey.status).toBe(1);
    expect(badKey.stderr).toMatch(/apiKeyEnv: the NAME of an environment variable/);
  });
});

describe("CLI generate", () => {
  it("samples a round with --wait, rejects a bad prompts file, and a killed run resumes without duplicate items", {
    timeout: 120_000,
  }, async () => {
    const slow = await startOpenAITestServer({ model: "slow", delayMs: 120 });
    try {
      const dir = tempDir();
      const dbFile = path.join(dir, "gen.db");
      const db = openDb(dbFile);
      const project = createProject(db, { name: "cli gen", overlap: 1 });
      addGenerator(db, { kind: "external", name: "fast", url: server.url, model: "served" });
      addGenerator(db, { kind: "external", name: "slow", url: slow.url, model: "slow" });
      const env = { ARBITER_CLI_KEY: "sk-cli-secret-99999" };
      // "fast" needs the key; give it through the env var name.
      db.$client.prepare("UPDATE generators SET api_key_env = 'ARBITER_CLI_KEY' WHERE name = 'fast'").run();

      const bad = path.join(dir, "bad.jsonl");
      fs.writeFileSync(bad, '{"id": "a", "prompt": "ok"}\n{"id": "b", "prompt": "x", "metadata": 3}\n');
      const refused = await cliAsync(
        dbFile,
        ["generate", "--project", String(project.id), "--prompts", bad, "--generators", "fast", "--samples", "2", "--json"],
        env,
      );
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^error: .*bad\.jsonl, line 2, field metadata: /);
      expect(refused.stdout).toBe("");

      const prompts = writeJsonl(Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, prompt: `prompt ${i}` })));
      const ok = await cliAsync(
        dbFile,
        [
          "generate",
          "--project",
          String(project.id),
          "--prompts",
          prompts,
          "--generators",
          "fast",
          "--samples",
          "4",
          "--seed",
          "3",
          "--wait",
          "--json",
        ],
        env,
      );
      expect(ok.status, ok.stderr).toBe(0);
      const out = JSON.parse(ok.stdout);
      expect(out).toMatchObject({ job: 1, round: 1, items: 5, responses: 20, failed: 0 });
      expect(out.tokens).toBeGreaterThan(0);
      expect(out.tokens_per_s).toBeGreaterThan(0);

      const many = writeJsonl(Array.from({ length: 40 }, (_, i) => ({ id: `k${i}`, prompt: `kill ${i}` })));
      let pid = 0;
      const killed = cliAsync(
        dbFile,
        [
          "generate",
          "--project",
          String(project.id),
          "--prompts",
          many,
          "--generators",
          "slow",
          "--samples",
          "2",
          "--concurrency",
          "2",
          "--wait",
          "--json",
        ],
        env,
        (p) => {
          pid = p;
        },
      );
      await expect
        .poll(() => (generationSummary(db, 2).total > 0 ? generationSummary(db, 2).done : 0), { timeout: 30_000, interval: 50 })
        .toBeGreaterThanOrEqual(4);
      process.kill(pid, "SIGKILL");
      expect((await killed).signal).toBe("SIGKILL");
      const before = generationSummary(db, 2);
      expect(before.done).toBeLessThan(40);
      expect(db.$client.prepare("SELECT state FROM jobs WHERE id = 2").pluck().get()).toBe("running");
      const doneBefore = db.$client
        .prepare("SELECT external_id FROM generation_prompts WHERE job_id = 2 AND state = 'done'")
        .pluck()
        .all() as string[];
      expect(doneBefore.length).toBe(before.done);

      const resumed = await cliAsync(dbFile, ["generate", "--resume", "2", "--wait", "--json"], env);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ job: 2, round: 2, items: 40, responses: 80, failed: 0 });
      const ids = db.$client.prepare("SELECT external_id FROM items WHERE round_id = 2").pluck().all() as string[];
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
      // Prompts stored before the kill were not requested again after it (2 samples each, once).
      expect(doneBefore.map((id) => slow.requests.get(`kill ${id.slice(1)}`))).toEqual(doneBefore.map(() => 2));
      const twice = [...slow.requests.entries()].filter(([, n]) => n > 2).length;
      expect(twice).toBeLessThanOrEqual(2); // at most the prompts in flight at the kill (concurrency 2)
      db.$client.close();
    } finally {
      await slow.close();
    }
  });
});
