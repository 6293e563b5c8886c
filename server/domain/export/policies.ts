/**
 * Export policies as pure functions over plain rows: an item with its responses and judgments goes
 * in, pairwise preference rows come out. No database here, so every policy is unit-tested directly.
 */
import { z } from "zod";
import type { Content, CriteriaOutcomes, Outcome } from "@/db/schema";

const AGGREGATES = ["all", "majority", "soft", "dawid-skene"] as const;

export const zExportPolicies = z.object({
  /** Ties: drop them, or keep them as tie rows (raw, arena, csv, and soft labels). */
  ties: z.enum(["drop", "keep"]).default("drop"),
  bothBad: z.enum(["drop", "keep"]).default("drop"),
  /** K > 2 rankings: every C(K,2) pair, or the best response against each of the rest. */
  kway: z.enum(["all-pairs", "best-vs-rest"]).default("all-pairs"),
  /**
   * all: one row per vote; majority: one row per pair; soft: majority plus vote counts;
   * dawid-skene: one row per pair labelled with the Dawid-Skene posterior winner, p_chosen = its posterior.
   */
  aggregate: z.enum(AGGREGATES).default("all"),
  /** A pair needs at least this many votes to be exported (after the other filters). */
  minVotes: z.number().int().min(1).default(1),
  /** Use this criterion's answer instead of the overall outcome; judgments without it are skipped. */
  criterion: z.string().min(1).optional(),
  /** TRL `margin` column from strength (1..4; 0 for majority rows without strengths). */
  margin: z.boolean().default(false),
});
/**
 * The policies as a caller sends them (tRPC): every field optional and no default filled in, so that
 * `exportPoliciesFor` can apply the format's own (raw keeps ties and both-bad unless asked to drop).
 * zod's `.partial()` of zExportPolicies would not do: an optional field with a default still gets it.
 */
export const zExportPoliciesInput = z.object({
  ties: z.enum(["drop", "keep"]).optional(),
  bothBad: z.enum(["drop", "keep"]).optional(),
  kway: z.enum(["all-pairs", "best-vs-rest"]).optional(),
  aggregate: z.enum(AGGREGATES).optional(),
  minVotes: z.number().int().min(1).optional(),
  criterion: z.string().min(1).optional(),
  margin: z.boolean().optional(),
});
export type ExportPolicies = z.infer<typeof zExportPolicies>;
export type ExportPoliciesInput = z.input<typeof zExportPolicies>;

/** `json`, when present, is the stored JSON text of `content` (as JSON.stringify wrote it). */
export type ExportResponse = { idx: number; model: string; content: Content; json?: string };
export type ExportJudgment = {
  id: number;
  annotatorId: number;
  outcome: Outcome;
  ranking: number[] | null;
  strength: number | null;
  criteria: CriteriaOutcomes;
  rationale: string | null;
  shownOrder: number[] | null;
  timeOnTaskMs: number | null;
  source: string;
  supersedesId: number | null;
  createdAt: number;
  /** Set on a deliberate swapped repeat (the assignment it repeats): a consistency probe, never a vote. */
  repeatOf?: number | null;
  /** The annotator's group (an admin-defined label, e.g. "medical experts") at export time; null when in none. */
  annotatorGroup?: string | null;
};
export type ExportItem = {
  id: number;
  externalId: string | null;
  prompt: Content;
  /** The stored JSON text of `prompt`, when read from the database. */
  promptJson?: string;
  metadata: Record<string, unknown>;
  responses: ExportResponse[];
  judgments: ExportJudgment[];
};

/** One vote on one pair of responses, `i < j` (response indices). */
export type PairVote = {
  i: number;
  j: number;
  result: "i" | "j" | "tie" | "both_bad";
  strength: number | null;
  judgment: ExportJudgment;
};

export type VoteCounts = { votes_a: number; votes_b: number; votes_tie: number; p_chosen: number; entropy: number };

/** An exported preference: `chosen`/`rejected` are responses; for ties they keep canonical order. */
export type PairRow = {
  item: ExportItem;
  chosen: ExportResponse;
  rejected: ExportResponse;
  result: "win" | "tie" | "both_bad";
  strength: number | null;
  /** Present on one-vote rows (aggregate all): who judged and when. */
  judgment: ExportJudgment | null;
  judgmentIds: number[];
  votes: VoteCounts | null;
};

