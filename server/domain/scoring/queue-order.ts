/**
 * Active learning: the order in which a project's open items should be offered. `uncertainty` puts
 * the items the model can least tell apart first (smallest margin); `disagreement` puts first the
 * items two models disagree on most; `random` is a seeded shuffle. A share of every prefix of the
 * order is drawn uniformly at random from what is left (`randomShare`), so the judgments collected
 * under active learning still contain an unbiased sample of the pool for estimates (win rates,
 * model-vs-human agreement) that the uncertainty ordering would otherwise skew.
 */
import { createRng } from "@/server/domain/stats/random";

export const QUEUE_STRATEGIES = ["random", "uncertainty", "disagreement"] as const;
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number];

export type QueueCandidate = {
  itemId: number;
  /** Smallest reward gap of the item under the (first) model; null when unscored. */
  margin: number | null;
  /** Disagreement between the two models (strategy `disagreement`); null when unscored. */
  disagreement?: number | null;
};

export type QueuePlacement = QueueCandidate & {
  /** Placed by the random share rather than by the strategy's key. */
  random: boolean;
};

export type QueueOrderOptions = { strategy: QueueStrategy; randomShare: number; seed: number };

/**
 * The new queue order. Unscored items keep coming after every scored one (in input order) under the
 * model strategies; ties in the key keep input order. Deterministic for a given seed.
 */
export function orderQueue(candidates: readonly QueueCandidate[], options: QueueOrderOptions): QueuePlacement[] {
  const { strategy, seed } = options;
  const share = Math.min(1, Math.max(0, options.randomShare));
  const rng = createRng(seed);
  const n = candidates.length;
  const keyed = candidates.map((c, i) => ({ c, i }));
  let ranked: typeof keyed;
  if (strategy === "random") {
    ranked = keyed;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [ranked[i], ranked[j]] = [ranked[j] as (typeof keyed)[number], ranked[i] as (typeof keyed)[number]];
    }
    return ranked.map(({ c }) => ({ ...c, random: true }));
  }
  const key = (c: QueueCandidate): number | null =>
    strategy === "uncertainty" ? c.margin : c.disagreement == null ? null : -c.disagreement;
  ranked = [...keyed].sort((x, y) => {
    const kx = key(x.c);
    const ky = key(y.c);
    if (kx === null || ky === null) return kx === ky ? x.i - y.i : kx === null ? 1 : -1;
    return kx - ky || x.i - y.i;
  });
  // The random share: a seeded coin per slot; heads takes the next unplaced item of a seeded shuffle,
  // which is a uniform draw among the items not yet placed (the shuffle is independent of the ranking).
  const shuffled = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
  }
  const placed = new Uint8Array(n);
  const out: QueuePlacement[] = [];
  let next = 0;
  let nextRandom = 0;
  for (let slot = 0; slot < n; slot++) {
    if (share > 0 && rng.next() < share) {
      while (placed[shuffled[nextRandom] as number]) nextRandom++;
      const i = shuffled[nextRandom] as number;
      placed[i] = 1;
      out.push({ ...(candidates[i] as QueueCandidate), random: true });
    } else {
      while (placed[(ranked[next] as (typeof keyed)[number]).i]) next++;
      const { c, i } = ranked[next] as (typeof keyed)[number];
      placed[i] = 1;
      out.push({ ...c, random: false });
    }
  }
  return out;
}
