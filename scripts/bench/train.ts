/**
 * bench:train — reward-model training throughput: a TRL-style padded baseline against the trainer's
 * own loop, in one Python process on the same data, init and optimizer.
 *
 *   npm run bench:train [-- --json] [--model tiny|qwen2-mini|qwen2-0.5b] [--chat-template] [--keep-model DIR] [--pairs N] [--min-len 128] [--max-len 1024]
 *                       [--epochs 2] [--batch-tokens N] [--baseline-batch-pairs N] [--device auto|cpu|cuda]
 *
 * The benchmark itself is server/trainer/arbiter_trainer/bench.py (its docstring defines every number);
 * this wrapper only runs it with the interpreter the job runner uses (ARBITER_PYTHON, default
 * /usr/bin/python3), passes the flags through, and exits with its status.
 */
import { spawnSync } from "node:child_process";
import { trainerDir, trainerPython } from "@/server/jobs/runner";

const python = trainerPython();
const r = spawnSync(python, ["-m", "arbiter_trainer.bench", ...process.argv.slice(2)], {
  cwd: trainerDir(),
  env: { ...process.env, PYTHONPATH: trainerDir() },
  stdio: "inherit",
});
if (r.error) {
  process.stderr.write(`error: cannot start ${python}: ${r.error.message} (set ARBITER_PYTHON to a Python with torch)\n`);
  process.exit(1);
}
process.exit(r.status ?? 1);
