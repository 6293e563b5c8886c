/**
 * bench:score — reward-model inference throughput and playground latency.
 *
 *   npm run bench:score [-- --n 1000] [--device auto|cpu|cuda] [--d-model 128 --layers 2 --heads 4 --d-ff 512]
 *                       [--batch-tokens 16384] [--latency-requests 50] [--seed 0] [--model-dir DIR]
 *
 * The same N responses (lengths log-uniform over 32–2048 tokens, byte tokenizer: 1 ASCII char = 1
 * token) are scored by
 *   (a) a naive loop: input order, batches of 32 padded to their longest sequence, one forward each;
 *   (b) the service: the scoring pool's `arbiter_trainer serve` worker (length-sorted token-budget
 *       batches, rows packed up to the longest sequence), fed through ScoringPool.score as the CLI and
 *       the server do.
 * It prints real (unpadded) tokens/s of both and the ratio, checks both give the same rewards (1e-4),
 * then measures the end-to-end latency of one playground request (4 responses × 256 tokens) through
 * the tRPC procedure the page calls (`scoring.score`, in-process caller: no HTTP), p50/p95/p99.
 *
 * The model is a random-init tiny reward model (the trainer's default shape unless flags say
 * otherwise): throughput does not depend on the weights. `--model-dir DIR` benchmarks an existing
 * model directory instead, e.g. a 0.5B-shaped HF model trained on a GPU machine with
 * `npm run arbiter -- train --base path/to/qwen2.5-0.5b-config --wait` (random init from a config;
 * needs transformers). The default N is 20,000 when CUDA is visible and 200 on CPU, where the naive
 * loop's padded 2,048-token batches are slow, so that a CPU run finishes in minutes.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { models } from "@/db/schema";
import { createCaller } from "@/server/api/root";
import { openDb } from "@/server/db";
import { createRng } from "@/server/domain/stats/random";
import { trainerDir, trainerPython } from "@/server/jobs/runner";
import { getScoringPool, ScoringPool } from "@/server/jobs/scoring";
import { addAnnotator } from "@/server/testing/fixtures";
import { writeTinyModel } from "@/server/testing/tiny-model";

const { values: flags } = parseArgs({
  options: {
    n: { type: "string" },
    device: { type: "string", default: "auto" },
    "d-model": { type: "string", default: "128" },
    layers: { type: "string", default: "2" },
    heads: { type: "string", default: "4" },
    "d-ff": { type: "string", default: "512" },
    "batch-tokens": { type: "string", default: "16384" },
    "latency-requests": { type: "string", default: "50" },
    seed: { type: "string", default: "0" },
    "model-dir": { type: "string" },
  },
});

function int(name: keyof typeof flags): number {
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`error: --${name} takes a whole number\n`);
    process.exit(2);
  }
  return v;
}

const WORDS = "the of and to in is that for it as with was on be by this are from at or an have not which but can all".split(" ");

function text(rng: ReturnType<typeof createRng>, chars: number): string {
  let s = "";
  while (s.length < chars) s += `${WORDS[rng.nextInt(WORDS.length)]} `;
  return s.slice(0, chars);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** (a) the naive loop, in the trainer's Python: same tokenizer and model code, padded batches of 32 in input order. */
const NAIVE = `
import contextlib, json, sys, time, torch
from arbiter_trainer.data import Element, collate, encode_group
from arbiter_trainer.model import load_reward_model
from arbiter_trainer.train import set_threads
model_dir, data_file, device = sys.argv[1], sys.argv[2], sys.argv[3]
dev = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
model, tok, info = load_reward_model(model_dir, dev)
model.layout = "padded"  # an HF model then takes a plain 2D attention mask, as AutoModelForSequenceClassification does
set_threads(model.model_type == "arbiter-tiny")
pairs = [json.loads(l) for l in open(data_file)]
els = []
for p in pairs:
    pi, (ri,) = encode_group(tok, p["prompt"], [p["response"]], info["max_length"])
    els.append(Element(pi, [ri], [], 1.0))
tokens = sum(e.tokens(False) for e in els)
out = []
# the same precision as the service: bf16 autocast on a CUDA device that supports it
amp = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if dev.type == "cuda" and torch.cuda.is_bf16_supported() else contextlib.nullcontext()
with torch.no_grad(), amp:
    if dev.type == "cuda": torch.cuda.synchronize()
    t0 = time.perf_counter()
    for s in range(0, len(els), 32):
        batch = collate(els[s:s + 32], "padded", tok.pad_id, None).to(dev)
        out += model(**batch.model_inputs()).float().cpu().tolist()
    if dev.type == "cuda": torch.cuda.synchronize()
    dt = time.perf_counter() - t0
mean, std = info["reward_mean"], info["reward_std"]
print(json.dumps({"tokens": tokens, "seconds": dt, "rewards": [(x - mean) / std for x in out], "device": str(dev)}))
`;

