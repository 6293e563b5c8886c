/** The generator CLI commands as a user runs them: a child process, a database file, a real OpenAI-compatible server. */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { tempDir } from "@/server/testing/fixtures";

/** Async (the test server answers from this process's event loop, which spawnSync would block). */
function cliAsync(db: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args, "--db", db], {
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
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
