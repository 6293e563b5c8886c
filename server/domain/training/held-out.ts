/**
 * Honest numbers for trained models: which judgments a job trained on and held out (job_judgments),
 * model-vs-human agreement on held-out judgments apart from trained-on ones, and a verdict on whether a
 * held-out accuracy is above chance at all (a reward model at or below 50 % on pairs it never saw has
 * learned nothing usable, whatever its training accuracy says).
 */
import { eq } from "drizzle-orm";
import { jobJudgments, models } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { AppError } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import { loadQualityData } from "@/server/domain/quality/load-judgments";
import { computeModelHumanAgreement, type HumanVote, type Rate } from "@/server/domain/scoring/agreement";
import { loadItemRewards } from "@/server/domain/scoring/project-scores";

export type ChanceVerdict = {
  /** below: at or under chance; uncertain: above 50 % but the 95 % interval reaches it; above; unknown: no held-out data. */
  level: "below" | "uncertain" | "above" | "unknown";
  accuracy: number | null;
  n: number;
  /** Wilson 95 % interval of the accuracy (0–1). */
  interval: [number, number] | null;
  message: string;
  /** What to try, most likely first (empty when above chance). */
  tips: string[];
};

const TIPS = [
  "train on more judgments (a few hundred pairs at least; the tiny byte-level model needs thousands)",
  "start from a pretrained base (--base owner/name or a folder in ARBITER_MODELS_DIR) instead of tiny or --init random",
  "train longer (more epochs) or with a lower learning rate if the training loss is unstable",
  "check the annotators agree with each other (quality page): noisy or contradictory labels cap what a model can learn",
];