/**
 * The judgments that vote: not replaced by a later correction, and not a swapped repeat (a repeat
 * re-asks an annotator an item they already judged, to measure consistency; counting it would give
 * that annotator two votes, so the first judgment is the one exported).
 */
export function currentJudgments(judgments: ExportJudgment[]): ExportJudgment[] {
  let replaced: Set<number> | null = null;
  let repeats = false;
  for (const j of judgments) {
    if (j.supersedesId !== null) {
      replaced ??= new Set();
      replaced.add(j.supersedesId);
    }
    if ((j.repeatOf ?? null) !== null) repeats = true;
  }
  if (replaced === null && !repeats) return judgments;
  return judgments.filter((j) => !replaced?.has(j.id) && (j.repeatOf ?? null) === null);
}

function order(a: number, b: number, winner: number | null): Omit<PairVote, "strength" | "judgment"> {
  const i = Math.min(a, b);
  const j = Math.max(a, b);
  return { i, j, result: winner === null ? "tie" : winner === i ? "i" : "j" };
}

/** Turns one judgment into its pairwise votes under the K-way and criterion policies. */
export function votesOf(j: ExportJudgment, k: number, policies: ExportPolicies): PairVote[] {
  let outcome: Outcome | undefined = j.outcome;
  if (policies.criterion !== undefined) outcome = j.criteria[policies.criterion];
  if (outcome === undefined) return [];
  if (outcome === "ranking") {
    const r = j.ranking ?? [];
    const out: PairVote[] = [];
    const strength = null;
    for (let p = 0; p < r.length; p++) {
      for (let q = p + 1; q < r.length; q++) {
        if (policies.kway === "best-vs-rest" && p > 0) break;
        const a = r[p] as number;
        const b = r[q] as number;
        out.push({ ...order(a, b, a), strength, judgment: j });
      }
    }
    return out;
  }
  if (k < 2) return [];
  // Object literals, not spreads: this runs once per judgment of a million-row export.
  if (outcome === "a") return [{ i: 0, j: 1, result: "i", strength: j.strength, judgment: j }];
  if (outcome === "b") return [{ i: 0, j: 1, result: "j", strength: j.strength, judgment: j }];
  return [{ i: 0, j: 1, result: outcome, strength: null, judgment: j }];
}

function keepResult(result: PairVote["result"], policies: ExportPolicies): boolean {
  if (result === "tie") return policies.ties === "keep";
  if (result === "both_bad") return policies.bothBad === "keep";
  return true;
}

/** Shannon entropy in bits of the vote shares. */
function entropy(counts: number[]): number {
  const n = counts.reduce((s, c) => s + c, 0);
  if (n === 0) return 0;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log2(c / n);
  return h === 0 ? 0 : h;
}

function responseAt(item: ExportItem, idx: number): ExportResponse {
  const r = item.responses.find((x) => x.idx === idx);
  if (!r) throw new Error(`item ${item.id} has no response ${idx}`);
  return r;
}

/** Counts of a pair's votes; both-bad counts as a tie when kept. */
function countVotes(list: PairVote[], policies: ExportPolicies) {
  let a = 0;
  let b = 0;
  let t = 0;
  let bothBad = 0;
  for (const v of list) {
    if (v.result === "i") a++;
    else if (v.result === "j") b++;
    else if (v.result === "tie") t++;
    else bothBad++;
  }
  const ties = (policies.ties === "keep" ? t : 0) + (policies.bothBad === "keep" ? bothBad : 0);
  return { a, b, t, bothBad, ties };
}

const DS_RESULT = ["i", "j", "tie", "both_bad"] as const;

/** One Dawid-Skene row: the posterior's most probable class decides; p_chosen is that class's posterior. */
function dawidSkeneRow(
  item: ExportItem,
  list: PairVote[],
  posterior: number[],
  policies: ExportPolicies,
  ri: ExportResponse,
  rj: ExportResponse,
): PairRow | null {
  let best = 0;
  for (let c = 1; c < DS_RESULT.length; c++) if ((posterior[c] ?? 0) > (posterior[best] ?? 0)) best = c;
  const cls = DS_RESULT[best] ?? "i";
  if (!keepResult(cls, policies)) return null;
  const chosenIsJ = cls === "j";
  const counted = list.filter((v) => keepResult(v.result, policies));
  const { a, b, ties } = countVotes(list, policies);
  const strengths = counted.filter((v) => v.result === cls && v.strength !== null).map((v) => v.strength as number);
  return {
    item,
    chosen: chosenIsJ ? rj : ri,
    rejected: chosenIsJ ? ri : rj,
    result: cls === "i" || cls === "j" ? "win" : cls,
    strength: strengths.length ? Math.round(strengths.reduce((s, x) => s + x, 0) / strengths.length) : null,
    judgment: null,
    judgmentIds: list.map((v) => v.judgment.id),
    votes: { votes_a: a, votes_b: b, votes_tie: ties, p_chosen: posterior[best] ?? 0, entropy: entropy(posterior) },
  };
}

