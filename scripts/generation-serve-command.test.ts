/**
 * `generator:serve` as a user runs it (a child process of the CLI) with the HF venv's Python on a tiny
 * random-init Qwen2 built offline, and Arbiter's own GenerationClient (the `openai` npm client) against it,
 * plain and streaming. Needs the venv of scripts/trainer-hf-env (ARBITER_HF_PYTHON or its default place);
 * skipped, and says so, where it is not built.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationClient } from "@/server/generation/client";
import { tempDir } from "@/server/testing/fixtures";
import { openaiServeArgs } from "./generation-serve-command";

const HF_PYTHON =
  process.env.ARBITER_HF_PYTHON ??
  path.join(
    process.env.ARBITER_HF_VENV ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "arbiter/hf-venv"),
    "bin/python",
  );
const hasHf = existsSync(HF_PYTHON) && spawnSync(HF_PYTHON, ["-c", "import transformers"]).status === 0;

function cli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args, "--db", path.join(tempDir(), "serve.db")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
    child.once("close", (code) => reject(new Error(`exited ${code} before printing: ${stderr.slice(-2000)}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("close", (code) => resolve(code));
  });
}

it("passes the serve flags to the worker", () => {
  expect(openaiServeArgs({ model: "acme/m", host: "0.0.0.0", port: 0, device: "cpu", maxBatch: 8, servedName: "m" })).toEqual([
    "-m",
    "arbiter_trainer",
    "openai-serve",
    "--model",
    "acme/m",
    "--host",
    "0.0.0.0",
    "--port",
    "0",
    "--device",
    "cpu",
    "--max-batch",
    "8",
    "--served-model-name",
    "m",
  ]);
});

describe.skipIf(!hasHf)("CLI generator:serve with the HF worker", () => {
  let folder = "";
  let server: ChildProcess | null = null;
  let ready: { url: string; model: string; port: number; device: string };

  beforeAll(async () => {
    folder = path.join(tempDir(), "tiny-qwen2");
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
    server = cli(["generator:serve", "--model", folder, "--port", "0", "--device", "cpu", "--json"], {
      ARBITER_PYTHON: HF_PYTHON,
      ARBITER_MODELS_DIR: path.dirname(folder),
    });
    ready = JSON.parse(await firstLine(server));
  }, 180_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGINT");
      await exited(server);
    }
  });

  it("prints one JSON object with the URL, and the openai client gets plain and streamed completions", { timeout: 120_000 }, async () => {
    expect(ready).toMatchObject({ model: folder, device: "cpu" });
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}/v1`);
    const client = new GenerationClient({ baseURL: ready.url, model: ready.model, apiKeyEnv: null, maxRetries: 0 });
    expect(await client.listModels()).toEqual([folder]);
    const messages = [{ role: "user" as const, content: "hello river stone" }];
    const plain = await client.complete(messages, { temperature: 0, maxTokens: 12 });
    expect(plain).toMatchObject({ finishReason: "length", completionTokens: 12 });
    expect(plain.promptTokens).toBeGreaterThan(3);
    const streamed = await client.complete(messages, { temperature: 0, maxTokens: 12 }, { stream: true });
    expect(streamed.text).toBe(plain.text);
    expect(streamed).toMatchObject({ finishReason: "length", completionTokens: 12, promptTokens: plain.promptTokens });
    expect(streamed.ttftMs).not.toBeNull();
    const a = await client.complete(messages, { temperature: 1, maxTokens: 12, seed: 5, topK: 20 });
    const b = await client.complete(messages, { temperature: 1, maxTokens: 12, seed: 5, topK: 20 });
    expect(b.text).toBe(a.text);
  });

  it("stops the worker and exits 0 on SIGTERM", { timeout: 60_000 }, async () => {
    const child = server as ChildProcess;
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    await expect(fetch(`${ready.url}/models`)).rejects.toThrow();
  });
});

async function failure(args: string[], env: Record<string, string>) {
  const child = cli(args, env);
  let stderr = "";
  let stdout = "";
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  child.stdout?.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  const status = await exited(child);
  const errors = stderr.split("\n").filter((l) => l.startsWith("error: "));
  return { status, stdout, errors };
}

it("a model outside the allow-list, or one the worker cannot load, is exit 1 with one error line", { timeout: 120_000 }, async () => {
  const outside = await failure(["generator:serve", "--model", tempDir(), "--port", "0"], { ARBITER_MODELS_DIR: tempDir() });
  expect(outside).toMatchObject({ status: 1, stdout: "" });
  expect(outside.errors).toHaveLength(1);
  expect(outside.errors[0]).toMatch(/outside the allowed model folders/);
  const tiny = await failure(["generator:serve", "--model", "tiny"], {});
  expect(tiny.status).toBe(1);
  expect(tiny.errors[0]).toMatch(/tiny model scores, it does not generate/);
  // Allowed (it is under ARBITER_MODELS_DIR) but not a model: the worker itself says why.
  const root = tempDir();
  const empty = path.join(root, "empty-model");
  mkdirSync(empty);
  const broken = await failure(["generator:serve", "--model", empty, "--port", "0"], {
    ARBITER_PYTHON: hasHf ? HF_PYTHON : "/usr/bin/python3",
    ARBITER_MODELS_DIR: root,
  });
  expect(broken).toMatchObject({ status: 1, stdout: "" });
  expect(broken.errors).toHaveLength(1);
  expect(broken.errors[0]).toMatch(/generator:serve: the worker for .*empty-model could not start: .*(no config.json|transformers)/);
});

it("bad flags are usage errors (exit 2)", { timeout: 60_000 }, async () => {
  expect(await exited(cli(["generator:serve", "--port", "1"], {}))).toBe(2);
  expect(await exited(cli(["generator:serve", "--model", "m", "--device", "tpu"], {}))).toBe(2);
});