/** Wilson score interval for k successes in n trials (z = 1.96). */
export function wilsonInterval(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.96;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Whether a held-out pairwise accuracy (0–1, over `n` pairs) beats chance (0.5). Ties count as wrong in
 * the accuracy (RewardBench's convention), so a model that scores every pair alike sits at 0 %, not 50 %.
 */
export function chanceVerdict(accuracy: number | null | undefined, n: number): ChanceVerdict {
  if (accuracy === null || accuracy === undefined || !Number.isFinite(accuracy) || n <= 0) {
    return { level: "unknown", accuracy: null, n: 0, interval: null, message: "no held-out judgments to measure against", tips: [] };
  }
  const interval = wilsonInterval(Math.round(accuracy * n), n);
  const pct = `${(100 * accuracy).toFixed(1)} %`;
  if (accuracy <= 0.5) {
    return {
      level: "below",
      accuracy,
      n,
      interval,
      message: `at or below chance on held-out judgments: ${pct} of ${n} (chance is 50 %) — this model has not learned the annotators' preferences`,
      tips: TIPS,
    };
  }
  if (interval[0] <= 0.5) {
    return {
      level: "uncertain",
      accuracy,
      n,
      interval,
      message: `${pct} of ${n} held-out pairs is not clearly above chance (95 % interval ${(100 * interval[0]).toFixed(0)}–${(100 * interval[1]).toFixed(0)} %)`,
      tips: TIPS,
    };
  }
  return { level: "above", accuracy, n, interval, message: `${pct} of ${n} held-out pairs, above chance`, tips: [] };
}

/** The verdict for a finished job or model from its trainer metrics and recorded split. */
export function verdictFromMetrics(metrics: Record<string, unknown> | null | undefined, config: Record<string, unknown>): ChanceVerdict {
  const acc = metrics?.eval_accuracy;
  const meta = config.meta as { data?: { split?: { eval_judgments?: unknown } | null } } | undefined;
  const evalPairs = metrics?.eval_pairs;
  const n = typeof evalPairs === "number" ? evalPairs : Number(meta?.data?.split?.eval_judgments ?? 0);
  return chanceVerdict(typeof acc === "number" ? acc : null, Number.isFinite(n) ? n : 0);
}

export type JobSplit = { train: Set<number>; eval: Set<number> };

/** The judgments a job trained on and held out; null for a job that recorded none (trained before splits were recorded). */
export const loadJobSplit = domainOp(function* loadJobSplit(c: Conn, jobId: number): Op<JobSplit | null> {
  const rows = yield* c.all(
    c.q.select({ judgmentId: jobJudgments.judgmentId, split: jobJudgments.split }).from(jobJudgments).where(eq(jobJudgments.jobId, jobId)),
  );
  if (rows.length === 0) return null;
  const out: JobSplit = { train: new Set(), eval: new Set() };
  for (const r of rows) out[r.split].add(r.judgmentId);
  return out;
});

type SplitRate = Rate & { majority: Rate };
export type HeldOutAgreement = {
  jobId: number | null;
  /** False when the model's job recorded no split: every judgment is then in `notInTraining` or unknown. */
  recorded: boolean;
  /** Headline: judgments the model never trained on (its held-out split plus judgments outside its data). */
  notTrainedOn: SplitRate;
  heldOut: SplitRate;
  /** Judgments outside the job's data: newer than the job, or left out by its policies. */
  outsideData: SplitRate;
  trainedOn: SplitRate;
  verdict: ChanceVerdict;
};

/**
 * Model-vs-human agreement split by what the model saw: held-out, outside its data, trained on. The same
 * votes as the model-vs-humans page (current judgments, swapped repeats and gold items left out).
 */
export const computeHeldOutAgreement = domainOp(function* computeHeldOutAgreement(
  c: Conn,
  params: { projectId: number; modelId: number },
): Op<HeldOutAgreement> {
  const project = yield* getProject.op(c, params.projectId);
  const model = yield* c.first(c.q.select().from(models).where(eq(models.id, params.modelId)));
  if (!model) throw new AppError("NOT_FOUND", `no model ${params.modelId}`);
  const split = model.jobId === null ? null : yield* loadJobSplit.op(c, model.jobId);
  const data = yield* loadQualityData.op(c, project.id);
  const groups: Record<"heldOut" | "outsideData" | "trainedOn", HumanVote[]> = { heldOut: [], outsideData: [], trainedOn: [] };
  for (const j of data.judgments) {
    if (j.repeatOf !== null || data.gold.has(j.itemId)) continue;
    const vote: HumanVote = {
      itemId: j.itemId,
      annotator: j.annotator,
      createdAt: j.createdAt,
      outcome: j.outcome,
      ranking: j.ranking,
      criteria: j.criteria,
    };
    if (split?.train.has(j.id)) groups.trainedOn.push(vote);
    else if (split?.eval.has(j.id)) groups.heldOut.push(vote);
    else groups.outsideData.push(vote);
  }
  const rewards = yield* loadItemRewards.op(c, project.id, model.id);
  const rateOf = (votes: HumanVote[]): SplitRate => {
    const r = computeModelHumanAgreement(votes, rewards, { criteria: [], disagreements: 0 });
    return { agreement: r.overall.agreement, n: r.overall.n, majority: r.majority };
  };
  const notTrainedOn = rateOf([...groups.heldOut, ...groups.outsideData]);
  return {
    jobId: model.jobId,
    recorded: split !== null,
    notTrainedOn,
    heldOut: rateOf(groups.heldOut),
    outsideData: rateOf(groups.outsideData),
    trainedOn: rateOf(groups.trainedOn),
    verdict: chanceVerdict(notTrainedOn.agreement === null ? null : notTrainedOn.agreement / 100, notTrainedOn.n),
  };
});

/** Judgment ids of a job by split, for the CLI and tests. */
export const jobJudgmentIds = domainOp(function* jobJudgmentIds(c: Conn, jobId: number): Op<{ train: number[]; eval: number[] }> {
  const rows = yield* c.all(
    c.q.select({ judgmentId: jobJudgments.judgmentId, split: jobJudgments.split }).from(jobJudgments).where(eq(jobJudgments.jobId, jobId)),
  );
  const out = { train: [] as number[], eval: [] as number[] };
  for (const r of rows) out[r.split].push(r.judgmentId);
  out.train.sort((a, b) => a - b);
  out.eval.sort((a, b) => a - b);
  return out;
});
