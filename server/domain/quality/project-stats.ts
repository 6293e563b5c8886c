/**
 * A project's quality and leaderboard statistics: loads the current judgments (superseded ones and
 * excluded annotators left out) and feeds them to the pure functions in server/domain/stats. The
 * `agreement`, `models` and `annotators` keys are DESIGN.md's `stats` shape; the rest feeds the
 * quality dashboard.
 */
import { type Conn, domainOp, type Op } from "@/server/database";
import { AppError } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import {
  aggregateBattles,
  type Battle,
  type BattleWinner,
  bootstrapKrippendorffAlpha,
  bootstrapPercentAgreement,
  buildReliabilityData,
  computeAnnotatorBias,
  computeCumulativeAgreement,
  computeKrippendorffAlpha,
  computePairwiseKappa,
  computePercentAgreement,
  computeWinRates,
  fitBradleyTerry,
  fitDawidSkene,
  type JudgmentRecord,
} from "@/server/domain/stats";
import { isGoldCorrect } from "./gold-answer";
import { loadQualityData, type QualityData, type QualityJudgment } from "./load-judgments";

export interface ProjectStatsOptions {
  projectId: number;
  /** Baseline model for win rates; default: the model in the most battles. */
  baseline?: string;
  /** Compute from one criterion's answers instead of the overall outcome. */
  criterion?: string;
  /** Bootstrap resamples for BT and agreement intervals (default 100). */
  resamples?: number;
  /** Include every item's Dawid-Skene posterior (one row per item: large for big projects). */
  posteriors?: boolean;
}

export interface ModelStats {
  model: string;
  /** Against the baseline, AlpacaEval's definition (tie and both-bad = ½), 0–100; null for the baseline itself and models that never met it. */
  win_rate: number | null;
  standard_error: number | null;
  n_wins: number;
  n_wins_base: number;
  n_draws: number;
  n_total: number;
  /** Bradley-Terry rating, Elo scale (400·log10, mean 1000). */
  bt_rating: number;
  /** Seeded percentile-bootstrap 95 % interval. */
  bt_ci: [number | null, number | null];
  /** All battles of the model, against any opponent. */
  battles: number;
}

export interface AnnotatorStats {
  annotator_id: number;
  annotator: string;
  external: boolean;
  judgments: number;
  /** Share of decisive choices that picked the left-hand response, with a two-sided binomial test p. */
  left_share: number | null;
  position_p_value: number | null;
  /** Share of decisive choices that picked the longer response (compare with `project.longer_share`). */
  longer_share: number | null;
  tie_rate: number;
  both_bad_rate: number;
  median_seconds: number | null;
  too_fast: boolean;
  majority_agreement: number | null;
  majority_items: number;
  gold_judged: number;
  gold_correct: number;
  gold_accuracy: number | null;
  /** Wilson 95 % interval. */
  gold_ci: [number, number] | null;
  repeats: number;
  flips: number;
  flip_rate: number | null;
  /** Dawid-Skene estimate of P(annotator gives the true label). */
  ds_accuracy: number | null;
}

export interface ProjectStats {
  project: { id: number; name: string; criteria: string[] };
  baseline: string | null;
  criterion: string | null;
  judgments: number;
  battles: number;
  agreement: {
    krippendorff_alpha: number | null;
    /** 0–100, pooled pairwise. */
    percent_agreement: number | null;
    /** Items judged by at least two annotators. */
    items: number;
    alpha_ci: [number | null, number | null];
    percent_agreement_ci: [number | null, number | null];
    /** Ordinal α on the signed strength scale (−4 … 4, 0 = tie/both bad); null without strengths. */
    krippendorff_alpha_strength: number | null;
    kappa_pairs: { annotator_a: string; annotator_b: string; kappa: number | null; shared: number; ci: [number | null, number | null] }[];
    /** Cumulative agreement after each tenth of the judgments, oldest first. */
    over_time: { judgments: number; at: number; krippendorff_alpha: number | null; percent_agreement: number | null }[];
  };
  models: ModelStats[];
  /** Pairwise win rates (row model vs column model, ties ½), 0–100. */
  matrix: { models: string[]; cells: { row: string; col: string; win_rate: number; n: number }[] };
  annotators: AnnotatorStats[];
  excluded_annotators: { annotator_id: number; annotator: string; reason: string }[];
  /** Project-wide longer-response share and median seconds, the reference for the per-annotator figures. */
  longer_share: number | null;
  median_seconds: number | null;
  dawid_skene: {
    priors: Record<string, number>;
    converged: boolean;
    items: number;
    disagrees_with_majority: number;
    /** With `posteriors`: P(true outcome) per item, outcomes a, b, tie, both_bad. */
    posteriors?: { item_id: number; label: string; posterior: Record<string, number> }[];
  } | null;
}

