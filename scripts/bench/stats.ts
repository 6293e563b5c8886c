/**
 * bench:stats — leaderboard statistics at scale. Draws N seeded pairwise battles (default 1,000,000)
 * among M models with known Elo ratings, then times:
 *   1. Bradley-Terry fit + 100 bootstrap resamples (fitBradleyTerry, what `stats` runs; target ≤ 5 s),
 *   2. AlpacaEval win rates vs a baseline,
 *   3. the plain logistic-regression baseline (fitLogisticRegressionBaseline: one design row per battle,
 *      IRLS), a single point fit,
 * and prints the speed-up of one aggregated BT fit over the plain regression, and how closely the two
 * agree. First, the whole quality dashboard (computeStatsFromData: agreement with bootstrap intervals,
 * agreement over time, κ for every annotator pair with intervals, leaderboard, bias, gold, flip rates,
 * Dawid-Skene) on a synthetic project of `--dashboard-items` items × 3 judgments (default 100,000 items,
 * ≈ 306k judgments), timed once with a per-part breakdown from the same functions.
 * Usage: npm run bench:stats [-- --battles N --models M --dashboard-items N]
 */
import { parseArgs } from "node:util";
import { computeStatsFromData } from "@/server/domain/quality/project-stats";
import { type Battle, computeWinRates, createRng, fitBradleyTerry, fitLogisticRegressionBaseline } from "@/server/domain/stats";
import { makeQualityData } from "./quality-data";

const { values } = parseArgs({
  options: { battles: { type: "string" }, models: { type: "string" }, "dashboard-items": { type: "string" } },
});
const N = Number(values.battles ?? 1_000_000);
const M = Number(values.models ?? 10);
const DASHBOARD_ITEMS = Number(values["dashboard-items"] ?? 100_000);

/** Wall seconds, and CPU seconds of this process (user + system): on a shared machine the second shows the work itself. */
function time<T>(label: string, fn: () => T): { result: T; seconds: number; cpuSeconds: number } {
  process.stderr.write(`${label}…\n`);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { result, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

// The dashboard first, on its own heap: the million battles below would otherwise inflate its GC.
const quality = makeQualityData({ items: DASHBOARD_ITEMS, overlap: 3, annotators: 30, models: M });
const dashboard = time(`quality dashboard on ${quality.judgments.length.toLocaleString("en")} judgments`, () =>
  computeStatsFromData(quality, { projectId: 1, project: { id: 1, name: "bench", criteria: [] } }),
);
const dashboardTarget = 5;
const dashboardJudgments = quality.judgments.length;
quality.judgments.length = 0;

const rng = createRng(42);
const models = Array.from({ length: M }, (_, i) => `model-${String(i).padStart(2, "0")}`);
const truth = models.map((_, i) => 1000 + (i - (M - 1) / 2) * 40);
const battles: Battle[] = new Array(N);
for (let t = 0; t < N; t++) {
  const i = Math.floor(rng.next() * M);
  let j = Math.floor(rng.next() * (M - 1));
  if (j >= i) j += 1;
  const pA = 1 / (1 + 10 ** (((truth[j] as number) - (truth[i] as number)) / 400));
  const u = rng.next();
  // 10 % ties, the rest split by the true win probability.
  const winner = u < 0.1 ? "tie" : rng.next() < pA ? "a" : "b";
  battles[t] = { modelA: models[i] as string, modelB: models[j] as string, winner };
}
process.stderr.write(`generated ${N.toLocaleString("en")} battles among ${M} models\n`);

const bt = time("Bradley-Terry + 100 bootstrap resamples", () => fitBradleyTerry(battles, { resamples: 100, seed: 0 }));
const btPoint = time("Bradley-Terry point fit", () => fitBradleyTerry(battles, { resamples: 0 }));
const wr = time("win rates vs baseline", () => computeWinRates(battles, models[0] as string));
const lr = time("plain logistic regression (one point fit)", () => fitLogisticRegressionBaseline(battles));

const maxDiff = Math.max(
  ...bt.result.ratings.map((r) => {
    const lrRating = lr.result.find((x) => x.model === r.model)?.rating ?? Number.NaN;
    return Math.abs(lrRating - r.rating);
  }),
);

const report = {
  battles: N,
  models: M,
  bt_plus_100_bootstrap_s: bt.seconds,
  target_s: 5,
  within_target: bt.seconds <= 5,
  bt_point_fit_s: btPoint.seconds,
  win_rates_s: wr.seconds,
  logistic_regression_point_fit_s: lr.seconds,
  speedup_point_fit_vs_logistic: lr.seconds / btPoint.seconds,
  max_rating_diff_vs_logistic: maxDiff,
  dashboard_judgments: dashboardJudgments,
  dashboard_s: dashboard.seconds,
  dashboard_cpu_s: dashboard.cpuSeconds,
  dashboard_target_s: dashboardTarget,
  dashboard_kappa_pairs: dashboard.result.agreement.kappa_pairs.length,
  dashboard_alpha: dashboard.result.agreement.krippendorff_alpha,
};
console.log(JSON.stringify(report, null, 2));
console.log(
  `BT + 100 bootstrap on ${N.toLocaleString("en")} battles: ${bt.seconds.toFixed(2)} s (target ≤ 5 s: ${report.within_target ? "met" : "MISSED"}); ` +
    `one BT fit ${btPoint.seconds.toFixed(3)} s vs plain logistic regression ${lr.seconds.toFixed(2)} s = ${report.speedup_point_fit_vs_logistic.toFixed(0)}× faster; ` +
    `ratings agree within ${maxDiff.toExponential(1)} Elo.`,
);
console.log(
  `Quality dashboard (α + 100 bootstrap, α over time, ${report.dashboard_kappa_pairs} κ pairs + bootstrap, BT, bias, Dawid-Skene) on ` +
    `${dashboardJudgments.toLocaleString("en")} judgments: ${dashboard.seconds.toFixed(2)} s wall, ${dashboard.cpuSeconds.toFixed(2)} s CPU ` +
    `(target ≤ ${dashboardTarget} s: ${dashboard.seconds <= dashboardTarget ? "met" : "MISSED"}).`,
);