/**
 * The preference rows of one item under the policies (excluded annotators are removed by the caller).
 * `posteriors` ("i:j" → Dawid-Skene posterior, see dawid-skene-labels.ts) is required for aggregate dawid-skene.
 */
export function pairRowsForItem(item: ExportItem, policies: ExportPolicies, posteriors?: Map<string, number[]>): PairRow[] {
  const k = item.responses.length;
  const byPair = new Map<number, PairVote[]>();
  for (const judgment of currentJudgments(item.judgments)) {
    for (const v of votesOf(judgment, k, policies)) {
      if (!keepResult(v.result, policies) && policies.aggregate === "all") continue;
      const key = v.i * 65_536 + v.j;
      const list = byPair.get(key);
      if (list) list.push(v);
      else byPair.set(key, [v]);
    }
  }
  const rows: PairRow[] = [];
  for (const list of byPair.values()) {
    if (list.length < policies.minVotes) continue;
    const first = list[0] as PairVote;
    const ri = responseAt(item, first.i);
    const rj = responseAt(item, first.j);
    if (policies.aggregate === "all") {
      for (const v of list) {
        const win = v.result === "i" || v.result === "j";
        rows.push({
          item,
          chosen: v.result === "j" ? rj : ri,
          rejected: v.result === "j" ? ri : rj,
          result: win ? "win" : (v.result as "tie" | "both_bad"),
          strength: v.strength,
          judgment: v.judgment,
          judgmentIds: [v.judgment.id],
          votes: null,
        });
      }
      continue;
    }
    if (policies.aggregate === "dawid-skene") {
      const posterior = posteriors?.get(`${first.i}:${first.j}`);
      if (!posterior) throw new Error(`item ${item.id}: no Dawid-Skene posterior for responses ${first.i} and ${first.j}`);
      const row = dawidSkeneRow(item, list, posterior, policies, ri, rj);
      if (row) rows.push(row);
      continue;
    }
    // Majority and soft labels: count the pair's votes; both-bad counts as a tie when kept.
    const { a, b, t, bothBad, ties } = countVotes(list, policies);
    const counted = list.filter((v) => keepResult(v.result, policies));
    if (counted.length < policies.minVotes || counted.length === 0) continue;
    let result: PairRow["result"];
    let chosenIsJ = false;
    if (a > b && a > ties) result = "win";
    else if (b > a && b > ties) {
      result = "win";
      chosenIsJ = true;
    } else result = bothBad > t && policies.bothBad === "keep" ? "both_bad" : "tie";
    // No majority: a tie row when ties are kept; soft labels also keep an even a/b split as data.
    const evenSplit = result !== "win" && a === b && a > 0 && policies.aggregate === "soft";
    if (evenSplit) result = "win";
    else if (result !== "win" && !keepResult(result, policies)) continue;
    const n = a + b + ties;
    const chosenVotes = chosenIsJ ? b : a;
    const strengths = counted
      .filter((v) => (chosenIsJ ? v.result === "j" : v.result === "i"))
      .map((v) => v.strength)
      .filter((s): s is number => s !== null);
    rows.push({
      item,
      chosen: chosenIsJ ? rj : ri,
      rejected: chosenIsJ ? ri : rj,
      result,
      strength: result === "win" && strengths.length ? Math.round(strengths.reduce((s, x) => s + x, 0) / strengths.length) : null,
      judgment: null,
      judgmentIds: counted.map((v) => v.judgment.id),
      votes:
        policies.aggregate === "soft"
          ? {
              votes_a: a,
              votes_b: b,
              votes_tie: ties,
              p_chosen: n ? (chosenVotes + ties / 2) / n : 0,
              entropy: entropy([a, b, ties]),
            }
          : null,
    });
  }
  return rows;
}