async function main() {
  const cuda = (() => {
    try {
      const out = execFileSync(trainerPython(), ["-c", "import torch; print(torch.cuda.is_available())"], { encoding: "utf8" });
      return out.trim() === "True" && flags.device !== "cpu";
    } catch {
      return false;
    }
  })();
  const n = flags.n === undefined ? (cuda ? 20_000 : 200) : int("n");
  const seed = int("seed");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-bench-score-"));
  const device = (flags.device ?? "auto") as "auto" | "cpu" | "cuda";
  console.log(`bench:score  n=${n}  device=${cuda ? "cuda" : "cpu"}  cores=${os.cpus().length}  (${os.cpus()[0]?.model ?? "?"})`);

  const modelDir =
    flags["model-dir"] !== undefined
      ? path.resolve(flags["model-dir"])
      : writeTinyModel(path.join(dir, "model"), {
          dModel: int("d-model"),
          layers: int("layers"),
          heads: int("heads"),
          dFf: int("d-ff"),
          maxLength: 2048 + 64,
          seed,
        });
  const rng = createRng(seed);
  const inputs = Array.from({ length: n }, (_, i) => {
    const len = Math.round(32 * 64 ** rng.next()); // log-uniform over 32..2048
    return { prompt: `Question ${i}: ${text(rng, 8)}?`, response: text(rng, len) };
  });
  const dataFile = path.join(dir, "inputs.jsonl");
  fs.writeFileSync(dataFile, `${inputs.map((x) => JSON.stringify(x)).join("\n")}\n`);
  const lengths = inputs.map((x) => x.response.length).sort((a, b) => a - b);
  console.log(
    `responses: ${n}, response tokens p5 ${percentile(lengths, 5)} / p50 ${percentile(lengths, 50)} / p95 ${percentile(lengths, 95)} / max ${lengths[n - 1]}`,
  );

  // (a) naive
  process.stdout.write("(a) naive padded batches of 32 … ");
  const naive = JSON.parse(
    execFileSync(trainerPython(), ["-c", NAIVE, modelDir, dataFile, device], {
      cwd: trainerDir(),
      env: { ...process.env, PYTHONPATH: trainerDir() },
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
  ) as { tokens: number; seconds: number; rewards: number[] };
  const naiveTps = naive.tokens / naive.seconds;
  console.log(`${naive.tokens} tokens in ${naive.seconds.toFixed(2)} s = ${Math.round(naiveTps).toLocaleString("en-US")} tokens/s`);

  // (b) the service
  const pool = new ScoringPool({ batchTokens: int("batch-tokens"), device });
  const model = { id: 1, dir: modelDir };
  const t0 = performance.now();
  await pool.load(model);
  const coldStart = (performance.now() - t0) / 1000;
  process.stdout.write(`(b) service (worker ready in ${coldStart.toFixed(1)} s) … `);
  const t1 = performance.now();
  const scored = await pool.score(model, inputs);
  const serviceSeconds = (performance.now() - t1) / 1000;
  const serviceTps = naive.tokens / serviceSeconds;
  console.log(`${naive.tokens} tokens in ${serviceSeconds.toFixed(2)} s = ${Math.round(serviceTps).toLocaleString("en-US")} tokens/s`);
  await pool.close();
  let maxDiff = 0;
  scored.forEach((s, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(s.reward - (naive.rewards[i] as number)));
  });
  console.log(
    `ratio service/naive: ${(serviceTps / naiveTps).toFixed(2)}×   max |reward difference| ${maxDiff.toExponential(2)}${maxDiff < 1e-4 ? " (same rewards)" : " (DIFFERENT)"}`,
  );

  // playground latency: 4 responses × 256 tokens through the tRPC procedure, one request at a time
  const db = openDb(":memory:");
  const row = db.insert(models).values({ name: "bench", base: "tiny", dir: modelDir }).returning().get();
  const caller = createCaller({ db, user: { id: addAnnotator(db, "bench"), email: "bench@local", name: "bench", role: "researcher" } });
  const prompt = `Playground prompt: ${text(rng, 40)}`;
  const requests = int("latency-requests");
  const times: number[] = [];
  for (let r = 0; r < requests + 5; r++) {
    const responses = Array.from({ length: 4 }, () => text(rng, 256));
    const s = performance.now();
    await caller.scoring.score({ modelId: row.id, prompt, responses });
    if (r >= 5) times.push(performance.now() - s); // the first 5 include the worker start and warm-up
  }
  times.sort((a, b) => a - b);
  console.log(
    `playground request (4 × 256 tokens), ${requests} requests: p50 ${percentile(times, 50).toFixed(1)} ms  p95 ${percentile(times, 95).toFixed(1)} ms  p99 ${percentile(times, 99).toFixed(1)} ms`,
  );
  await getScoringPool().close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