const PAIR_OUTCOMES = ["a", "b", "tie", "both_bad"] as const;

/**
 * Dawid-Skene stops when its log-likelihood moves less than this fraction per round (or after 100
 * rounds). On 306k synthetic judgments: 11 rounds, annotator accuracies within 0.015 of a 1,000-round
 * fit — 50 rounds (at 1e-6) only get within 0.0135, for 4× the time; the dashboard shows two decimals.
 */
const DS_LIKELIHOOD_TOLERANCE = 1e-5;

/** The judgment's pairwise answer under the chosen view (overall outcome or one criterion); null when it has none. */
function pairWinner(j: QualityJudgment, criterion: string | undefined): BattleWinner | null {
  if (criterion) return j.criteria[criterion] ?? null;
  if (j.outcome === "ranking") {
    const ranking = j.ranking;
    if (ranking?.length !== 2) return null;
    return ranking[0] === 0 ? "a" : "b";
  }
  return j.outcome;
}

/** Battles of one judgment: a pairwise answer, or every pair of a K > 2 ranking (higher ranked wins). */
function battlesOf(j: QualityJudgment, models: readonly string[], criterion: string | undefined, out: Battle[]): void {
  if (models.length === 2) {
    const winner = pairWinner(j, criterion);
    if (winner) out.push({ modelA: models[0] as string, modelB: models[1] as string, winner });
    return;
  }
  if (criterion) return;
  if (j.outcome === "ranking" && j.ranking) {
    for (let p = 0; p < j.ranking.length; p++) {
      for (let q = p + 1; q < j.ranking.length; q++) {
        const better = models[j.ranking[p] as number];
        const worse = models[j.ranking[q] as number];
        if (better !== undefined && worse !== undefined) out.push({ modelA: better, modelB: worse, winner: "a" });
      }
    }
  } else if (j.outcome === "tie" || j.outcome === "both_bad") {
    for (let p = 0; p < models.length; p++) {
      for (let q = p + 1; q < models.length; q++) out.push({ modelA: models[p] as string, modelB: models[q] as string, winner: j.outcome });
    }
  }
}

/** Nominal agreement value of a judgment: the pairwise answer, or the whole ranking for K > 2. */
function agreementValue(j: QualityJudgment, k: number, criterion: string | undefined): string | null {
  if (k === 2) return pairWinner(j, criterion);
  if (criterion) return null;
  return j.outcome === "ranking" ? `ranking:${JSON.stringify(j.ranking)}` : j.outcome;
}

