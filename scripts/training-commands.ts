/**
 * CLI commands for trained reward models (issue #13): `evaluate` scores a preference file
 * (prompt/chosen/rejected: TRL standard or conversational, HH, implicit prompt) the way RewardBench does.
 * A thin shell over server/domain/training/evaluate.ts with the scoring worker pool of server/jobs.
 */
import type { AnyDb } from "@/server/database";
import { getScoringModel } from "@/server/domain/scoring/project-scores";
import { evaluatePreferenceFile } from "@/server/domain/training/evaluate";
import { ScoringPool, scorerFor } from "@/server/jobs/scoring";
import type { AnyDbCommand, CliHelpers, Flags } from "./cli-types";
import { progressBar } from "./progress";

export function trainingCommands(h: Pick<CliHelpers, "usageError" | "required" | "intFlag">): Record<string, AnyDbCommand> {
  return {
    evaluate: {
      summary:
        "accuracy of a reward model on a preference file (reward(chosen) > reward(rejected); ties count as wrong), overall and per subset",
      usage: "evaluate --model ID --file F [--subset-field subset] [--batch-tokens N] [--device auto|cpu|cuda]",
      options: {
        model: { type: "string" },
        file: { type: "string" },
        "subset-field": { type: "string" },
        "batch-tokens": { type: "string" },
        device: { type: "string" },
      },
      async runAny(db, f) {
        const modelId = h.intFlag(f, "model", 0);
        if (modelId < 1) throw h.usageError("--model is required (a model id from the Models page)");
        const file = h.required(f, "file");
        const device = typeof f.device === "string" ? f.device : "auto";
        if (device !== "auto" && device !== "cpu" && device !== "cuda") throw h.usageError("--device is auto, cpu or cuda");
        const batchTokens = h.intFlag(f, "batch-tokens", 16384);
        if (batchTokens < 1) throw h.usageError("--batch-tokens takes a whole number >= 1");
        const model = await getScoringModel(db, modelId);
        const pool = new ScoringPool({ device, batchTokens });
        try {
          const bar = progressBar("evaluating [{bar}] {percentage}% | {value}/{total} responses");
          const r = await evaluatePreferenceFile({
            file,
            subsetField: typeof f["subset-field"] === "string" ? f["subset-field"] : null,
            score: scorerFor(model, pool),
            onProgress: bar.update,
          });
          bar.stop();
          const pct = (a: number | null) => (a === null ? "–" : `${(100 * a).toFixed(1)} %`);
          const lines = [
            `accuracy ${pct(r.accuracy)} on ${r.n} pairs (reward(chosen) > reward(rejected); ${r.ties} ties counted wrong)`,
            ...Object.entries(r.subsets).map(([name, s]) => `  ${name}: ${pct(s.accuracy)} of ${s.n}`),
          ];
          return { json: { accuracy: r.accuracy, n: r.n, subsets: r.subsets }, text: lines.join("\n") };
        } finally {
          await pool.close();
        }
      },
    },
  };
}
