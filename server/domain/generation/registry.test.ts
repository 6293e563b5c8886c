import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationClient } from "@/server/generation/client";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { memoryDb, tempDir } from "@/server/testing/fixtures";
import { addGenerator, getGenerator, listGenerators, removeGenerator, testGenerator, validateLocalModel } from "./registry";

let server: TestServer;
beforeAll(async () => {
  server = await startOpenAITestServer({ model: "served-name" });
});
afterAll(() => server.close());

describe("generator registry", () => {
  it("adds, lists, tests and removes an external generator; only the key's variable name is stored", async () => {
    const db = memoryDb();
    process.env.ARBITER_REG_KEY = "sk-never-stored-0000";
    const g = addGenerator(db, {
      kind: "external",
      name: "vllm a",
      url: `${server.url}/`,
      model: "served-name",
      apiKeyEnv: "ARBITER_REG_KEY",
    });
    expect(g.url).toBe(server.url);
    const dump =
      JSON.stringify(db.$client.prepare("SELECT * FROM generators").all()) +
      JSON.stringify(db.$client.prepare("SELECT * FROM audit_events").all());
    expect(dump).not.toContain("sk-never-stored");
    expect(listGenerators(db)).toMatchObject([{ name: "vllm a", apiKeyEnv: "ARBITER_REG_KEY", apiKeySet: true }]);
    expect(() => addGenerator(db, { kind: "external", name: "vllm a", url: server.url, model: "x" })).toThrow(/exists/);

    const client = new GenerationClient({ baseURL: g.url ?? "", model: g.model });
    const probe = await testGenerator(db, "vllm a", (m) => client.complete(m, { maxTokens: 8 }, { stream: true }));
    expect(probe).toMatchObject({ ok: true, model: "served-name", error: null });
    expect(probe.sample).toMatch(/^echo: Say hello/);
    expect(probe.tokens).toBeGreaterThan(0);
    expect(getGenerator(db, g.id).version).toBe("served-name");

    const dead = new GenerationClient({ baseURL: "http://127.0.0.1:9/v1", model: "m", maxRetries: 0 });
    const failed = await testGenerator(db, g.id, (m) => dead.complete(m));
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/cannot connect/);

    removeGenerator(db, "vllm a");
    expect(listGenerators(db)).toEqual([]);
    expect(() => getGenerator(db, g.id)).toThrow(/no generator/);
    // The name is free again; the old row stays for rounds that used it.
    addGenerator(db, { kind: "external", name: "vllm a", url: server.url, model: "served-name" });
    expect(db.$client.prepare("SELECT count(*) AS n FROM generators").get()).toEqual({ n: 2 });
    delete process.env.ARBITER_REG_KEY;
  });

  it("refuses a key given instead of a variable name, and bad URLs", () => {
    const db = memoryDb();
    expect(() => addGenerator(db, { kind: "external", name: "x", url: server.url, model: "m", apiKeyEnv: "sk-abc123/xyz" })).toThrow(
      /apiKeyEnv: the NAME of an environment variable/,
    );
    expect(() => addGenerator(db, { kind: "external", name: "x", url: "not a url", model: "m" })).toThrow(/^url:/);
  });

  it("local models: Hub ids pass; folders must hold config.json under an allowed root", () => {
    const root = tempDir("arbiter-models-");
    const before = process.env.ARBITER_MODELS_DIR;
    process.env.ARBITER_MODELS_DIR = root;
    try {
      expect(validateLocalModel("Qwen/Qwen2.5-0.5B-Instruct")).toBe("Qwen/Qwen2.5-0.5B-Instruct");
      const dir = path.join(root, "policy");
      fs.mkdirSync(dir);
      expect(() => validateLocalModel(dir)).toThrow(/no config.json/);
      fs.writeFileSync(path.join(dir, "config.json"), "{}");
      expect(validateLocalModel(dir)).toBe(fs.realpathSync(dir));
      const outside = tempDir("arbiter-elsewhere-");
      fs.writeFileSync(path.join(outside, "config.json"), "{}");
      expect(() => validateLocalModel(outside)).toThrow(/outside the allowed model folders/);
      const db = memoryDb();
      const g = addGenerator(db, { kind: "local", name: "policy-r1", model: dir, device: "cpu" });
      expect(g).toMatchObject({ kind: "local", device: "cpu", url: null, apiKeyEnv: null });
    } finally {
      if (before === undefined) delete process.env.ARBITER_MODELS_DIR;
      else process.env.ARBITER_MODELS_DIR = before;
    }
  });
});