/** Wilson score interval for a binomial proportion (z = 1.96). */
export function computeWilsonInterval(successes: number, n: number, z = 1.959963984540054): [number, number] | null {
  if (n === 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function sameAnswer(x: QualityJudgment, y: QualityJudgment): boolean {
  return x.outcome === y.outcome && JSON.stringify(x.ranking) === JSON.stringify(y.ranking);
}

/** Loads and computes a project's statistics. Throws NOT_FOUND for an unknown project, BAD_INPUT for an unknown criterion. */
export const computeProjectStats = domainOp(function* computeProjectStats(c: Conn, options: ProjectStatsOptions): Op<ProjectStats> {
  const project = yield* getProject.op(c, options.projectId);
  if (options.criterion !== undefined && !project.criteria.includes(options.criterion)) {
    throw new AppError(
      "BAD_INPUT",
      `criterion "${options.criterion}" is not one of project ${project.id}'s criteria (${project.criteria.join(", ") || "none"})`,
      [{ field: "criterion", message: "unknown criterion" }],
    );
  }
  return computeStatsFromData(yield* loadQualityData.op(c, project.id), {
    ...options,
    project: { id: project.id, name: project.name, criteria: project.criteria },
  });
});

/** The computation behind {@link computeProjectStats}, on already loaded data. */
export function computeStatsFromData(data: QualityData, options: ProjectStatsOptions & { project: ProjectStats["project"] }): ProjectStats {
  const { criterion } = options;
  const resamples = options.resamples ?? 100;
  const modelsOf = (itemId: number) => (data.responses.get(itemId) ?? []).map((r) => r.model);

  // Swapped repeats measure consistency only; the figures below use each first judgment.
  const primary = data.judgments.filter((j) => j.repeatOf === null);

  // Gold items are judged by every annotator: as battles they would outweigh every other item (and
  // exports leave them out too), so the leaderboard uses ordinary items only.
  const battles: Battle[] = [];
  for (const j of primary) if (!data.gold.has(j.itemId)) battlesOf(j, modelsOf(j.itemId), criterion, battles);

  // ---- agreement: one value per (item, annotator), the latest ----
  const latest = new Map<string, { j: QualityJudgment; value: string }>();
  for (const j of primary) {
    const value = agreementValue(j, modelsOf(j.itemId).length, criterion);
    if (value !== null) latest.set(`${j.itemId}\u0000${j.annotatorId}`, { j, value });
  }
  const agreementRecords = [...latest.values()].sort((x, y) => x.j.createdAt - y.j.createdAt || x.j.id - y.j.id);
  const toRecord = ({ j, value }: { j: QualityJudgment; value: string }) => ({
    unit: String(j.itemId),
    coder: String(j.annotatorId),
    value,
  });
  const codedRecords = agreementRecords.map(toRecord);
  const reliability = buildReliabilityData(codedRecords);
  const alpha = computeKrippendorffAlpha(reliability, "nominal");
  const percent = computePercentAgreement(reliability);
  const alphaCi = alpha.alpha === null ? null : bootstrapKrippendorffAlpha(reliability, "nominal", { resamples, seed: 0 });
  const percentCi = percent.agreement === null ? null : bootstrapPercentAgreement(reliability, { resamples, seed: 0 });

  const strengthRecords = agreementRecords.flatMap(({ j, value }) => {
    if (value === "a" || value === "b") {
      if (j.strength === null || criterion) return [];
      return [{ unit: String(j.itemId), coder: String(j.annotatorId), value: value === "a" ? -j.strength : j.strength }];
    }
    return value === "tie" || value === "both_bad" ? [{ unit: String(j.itemId), coder: String(j.annotatorId), value: 0 }] : [];
  });
  const hasStrength = strengthRecords.some((r) => r.value !== 0);
  const strengthAlpha = hasStrength ? computeKrippendorffAlpha(buildReliabilityData(strengthRecords), "ordinal").alpha : null;

  const names = new Map<string, string>();
  for (const j of data.judgments) names.set(String(j.annotatorId), j.annotator);
  const kappaPairs = computePairwiseKappa(reliability, { minShared: 20, bootstrap: { resamples, seed: 0 } }).map((p) => ({
    annotator_a: names.get(p.coderA) ?? p.coderA,
    annotator_b: names.get(p.coderB) ?? p.coderB,
    kappa: p.kappa,
    shared: p.shared,
    ci: [p.interval?.lower ?? null, p.interval?.upper ?? null] as [number | null, number | null],
  }));

  const steps = Math.min(10, agreementRecords.length);
  const checkpoints = Array.from({ length: steps }, (_, s) => Math.round((agreementRecords.length * (s + 1)) / steps));
  const overTime: ProjectStats["agreement"]["over_time"] = computeCumulativeAgreement(codedRecords, checkpoints).map((c) => ({
    judgments: c.records,
    at: agreementRecords[c.records - 1]?.j.createdAt ?? 0,
    krippendorff_alpha: c.alpha,
    percent_agreement: c.percentAgreement === null ? null : 100 * c.percentAgreement,
  }));

  // ---- leaderboard ----
  const battleCount = new Map<string, number>();
  for (const b of battles) {
    if (b.modelA === b.modelB) continue;
    battleCount.set(b.modelA, (battleCount.get(b.modelA) ?? 0) + 1);
    battleCount.set(b.modelB, (battleCount.get(b.modelB) ?? 0) + 1);
  }
  let baseline: string | null = options.baseline ?? null;
  if (baseline !== null && !battleCount.has(baseline)) {
    throw new AppError("BAD_INPUT", `baseline model "${baseline}" has no comparisons in project ${options.project.id}`, [
      { field: "baseline", message: "unknown model" },
    ]);
  }
  if (baseline === null) {
    let best = -1;
    for (const [model, n] of [...battleCount].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      if (n > best) {
        best = n;
        baseline = model;
      }
    }
  }
  const winRates = new Map(baseline === null ? [] : computeWinRates(battles, baseline).map((r) => [r.model, r]));
  const bt = battleCount.size >= 2 ? fitBradleyTerry(battles, { resamples, seed: 0 }) : null;
  const models: ModelStats[] = (bt?.ratings ?? []).map((r) => {
    const w = winRates.get(r.model);
    return {
      model: r.model,
      win_rate: w?.win_rate ?? null,
      standard_error: w?.standard_error ?? null,
      n_wins: w?.n_wins ?? 0,
      n_wins_base: w?.n_wins_base ?? 0,
      n_draws: w?.n_draws ?? 0,
      n_total: w?.n_total ?? 0,
      bt_rating: r.rating,
      bt_ci: [r.lower, r.upper],
      battles: r.battles,
    };
  });

  const counts = aggregateBattles(battles);
  const cells: ProjectStats["matrix"]["cells"] = [];
  for (const p of counts.pairs) {
    const n = p.winsI + p.winsJ + p.ties;
    if (n === 0) continue;
    const mi = counts.models[p.i] as string;
    const mj = counts.models[p.j] as string;
    cells.push({ row: mi, col: mj, win_rate: (100 * (p.winsI + p.ties / 2)) / n, n });
    cells.push({ row: mj, col: mi, win_rate: (100 * (p.winsJ + p.ties / 2)) / n, n });
  }
  const matrixModels = models.map((m) => m.model);

  // ---- annotators ----
  const records: JudgmentRecord[] = [];
  for (const j of data.judgments) {
    const resp = data.responses.get(j.itemId) ?? [];
    if (resp.length !== 2) continue;
    const winner = pairWinner(j, criterion);
    if (!winner) continue;
    records.push({
      annotator: String(j.annotatorId),
      item: String(j.itemId),
      winner,
      shownOrder: j.shownOrder,
      lengthA: resp[0]?.length ?? 0,
      lengthB: resp[1]?.length ?? 0,
      seconds: j.timeOnTaskMs === null ? null : j.timeOnTaskMs / 1000,
    });
  }
  const bias = computeAnnotatorBias(records);
  const biasById = new Map(bias.annotators.map((b) => [b.annotator, b]));

  const byAssignment = new Map<number, QualityJudgment>();
  for (const j of data.judgments) if (j.assignmentId !== null) byAssignment.set(j.assignmentId, j);

  const dsLabels: { item: string; annotator: string; label: number }[] = [];
  for (const r of codedRecords) {
    const label = PAIR_OUTCOMES.indexOf(r.value as (typeof PAIR_OUTCOMES)[number]);
    if (label >= 0) dsLabels.push({ item: r.unit, annotator: r.coder, label });
  }
  const ds =
    dsLabels.length > 0
      ? fitDawidSkene(dsLabels, { classes: PAIR_OUTCOMES.length, maxIterations: 100, likelihoodTolerance: DS_LIKELIHOOD_TOLERANCE })
      : null;
  const dsAccuracy = new Map(ds?.annotators.map((a) => [a.annotator, a.accuracy]) ?? []);
  let disagrees = 0;
  if (ds) {
    const votes = new Map<string, number[]>();
    for (const l of dsLabels) {
      let v = votes.get(l.item);
      if (!v) {
        v = [0, 0, 0, 0];
        votes.set(l.item, v);
      }
      v[l.label] = (v[l.label] ?? 0) + 1;
    }
    for (const item of ds.items) {
      const v = votes.get(item.item) ?? [];
      const top = Math.max(...v);
      if ((v[item.label] ?? 0) < top) disagrees += 1;
    }
  }

  const perAnnotator = new Map<number, { name: string; external: boolean; list: QualityJudgment[] }>();
  for (const j of data.judgments) {
    let a = perAnnotator.get(j.annotatorId);
    if (!a) {
      a = { name: j.annotator, external: j.external, list: [] };
      perAnnotator.set(j.annotatorId, a);
    }
    a.list.push(j);
  }
  const annotators: AnnotatorStats[] = [...perAnnotator]
    .map(([id, { name, external, list }]) => {
      const b = biasById.get(String(id));
      let goldJudged = 0;
      let goldCorrect = 0;
      let repeats = 0;
      let flips = 0;
      for (const j of list) {
        const accepted = data.gold.get(j.itemId);
        if (accepted && j.repeatOf === null) {
          goldJudged += 1;
          if (isGoldCorrect(j, accepted)) goldCorrect += 1;
        }
        if (j.repeatOf !== null) {
          const original = byAssignment.get(j.repeatOf);
          if (original) {
            repeats += 1;
            if (!sameAnswer(original, j)) flips += 1;
          }
        }
      }
      return {
        annotator_id: id,
        annotator: name,
        external,
        judgments: list.length,
        left_share: b?.leftShare ?? null,
        position_p_value: b?.positionPValue ?? null,
        longer_share: b?.longerShare ?? null,
        tie_rate: b?.tieRate ?? 0,
        both_bad_rate: b?.bothBadRate ?? 0,
        median_seconds: b?.medianSeconds ?? null,
        too_fast: b?.tooFast ?? false,
        majority_agreement: b?.majorityAgreement ?? null,
        majority_items: b?.majorityItems ?? 0,
        gold_judged: goldJudged,
        gold_correct: goldCorrect,
        gold_accuracy: goldJudged > 0 ? goldCorrect / goldJudged : null,
        gold_ci: computeWilsonInterval(goldCorrect, goldJudged),
        repeats,
        flips,
        flip_rate: repeats > 0 ? flips / repeats : null,
        ds_accuracy: dsAccuracy.get(String(id)) ?? null,
      };
    })
    .sort((x, y) => (x.annotator < y.annotator ? -1 : x.annotator > y.annotator ? 1 : x.annotator_id - y.annotator_id));

  return {
    project: options.project,
    baseline,
    criterion: criterion ?? null,
    judgments: data.judgments.length,
    battles: battles.length,
    agreement: {
      krippendorff_alpha: alpha.alpha,
      percent_agreement: percent.agreement === null ? null : 100 * percent.agreement,
      items: alpha.pairableUnits,
      alpha_ci: [alphaCi?.lower ?? null, alphaCi?.upper ?? null],
      percent_agreement_ci: [
        percentCi?.lower == null ? null : 100 * percentCi.lower,
        percentCi?.upper == null ? null : 100 * percentCi.upper,
      ],
      krippendorff_alpha_strength: strengthAlpha,
      kappa_pairs: kappaPairs,
      over_time: overTime,
    },
    models,
    matrix: { models: matrixModels, cells },
    annotators,
    excluded_annotators: data.excluded.map((e) => ({ annotator_id: e.userId, annotator: e.name, reason: e.reason })),
    longer_share: bias.longerShare,
    median_seconds: bias.medianSeconds,
    dawid_skene: ds
      ? {
          priors: Object.fromEntries(PAIR_OUTCOMES.map((o, i) => [o, ds.priors[i] ?? 0])),
          converged: ds.converged,
          items: ds.items.length,
          disagrees_with_majority: disagrees,
          ...(options.posteriors
            ? {
                posteriors: ds.items.map((it) => ({
                  item_id: Number(it.item),
                  label: PAIR_OUTCOMES[it.label] as string,
                  posterior: Object.fromEntries(PAIR_OUTCOMES.map((o, i) => [o, it.posterior[i] ?? 0])),
                })),
              }
            : {}),
        }
      : null,
  };
}
