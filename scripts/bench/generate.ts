/**
 * bench:generate — output tokens/s of the built-in generation worker against a naive loop, and time to first
 * token of one streamed request.
 *
 *   npm run bench:generate [-- --n 200] [--max-tokens 64] [--temperature 0.8 --top-p 0.95 --seed 0]
 *                          [--device auto|cpu|cuda] [--preset qwen2-mini|qwen2.5-0.5b | --model-dir DIR]
 *                          [--max-batch 64] [--concurrency 64] [--naive-n N] [--ttft-requests 20] [--json]
 *   npm run bench:generate -- --url http://gpu-box:8000/v1 --model Qwen/Qwen2.5-0.5B-Instruct [--api-key-env VAR]
 *
 * The same N chat prompts (8–48 random words, seeded) with the same sampling parameters go through
 *   (a) the worker: `ARBITER_PYTHON -m arbiter_trainer openai-serve` (continuous batching, KV cache), fed
 *       by Arbiter's own GenerationClient (the `openai` npm client), `--concurrency` requests in flight;
 *   (b) a naive loop: one prompt at a time through transformers' `model.generate` (same model, same dtype,
 *       same device; arbiter_trainer.generate_bench naive), `--naive-n` of them (default all N).
 * Both count output tokens up to and including an end-of-sequence token. Then `--ttft-requests` streamed
 * requests, one at a time on the idle worker, give time to first token p50/p95.
 *
 * The model is random-init with a real shape (throughput does not depend on the weights): qwen2-mini on a
 * CPU, Qwen2.5-0.5B's shape (`--preset qwen2.5-0.5b`) when CUDA is visible; `--model-dir` takes any local HF
 * causal LM with a chat template. Defaults: N = 2,000, 128 tokens, batch 256 on a GPU; N = 200, 64 tokens,
 * batch 64 on a CPU. `--url` benchmarks any OpenAI-compatible server (vLLM: `vllm serve MODEL`) with arm (a)
 * only, on the same prompts and parameters, so its figures compare with a local run's. Needs transformers in
 * ARBITER_PYTHON (`ARBITER_PYTHON=$(bash scripts/trainer-hf-env) npm run bench:generate`).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { parseArgs } from "node:util";
import { createRng } from "@/server/domain/stats/random";
import { type ChatMessage, GenerationClient } from "@/server/generation/client";
import { trainerDir, trainerPython } from "@/server/jobs/runner";

const { values: flags } = parseArgs({
  options: {
    n: { type: "string" },
    "naive-n": { type: "string" },
    "max-tokens": { type: "string" },
    temperature: { type: "string", default: "0.8" },
    "top-p": { type: "string", default: "0.95" },
    seed: { type: "string", default: "0" },
    device: { type: "string", default: "auto" },
    preset: { type: "string" },
    "model-dir": { type: "string" },
    "max-batch": { type: "string" },
    concurrency: { type: "string" },
    "ttft-requests": { type: "string", default: "20" },
    url: { type: "string" },
    model: { type: "string" },
    "api-key-env": { type: "string" },
    json: { type: "boolean" },
  },
});

function usage(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

function num(name: keyof typeof flags, fallback: number, integer = true): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) usage(`--${name} takes a ${integer ? "whole " : ""}number`);
  return v;
}

const log = (msg: string) => process.stderr.write(`bench:generate: ${msg}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

const WORDS = (
  "the a river stone cloud paper lamp tiger maple ocean violet copper window garden silver orange pencil bridge " +
  "why how what explain compare write summarize list short long story poem answer question reason good bad"
).split(" ");

function prompts(n: number, seed: number): ChatMessage[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 8 + rng.nextInt(41) }, () => WORDS[rng.nextInt(WORDS.length)]);
    const messages: ChatMessage[] = [{ role: "user", content: `${i}: ${words.join(" ")}?` }];
    if (i % 4 === 0) messages.unshift({ role: "system", content: "You are a concise assistant." });
    return messages;
  });
}

function python(args: string[], stdio: "pipe" | "inherit-stderr" = "inherit-stderr"): string {
  return execFileSync(trainerPython(), args, {
    cwd: trainerDir(),
    env: { ...process.env, PYTHONPATH: trainerDir() },
    encoding: "utf8",
    stdio: ["ignore", "pipe", stdio === "pipe" ? "pipe" : "inherit"],
    maxBuffer: 64 << 20,
  });
}

function startWorker(model: string, device: string, maxBatch: number): Promise<{ child: ChildProcess; url: string; model: string }> {
  const child = spawn(
    trainerPython(),
    ["-m", "arbiter_trainer", "openai-serve", "--model", model, "--port", "0", "--device", device, "--max-batch", String(maxBatch)],
    { cwd: trainerDir(), env: { ...process.env, PYTHONPATH: trainerDir() }, stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (text) => {
      const line = JSON.parse(text) as { type: string; port?: number; model?: string; message?: string };
      if (line.type === "ready") resolve({ child, url: `http://127.0.0.1:${line.port}/v1`, model: line.model as string });
      else reject(new Error(`the worker could not start: ${line.message ?? text}`));
    });
    child.once("close", (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
  });
}

async function throughput(
  client: GenerationClient,
  ps: ChatMessage[][],
  params: Parameters<GenerationClient["complete"]>[1],
  concurrency: number,
  seed: number,
) {
  let next = 0;
  let tokens = 0;
  let failed = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < ps.length) {
      const i = next++;
      try {
        const c = await client.complete(ps[i] as ChatMessage[], { ...params, seed: seed + i });
        tokens += c.completionTokens;
      } catch (e) {
        failed++;
        if (failed <= 3) log(`request ${i} failed: ${(e as Error).message}`);
      }
      if (++done % Math.max(1, Math.floor(ps.length / 10)) === 0) log(`worker: ${done}/${ps.length} prompts`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ps.length) }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { prompts: ps.length, failed, output_tokens: tokens, seconds: round(seconds, 3), tokens_per_s: round(tokens / seconds, 1) };
}

async function timeToFirstToken(client: GenerationClient, ps: ChatMessage[][], n: number) {
  const ttft: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = await client.complete(ps[i % ps.length] as ChatMessage[], { temperature: 0.8, maxTokens: 16, seed: i }, { stream: true });
    if (c.ttftMs !== null) ttft.push(c.ttftMs);
  }
  ttft.sort((a, b) => a - b);
  return { requests: ttft.length, p50_ms: round(percentile(ttft, 50), 1), p95_ms: round(percentile(ttft, 95), 1) };
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  const external = flags.url !== undefined;
  if (external && !flags.model) usage("--url needs --model (the served model id)");
  const device = flags.device ?? "auto";
  if (!["auto", "cpu", "cuda"].includes(device)) usage("--device is auto, cpu or cuda");
  let cuda = device === "cuda";
  if (!external && device === "auto") {
    try {
      cuda = python(["-c", "import torch; print(torch.cuda.is_available())"], "pipe").trim() === "True";
    } catch (e) {
      usage(`cannot run ${trainerPython()}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  if (!external) {
    try {
      python(["-c", "import transformers"], "pipe");
    } catch {
      usage(`${trainerPython()} has no transformers: run with ARBITER_PYTHON=$(bash scripts/trainer-hf-env)`);
    }
  }
  const n = num("n", cuda ? 2000 : 200);
  const maxTokens = num("max-tokens", cuda ? 128 : 64);
  const maxBatch = num("max-batch", cuda ? 256 : 64);
  const concurrency = num("concurrency", maxBatch);
  const naiveN = Math.min(n, num("naive-n", n));
  const seed = num("seed", 0);
  const temperature = num("temperature", 0.8, false);
  const topP = num("top-p", 0.95, false);
  const ps = prompts(n, seed);
  const params = { temperature, topP, maxTokens };
  const result: Record<string, unknown> = {
    n,
    max_tokens: maxTokens,
    temperature,
    top_p: topP,
    device: external ? "external" : cuda ? "cuda" : "cpu",
    cores: os.cpus().length,
    load_average: os.loadavg().map((x) => round(x, 2)),
  };

  let modelDir = flags["model-dir"] ?? null;
  let tmp: string | null = null;
  if (!external && !modelDir) {
    const preset = flags.preset ?? (cuda ? "qwen2.5-0.5b" : "qwen2-mini");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-bench-generate-"));
    modelDir = path.join(tmp, preset);
    log(`building a random-init ${preset} in ${modelDir}`);
    python(["-m", "arbiter_trainer.generate_bench", "build", "--preset", preset, "--out", modelDir]);
    result.preset = preset;
  }
  let child: ChildProcess | null = null;
  try {
    let client: GenerationClient;
    if (external) {
      client = new GenerationClient({
        baseURL: flags.url as string,
        model: flags.model as string,
        apiKeyEnv: flags["api-key-env"] ?? null,
        maxRetries: 0,
        timeoutMs: 600_000,
      });
      result.url = flags.url;
      result.model = flags.model;
    } else {
      log(`starting the worker (max batch ${maxBatch})`);
      const w = await startWorker(modelDir as string, cuda ? "cuda" : "cpu", maxBatch);
      child = w.child;
      client = new GenerationClient({ baseURL: w.url, model: w.model, apiKeyEnv: null, maxRetries: 0, timeoutMs: 600_000 });
      result.model = modelDir;
      result.max_batch = maxBatch;
    }
    log(`worker arm: ${n} prompts, ${concurrency} in flight, ${maxTokens} tokens each`);
    const ours = await throughput(client, ps, params, concurrency, seed);
    result.worker = ours;
    log(`worker: ${ours.output_tokens} tokens in ${ours.seconds} s = ${ours.tokens_per_s} tokens/s`);
    result.ttft = await timeToFirstToken(client, ps, num("ttft-requests", 20));
    if (child) {
      child.kill("SIGTERM");
      child = null;
    }
    if (modelDir && naiveN > 0) {
      const file = path.join(tmp ?? fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-bench-generate-")), "prompts.jsonl");
      fs.writeFileSync(file, ps.map((messages) => JSON.stringify({ messages })).join("\n"));
      log(`naive arm: model.generate one prompt at a time, ${naiveN} prompts`);
      const args = ["-m", "arbiter_trainer.generate_bench", "naive", "--model", modelDir, "--prompts", file];
      args.push("--max-tokens", String(maxTokens), "--temperature", String(temperature), "--top-p", String(topP));
      args.push("--seed", String(seed), "--device", cuda ? "cuda" : "cpu", "--limit", String(naiveN));
      const naive = JSON.parse(python(args).trim().split("\n").at(-1) as string) as { tokens_per_s: number };
      result.naive = naive;
      result.ratio = round(ours.tokens_per_s / naive.tokens_per_s, 2);
    }
  } finally {
    child?.kill("SIGTERM");
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const w = result.worker as { tokens_per_s: number; output_tokens: number; seconds: number; failed: number };
  const t = result.ttft as { p50_ms: number; p95_ms: number; requests: number };
  const lines = [
    `bench:generate  ${result.device}  ${n} prompts x ${maxTokens} tokens, temperature ${temperature}, top_p ${topP}`,
    `  worker   ${w.tokens_per_s} output tokens/s (${w.output_tokens} tokens, ${w.seconds} s, ${w.failed} failed)`,
  ];
  if (result.naive) {
    const nv = result.naive as { tokens_per_s: number; output_tokens: number; seconds: number; prompts: number };
    lines.push(`  naive    ${nv.tokens_per_s} output tokens/s (${nv.prompts} prompts, ${nv.output_tokens} tokens, ${nv.seconds} s)`);
    lines.push(`  ratio    ${result.ratio}x`);
  }
  lines.push(`  TTFT     p50 ${t.p50_ms} ms, p95 ${t.p95_ms} ms (${t.requests} streamed requests, one at a time)`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
