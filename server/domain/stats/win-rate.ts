import type { Battle } from "./battle";

/** AlpacaEval-style leaderboard row for one model against the baseline. */
export interface WinRateRow {
  model: string;
  /** 100 × mean score (win 1, tie or both-bad ½, loss 0). */
  win_rate: number;
  /** 100 × sample sd (ddof = 1) / √n; null when n < 2 (undefined). */
  standard_error: number | null;
  /** Comparisons the model won. */
  n_wins: number;
  /** Comparisons the baseline won. */
  n_wins_base: number;
  /** Ties plus both-bad outcomes. */
  n_draws: number;
  n_total: number;
}

/**
 * Win rate of every model against `baseline`, with AlpacaEval's definition (alpaca_eval
 * `metrics.get_winrate`/`pairwise_to_winrate`): over the battles between model M and the baseline,
 * M scores 1 for a win, ½ for a tie, 0 for a loss; both-bad counts as a draw (½) here.
 * `win_rate = 100 · mean`, `standard_error = 100 · sd(ddof = 1) / √n`.
 * Battles not involving the baseline, and baseline-vs-baseline battles, are ignored; either side may
 * be the baseline. Rows are sorted by win rate, best first (ties by model name); models that never met
 * the baseline are absent.
 */
export function computeWinRates(battles: readonly Battle[], baseline: string): WinRateRow[] {
  const tallies = new Map<string, { wins: number; losses: number; draws: number }>();
  for (const { modelA, modelB, winner } of battles) {
    if (modelA === modelB || (modelA !== baseline && modelB !== baseline)) continue;
    const model = modelA === baseline ? modelB : modelA;
    const modelSide = modelA === baseline ? "b" : "a";
    let tally = tallies.get(model);
    if (!tally) {
      tally = { wins: 0, losses: 0, draws: 0 };
      tallies.set(model, tally);
    }
    if (winner === "tie" || winner === "both_bad") tally.draws += 1;
    else if (winner === modelSide) tally.wins += 1;
    else tally.losses += 1;
  }

  const rows: WinRateRow[] = [];
  for (const [model, { wins, losses, draws }] of tallies) {
    const n = wins + losses + draws;
    const mean = (wins + 0.5 * draws) / n;
    // Σ (x − mean)² over scores 1, ½, 0.
    const sumSq = wins * (1 - mean) ** 2 + draws * (0.5 - mean) ** 2 + losses * mean ** 2;
    rows.push({
      model,
      win_rate: 100 * mean,
      standard_error: n >= 2 ? (100 * Math.sqrt(sumSq / (n - 1))) / Math.sqrt(n) : null,
      n_wins: wins,
      n_wins_base: losses,
      n_draws: draws,
      n_total: n,
    });
  }
  return rows.sort((x, y) => y.win_rate - x.win_rate || (x.model < y.model ? -1 : x.model > y.model ? 1 : 0));
}
