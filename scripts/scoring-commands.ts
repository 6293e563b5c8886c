/**
 * CLI commands that put a reward model to work (issue #7): `score` (a JSONL file, or a project's
 * responses as a scored dataset) and `queue` (active-learning order of a project's queue). Each is a
 * thin shell over server/domain/scoring with the scoring worker pool of server/jobs.
 */
import type { AnyDb } from "@/server/database";
import { resolveProjectRef } from "@/server/domain/projects";
import {
  getScoringModel,
  peekQueue,
  reorderQueue,
  scoreProjectResponses,
  writeScoredDataset,
} from "@/server/domain/scoring/project-scores";
import { QUEUE_STRATEGIES, type QueueStrategy } from "@/server/domain/scoring/queue-order";
import { scoreJsonlFile } from "@/server/domain/scoring/score-file";
import { ScoringPool, scorerFor } from "@/server/jobs/scoring";
import type { AnyDbCommand, CliHelpers, Flags } from "./cli-types";
import { progressBar } from "./progress";

function poolFor(h: CliHelpers, f: Flags): ScoringPool {
  const device = typeof f.device === "string" ? f.device : "auto";
  if (device !== "auto" && device !== "cpu" && device !== "cuda") throw h.usageError("--device is auto, cpu or cuda");
  const batchTokens = h.intFlag(f, "batch-tokens", 16384);
  if (batchTokens < 1) throw h.usageError("--batch-tokens takes a whole number >= 1");
  return new ScoringPool({ device, batchTokens });
}

export function scoringCommands(h: CliHelpers): Record<string, AnyDbCommand> {
  return {
    score: {
      summary: "score a JSONL file with a reward model (every field kept, plus reward), or write a project's scored dataset",
      usage: "score --model ID (--file F | --project ID [--scope all|judged|open]) --out F [--batch-tokens N] [--device auto|cpu|cuda]",
      options: {
        model: { type: "string" },
        file: { type: "string" },
        project: { type: "string" },
        scope: { type: "string" },
        out: { type: "string" },
        "batch-tokens": { type: "string" },
        device: { type: "string" },
      },
      async runAny(db, f) {
        const modelId = h.intFlag(f, "model", 0);
        if (modelId < 1) throw h.usageError("--model is required (a model id from the Models page)");
        const out = h.required(f, "out");
        if ((typeof f.file === "string") === (typeof f.project === "string")) throw h.usageError("give --file or --project (one of them)");
        const scope = typeof f.scope === "string" ? f.scope : "all";
        if (scope !== "all" && scope !== "judged" && scope !== "open") throw h.usageError("--scope is all, judged or open");
        const model = await getScoringModel(db, modelId);
        const pool = poolFor(h, f);
        const score = scorerFor(model, pool);
        try {
          if (typeof f.file === "string") {
            const bar = progressBar("scoring [{bar}] {percentage}% | {value}/{total} MB | {eta_formatted} left");
            const mb = (n: number) => Math.round(n / 1e5) / 10;
            const r = await scoreJsonlFile({ file: f.file, out, score, onProgress: (bytes, total) => bar.update(mb(bytes), mb(total)) });
            bar.stop();
            return { json: { rows: r.rows }, text: `scored ${r.rows} lines with model ${model.id} into ${out}` };
          }
          const projectId = await resolveProjectRef(db, f.project as string);
          const bar = progressBar("scoring [{bar}] {percentage}% | {value}/{total} responses | {eta_formatted} left");
          const s = await scoreProjectResponses(db, { projectId, modelId, scope: scope as "all", score, onProgress: bar.update });
          bar.stop();
          const r = await writeScoredDataset(db, { projectId, modelId, out });
          return {
            json: { rows: r.rows, scored: s.scored, cached: s.cached, sha256: r.sha256 },
            text: `wrote ${r.rows} scored responses (prompt, response, reward) to ${out}; ${s.scored} newly scored, ${s.cached} already scored`,
          };
        } finally {
          await pool.close();
        }
      },
    },
    queue: {
      summary:
        "order a project's open items for active learning (model uncertainty, two-model disagreement, or random) and print the next ones",
      usage: `queue --project ID --strategy ${QUEUE_STRATEGIES.join("|")} [--model ID] [--versus ID] [--limit N] [--random-share 0.1] [--seed N]`,
      options: {
        project: { type: "string" },
        strategy: { type: "string" },
        model: { type: "string" },
        versus: { type: "string" },
        limit: { type: "string" },
        "random-share": { type: "string" },
        seed: { type: "string" },
        "batch-tokens": { type: "string" },
        device: { type: "string" },
      },
      async runAny(db, f) {
        const strategy = h.required(f, "strategy") as QueueStrategy;
        if (!QUEUE_STRATEGIES.includes(strategy)) throw h.usageError(`--strategy is one of ${QUEUE_STRATEGIES.join(", ")}`);
        const modelId = f.model === undefined ? undefined : h.intFlag(f, "model", 0);
        const versusId = f.versus === undefined ? undefined : h.intFlag(f, "versus", 0);
        if (strategy !== "random" && modelId === undefined) throw h.usageError(`--strategy ${strategy} needs --model`);
        if (strategy === "disagreement" && versusId === undefined)
          throw h.usageError("--strategy disagreement needs --versus (a second model)");
        const limit = h.intFlag(f, "limit", 20);
        if (limit < 1) throw h.usageError("--limit takes a whole number >= 1");
        const share = f["random-share"] === undefined ? 0.1 : Number(f["random-share"]);
        if (!(share >= 0 && share <= 1)) throw h.usageError("--random-share takes a number from 0 to 1");
        const seed = h.intFlag(f, "seed", 0);
        const projectId = await resolveProjectRef(db, h.required(f, "project"));
        const pool = poolFor(h, f);
        try {
          for (const id of [modelId, versusId]) {
            if (id === undefined) continue;
            const model = await getScoringModel(db, id);
            const bar = progressBar(`scoring open items with model ${id} [{bar}] {percentage}% | {value}/{total} responses`);
            await scoreProjectResponses(db, {
              projectId,
              modelId: id,
              scope: "open",
              score: scorerFor(model, pool),
              onProgress: bar.update,
            });
            bar.stop();
          }
        } finally {
          await pool.close();
        }
        const r = await reorderQueue(db, { projectId, strategy, modelId, versusModelId: versusId, randomShare: share, seed });
        const next = await peekQueue(db, { projectId, modelId, limit });
        const fmt = (m: number | null) => (m === null ? "—" : m.toFixed(4));
        return {
          json: {
            items: next.map((n) => ({ item: n.item, margin: n.margin })),
            reordered: r.reordered,
            unscored: r.unscored,
            strategy,
            random_share: share,
          },
          text: [
            `reordered ${r.reordered} open items of project ${projectId} by ${strategy} (random share ${share}${r.unscored ? `, ${r.unscored} unscored at the end` : ""}); next:`,
            ...next.map((n) => `  item ${n.item}${n.external_id ? ` (${n.external_id})` : ""}  margin ${fmt(n.margin)}`),
          ].join("\n"),
        };
      },
    },
  };
}
