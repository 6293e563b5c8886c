/**
 * bench:conversations — N concurrent live conversations, each turn answered by two local generators,
 * streamed, through the same path the annotate screen uses (sendMessage → generateTurn over the shared
 * GeneratorClients and the built-in worker → judgeTurn). Reports p50/p95 time from Send to the first
 * streamed token (either answer) and to both answers complete.
 *
 *   ARBITER_PYTHON=$(bash scripts/trainer-hf-env) npm run bench:conversations [-- --conversations 20] [--turns 2]
 *       [--max-tokens 32] [--device auto|cpu|cuda] [--preset qwen2-mini|qwen2.5-0.5b | --model-dir DIR] [--json]
 *
 * Two random-init models of the preset's shape (qwen2-mini on a CPU, Qwen2.5-0.5B's shape when CUDA is
 * visible) are built offline, one per generator, so each conversation's two answers come from two worker
 * processes as in a real project; all conversations share them (the workers batch concurrent requests).
 */

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { users } from "@/db/schema";
import { openDb } from "@/server/db";
import { generateTurn, judgeTurn, type LiveSampler, sendMessage, startConversation } from "@/server/domain/conversations/conversations";
import { setLiveSettings } from "@/server/domain/conversations/live-settings";
import { addGenerator, getGeneratorRecord } from "@/server/domain/generation/registry";
import { createProject } from "@/server/domain/projects";
import { GeneratorClients } from "@/server/generation/generators";
import { LocalWorkerPool } from "@/server/generation/worker-pool";
import { trainerDir, trainerPython } from "@/server/jobs/runner";

const { values: flags } = parseArgs({
  options: {
    conversations: { type: "string", default: "20" },
    turns: { type: "string", default: "2" },
    "max-tokens": { type: "string", default: "32" },
    device: { type: "string", default: "auto" },
    preset: { type: "string" },
    "model-dir": { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const log = (m: string) => process.stderr.write(`${m}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number) : Number.NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;

function hasCuda(): boolean {
  try {
    return execFileSync(trainerPython(), ["-c", "import torch; print(torch.cuda.is_available())"], { encoding: "utf8" }).trim() === "True";
  } catch {
    return false;
  }
}

async function main() {
  const n = Number(flags.conversations);
  const turns = Number(flags.turns);
  const maxTokens = Number(flags["max-tokens"]);
  const device = flags.device as "auto" | "cpu" | "cuda";
  const cuda = device === "cuda" || (device === "auto" && hasCuda());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-bench-conversations-"));
  const preset = flags.preset ?? (cuda ? "qwen2.5-0.5b" : "qwen2-mini");
  const dirs = flags["model-dir"]
    ? [flags["model-dir"], flags["model-dir"]]
    : [path.join(tmp, `${preset}-a`), path.join(tmp, `${preset}-b`)];
  if (!flags["model-dir"]) {
    for (const [i, dir] of dirs.entries()) {
      log(`building a random-init ${preset} in ${dir}`);
      execFileSync(
        trainerPython(),
        ["-m", "arbiter_trainer.generate_bench", "build", "--preset", preset, "--out", dir, "--seed", String(i)],
        {
          cwd: trainerDir(),
          env: { ...process.env, PYTHONPATH: trainerDir() },
          stdio: ["ignore", "ignore", "inherit"],
        },
      );
    }
  }
  process.env.ARBITER_MODELS_DIR = flags["model-dir"] ? path.dirname(path.resolve(flags["model-dir"])) : tmp;
  const db = openDb(path.join(tmp, "bench.db"));
  const project = createProject(db, { name: "bench-conversations", overlap: 1, strengthScale: false });
  const gens = dirs.map((dir, i) => addGenerator(db, { kind: "local", name: `gen-${i}`, model: dir, device: cuda ? "cuda" : "cpu" }));
  setLiveSettings(db, {
    projectId: project.id,
    settings: {
      kind: "conversation",
      generators: gens.map((g) => g.name),
      maxTokens,
      maxTurns: turns,
      rateLimitPerMinute: 0,
      temperature: 0.8,
    },
  });
  const clients = new GeneratorClients(new LocalWorkerPool({ idleMs: 600_000 }), { maxRetries: 0 });
  const samplers = (id: number): LiveSampler => {
    const sample = clients.samplerFor(getGeneratorRecord(db, id));
    return (messages, params, opts) => sample(messages, params, opts);
  };
  try {
    log("loading the workers");
    await Promise.all(gens.map((g) => clients.warm(getGeneratorRecord(db, g.id))));
    const firstToken: number[] = [];
    const complete: number[] = [];
    let failed = 0;
    // Login-less annotators: the bench measures generation, not password hashing.
    const annotators = Array.from({ length: n }, (_, i) =>
      db
        .insert(users)
        .values({ name: `bench-${i}`, email: `bench-${i}@bench.local`, role: "annotator" })
        .returning({ id: users.id })
        .get(),
    );
    const started = performance.now();
    await Promise.all(
      annotators.map(async (u, i) => {
        const c = startConversation(db, { projectId: project.id, userId: u.id });
        for (let t = 1; t <= turns; t++) {
          const sent = performance.now();
          const turn = sendMessage(db, {
            conversationId: c.id,
            userId: u.id,
            text: `Conversation ${i}, message ${t}: tell me something about the number ${i * 7 + t}.`,
          });
          let first: number | null = null;
          const r = await generateTurn(db, {
            turnId: turn.id,
            userId: u.id,
            samplers,
            onDelta: () => {
              first ??= performance.now() - sent;
            },
          });
          if (r.state !== "ready") {
            failed++;
            log(`conversation ${i} turn ${t}: ${r.error}`);
            return;
          }
          complete.push(performance.now() - sent);
          if (first !== null) firstToken.push(first);
          judgeTurn(db, { userId: u.id, judgment: { turnId: turn.id, outcome: t % 2 ? "a" : "b", clientSubmissionId: `bench-${i}-${t}` } });
        }
      }),
    );
    const result = {
      conversations: n,
      turns_each: turns,
      max_tokens: maxTokens,
      device: cuda ? "cuda" : "cpu",
      preset: flags["model-dir"] ? null : preset,
      cores: os.cpus().length,
      load_average: os.loadavg().map((x) => round(x)),
      turns_done: complete.length,
      failed,
      wall_s: round((performance.now() - started) / 1000),
      first_token_ms: { p50: round(pct(firstToken, 50)), p95: round(pct(firstToken, 95)) },
      both_complete_ms: { p50: round(pct(complete, 50)), p95: round(pct(complete, 95)) },
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        `${n} concurrent conversations × ${turns} turns, two ${result.preset ?? "given"} generators on ${result.device} (${result.cores} cores, load ${result.load_average.join(" ")}), ${maxTokens} max tokens\n` +
          `Send → first token: p50 ${result.first_token_ms.p50} ms, p95 ${result.first_token_ms.p95} ms\n` +
          `Send → both answers complete: p50 ${result.both_complete_ms.p50} ms, p95 ${result.both_complete_ms.p95} ms\n` +
          `${result.turns_done} turns judged, ${failed} failed, ${result.wall_s} s wall\n`,
      );
    }
    if (failed) process.exitCode = 1;
  } finally {
    await clients.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
