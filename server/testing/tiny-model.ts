/**
 * A randomly initialised tiny reward model directory, written by the trainer's own save code in
 * about a second: scoring tests and benchmarks need a real model directory, not a trained one.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { trainerDir, trainerPython } from "@/server/jobs/runner";

export type TinyModelShape = { dModel?: number; layers?: number; heads?: number; dFf?: number; maxLength?: number; seed?: number };

export function writeTinyModel(dir: string, shape: TinyModelShape = {}): string {
  const { dModel = 32, layers = 2, heads = 2, dFf = 64, maxLength = 512, seed = 0 } = shape;
  const script = `
import json, sys, torch
from arbiter_trainer.model import TinyConfig, TinyRewardModel, save_model_dir
from arbiter_trainer.tokenizer import ByteTokenizer
torch.manual_seed(${seed})
m = TinyRewardModel(TinyConfig(d_model=${dModel}, n_layers=${layers}, n_heads=${heads}, d_ff=${dFf}, max_position_embeddings=${maxLength}))
save_model_dir(m, ByteTokenizer(), sys.argv[1], max_length=${maxLength})
json.dump({"mean": 0.5, "std": 2.0, "source": "test"}, open(sys.argv[1] + "/reward_stats.json", "w"))
`;
  const out = path.resolve(dir);
  execFileSync(trainerPython(), ["-c", script, out], {
    cwd: trainerDir(),
    env: { ...process.env, PYTHONPATH: trainerDir() },
    stdio: "pipe",
  });
  return out;
}
