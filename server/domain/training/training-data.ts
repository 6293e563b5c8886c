/**
 * Training data for the reward-model trainer, written as the trainer's JSONL (server/trainer/README.md,
 * "Data"): pairs {prompt, chosen, rejected, tie, margin, strength, criteria} and rankings
 * {prompt, ranking}. Which judgments become rows is decided by the export policies
 * (server/domain/export/policies.ts, `pairRowsForItem`), the same code an export runs, from either
 *   - filters: a project's current judgments under ties / both-bad / K-way / aggregate / min-votes /
 *     criterion policies (gold items, excluded annotators and swapped repeats left out), or
 *   - a snapshot: exactly the judgments an earlier export recorded, under that export's policies.
 * A K > 2 ranking whose C(K,2) pairs all survive the policies stays one ranking row, so the trainer's
 * K-wise loss sees them as one element (InstructGPT); the pairs are the ones the export selects.
 * The prompt goes to the trainer as stored (text or chat messages: the trainer renders it, with the base's
 * chat template when it has one). Every row carries its `judgment_ids`; a job's rows also carry `split`
 * ("train" | "eval"), decided here, whole items at a time and seeded, so the job can record exactly which
 * judgments it held out.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { and, asc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import {
  annotatorExclusions,
  assignments,
  type Content,
  gold,
  items,
  type JOB_SPLITS,
  judgments,
  responses,
  rounds,
  snapshotJudgments,
  snapshots,
} from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { AppError } from "@/server/domain/errors";
import {
  currentJudgments,
  type ExportItem,
  type ExportJudgment,
  type PairRow as ExportPairRow,
  pairRowsForItem,
  zExportPolicies,
} from "@/server/domain/export/policies";
import { zId } from "@/server/domain/schemas";
import { createRng } from "@/server/domain/stats/random";

export type Split = (typeof JOB_SPLITS)[number];
export type PairRow = {
  prompt: Content;
  chosen: string;
  rejected: string;
  tie: boolean;
  margin: number;
  strength: number | null;
  /** Criteria on which this judgment's winner also won (the trainer reports accuracy by criterion). */
  criteria: string[];
  judgment_ids: number[];
  split?: Split;
};
export type RankingRow = { prompt: Content; ranking: string[]; judgment_ids: number[]; split?: Split };
export type TrainingRow = PairRow | RankingRow;

/**
 * The export policies a training job may use. Ties default to "keep" (unlike an export): the
 * bt-ties loss learns from them and the bt loss skips them. Soft labels have no loss here yet, so
 * aggregation is per vote or majority. `excludeAnnotators` adds to the project's own exclusions.
 */
export const zTrainingPolicies = zExportPolicies.pick({ bothBad: true, kway: true, minVotes: true, criterion: true, margin: true }).extend({
  ties: z.enum(["drop", "keep"]).default("keep"),
  aggregate: z.enum(["all", "majority"]).default("all"),
  excludeAnnotators: z.array(zId).max(1000).default([]),
  /** Only items generated in these rounds of the project (round numbers, `train --round N`). */
  rounds: z.array(z.number().int().positive()).min(1).max(100).optional(),
});
export type TrainingPolicies = z.infer<typeof zTrainingPolicies>;
export type TrainingPoliciesInput = z.input<typeof zTrainingPolicies>;

export const zTrainingSource = z.discriminatedUnion("source", [
  z.object({ source: z.literal("filters"), policies: zTrainingPolicies.prefault({}) }),
  z.object({ source: z.literal("snapshot"), snapshotId: zId }),
]);
export type TrainingSource = z.infer<typeof zTrainingSource>;
export type TrainingSourceInput = z.input<typeof zTrainingSource>;

export type TrainingDataSummary = {
  source: "filters" | "snapshot";
  /** The export snapshot trained from (source "snapshot"). */
  snapshotId: number | null;
  /** The policies applied (for a snapshot: its export's, soft labels read as majority). */
  policies: TrainingPolicies;
  rows: number;
  pairs: number;
  ties: number;
  rankings: number;
  /** Judgments read but not used, by reason; `by_policy` covers ties, both-bad, min votes, criterion. */
  dropped: { superseded: number; excluded_annotator: number; swapped_repeat: number; by_policy: number };
  judgmentIds: number[];
  /** With a split: the judgments of the training rows and of the held-out rows, and their item counts. */
  split: {
    evalFraction: number;
    seed: number;
    trainJudgmentIds: number[];
    evalJudgmentIds: number[];
    trainItems: number;
    evalItems: number;
  } | null;
};

/** How a job splits its data: about `evalFraction` of the items (at least one when there are two or more) held out. */
export type SplitOptions = { evalFraction: number; seed: number };

/**
 * The items held out for evaluation: a seeded shuffle of the item ids, the first round(n·fraction) of it
 * (at least 1 when fraction > 0 and n ≥ 2, never all). Whole items, so no prompt is in both splits.
 */
export function heldOutItems(itemIds: readonly number[], options: SplitOptions): Set<number> {
  const ids = [...new Set(itemIds)].sort((a, b) => a - b);
  const n = ids.length;
  if (options.evalFraction <= 0 || n < 2) return new Set();
  const count = Math.min(n - 1, Math.max(1, Math.round(n * options.evalFraction)));
  const rng = createRng(options.seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  return new Set(ids.slice(0, count));
}

const ROLE_NAMES: Record<string, string> = { user: "User", assistant: "Assistant", system: "System" };

/** Plain text for the byte-level model: chat messages as "User: …\nAssistant: …". */
export function renderContent(content: Content): string {
  if (typeof content === "string") return content;
  return content.map((m) => `${ROLE_NAMES[m.role] ?? m.role}: ${m.content}`).join("\n");
}

/** A response completes the prompt's "Assistant:" cue, so a leading assistant message is its bare text. */
export function renderResponse(content: Content): string {
  if (typeof content === "string") return content;
  const [first, ...rest] = content;
  if (first?.role !== "assistant") return renderContent(content);
  return rest.length ? `${first.content}\n${renderContent(rest)}` : first.content;
}

/**
 * The prompt as the trainer and the scoring service take it: as stored (text or chat messages). The
 * Python side renders it, with the base's chat template when it has one, the same way in train and score.
 */
export function renderPrompt(prompt: Content): Content {
  return prompt;
}

/** The outcome letter a pairwise judgment gives the response at `idx` when it wins. */
const LETTER = ["a", "b"] as const;

/**
 * Training rows of one item under the policies: `pairRowsForItem` decides which pairs exist, this
 * only changes their shape (and regroups a fully kept ranking into one K-wise row).
 */
export function trainingRowsForItem(item: ExportItem, policies: TrainingPolicies): { rows: TrainingRow[]; judgmentIds: number[] } {
  const selected = pairRowsForItem(item, policies);
  const prompt = item.prompt;
  const text = new Map(item.responses.map((r) => [r.idx, renderResponse(r.content)]));
  const at = (idx: number) => text.get(idx) ?? "";
  const rows: TrainingRow[] = [];
  const ids = new Set<number>();

  // One-vote rows of a ranking judgment: grouped back into one ranking when every pair survived.
  const byRanking = new Map<number, ExportPairRow[]>();
  for (const row of selected) {
    const j = row.judgment;
    if (j && j.outcome === "ranking" && policies.criterion === undefined) {
      const list = byRanking.get(j.id) ?? [];
      list.push(row);
      byRanking.set(j.id, list);
    }
  }
  const wholeRankings = new Set<number>();
  for (const [id, list] of byRanking) {
    const k = list[0]?.judgment?.ranking?.length ?? 0;
    if (policies.kway === "all-pairs" && k > 2 && list.length === (k * (k - 1)) / 2) wholeRankings.add(id);
  }

  for (const row of selected) {
    const j = row.judgment;
    if (j && wholeRankings.has(j.id)) {
      if (row === byRanking.get(j.id)?.[0]) rows.push({ prompt, ranking: (j.ranking ?? []).map(at), judgment_ids: [j.id] });
      ids.add(j.id);
      continue;
    }
    const tie = row.result !== "win";
    let criteria: string[] = [];
    if (j && j.outcome !== "ranking") {
      const want = tie ? "tie" : (LETTER[row.chosen.idx] ?? "");
      criteria = Object.keys(j.criteria).filter((c) => j.criteria[c] === want);
    }
    rows.push({
      prompt,
      chosen: at(row.chosen.idx),
      rejected: at(row.rejected.idx),
      tie,
      margin: 0,
      strength: tie ? null : row.strength,
      criteria,
      judgment_ids: [...row.judgmentIds],
    });
    for (const id of row.judgmentIds) ids.add(id);
  }
  return { rows, judgmentIds: [...ids] };
}

type LoadFilter = { judgmentIds: number[] } | { excludeAnnotators: number[] };

/**
 * A project's items (gold left out) with responses and judgments, as the export policies take them.
 * `judgmentIds` (a snapshot's lineage) keeps exactly those judgments; otherwise excluded annotators'
 * and swapped repeats' judgments are removed. Items are read in chunks; only items with judgments.
 */
function* loadItems(c: Conn, projectId: number, filter: LoadFilter, dropped: TrainingDataSummary["dropped"]): Op<ExportItem[]> {
  const all = yield* c.all(
    c.q
      .select({
        id: judgments.id,
        itemId: judgments.itemId,
        annotatorId: judgments.annotatorId,
        outcome: judgments.outcome,
        ranking: judgments.ranking,
        strength: judgments.strength,
        criteria: judgments.criteria,
        rationale: judgments.rationale,
        shownOrder: judgments.shownOrder,
        timeOnTaskMs: judgments.timeOnTaskMs,
        source: judgments.source,
        supersedesId: judgments.supersedesId,
        createdAt: judgments.createdAt,
        repeatOf: assignments.repeatOf,
      })
      .from(judgments)
      .leftJoin(assignments, eq(assignments.id, judgments.assignmentId))
      .where(eq(judgments.projectId, projectId))
      .orderBy(asc(judgments.id)),
  );
  let kept: ExportJudgment[];
  if ("judgmentIds" in filter) {
    const wanted = new Set(filter.judgmentIds);
    kept = all.filter((j) => wanted.has(j.id));
  } else {
    const excluded = new Set([
      ...filter.excludeAnnotators,
      ...(yield* c.all(
        c.q.select({ userId: annotatorExclusions.userId }).from(annotatorExclusions).where(eq(annotatorExclusions.projectId, projectId)),
      )).map((r) => r.userId),
    ]);
    const goldItems = new Set((yield* c.all(c.q.select({ itemId: gold.itemId }).from(gold))).map((g) => g.itemId));
    const current = new Set(currentJudgments(all).map((j) => j.id));
    kept = [];
    for (const j of all) {
      if (goldItems.has(j.itemId)) continue;
      if (excluded.has(j.annotatorId)) dropped.excluded_annotator++;
      else if (j.repeatOf !== null)
        dropped.swapped_repeat++; // counts for flip rates, never as a vote
      else {
        if (!current.has(j.id)) dropped.superseded++;
        kept.push(j);
      }
    }
  }

  const byItem = new Map<number, ExportJudgment[]>();
  for (const j of kept) {
    const itemId = (j as ExportJudgment & { itemId: number }).itemId;
    const list = byItem.get(itemId) ?? [];
    list.push(j);
    byItem.set(itemId, list);
  }
  const itemIds = [...byItem.keys()].sort((a, b) => a - b);
  const out: ExportItem[] = [];
  // Chunked IN lists stay under SQLite's variable limit on big projects.
  for (let i = 0; i < itemIds.length; i += 500) {
    const chunk = itemIds.slice(i, i + 500);
    const rs = yield* c.all(
      c.q
        .select({ itemId: responses.itemId, idx: responses.idx, model: responses.model, content: responses.content })
        .from(responses)
        .where(inArray(responses.itemId, chunk))
        .orderBy(asc(responses.itemId), asc(responses.idx)),
    );
    const byItemResponses = new Map<number, ExportItem["responses"]>();
    for (const r of rs) {
      const list = byItemResponses.get(r.itemId) ?? [];
      list.push({ idx: r.idx, model: r.model, content: r.content });
      byItemResponses.set(r.itemId, list);
    }
    const rows = yield* c.all(
      c.q
        .select({ id: items.id, externalId: items.externalId, prompt: items.prompt, metadata: items.metadata })
        .from(items)
        .where(inArray(items.id, chunk))
        .orderBy(asc(items.id)),
    );
    for (const it of rows) {
      out.push({ ...it, responses: byItemResponses.get(it.id) ?? [], judgments: byItem.get(it.id) ?? [] });
    }
  }
  return out;
}

/** The policies an export snapshot was made with, as training policies (any aggregate but per-vote
 * rows, e.g. soft labels, trains as majority: the trainer has no soft-label loss). */
function snapshotPolicies(stored: Record<string, unknown>): TrainingPolicies {
  const parsed = zExportPolicies.safeParse(stored);
  const p = parsed.success ? parsed.data : zExportPolicies.parse({});
  return zTrainingPolicies.parse({
    ...p,
    ties: p.ties,
    aggregate: p.aggregate === "all" ? "all" : "majority",
    excludeAnnotators: [],
  });
}

/** Ids of the items that the given generation rounds (by number) of a project produced. */
function* itemsInRounds(c: Conn, projectId: number, numbers: number[]): Op<Set<number>> {
  const found = yield* c.all(c.q.select({ id: rounds.id, number: rounds.number }).from(rounds).where(eq(rounds.projectId, projectId)));
  const ids = numbers.map((n) => {
    const r = found.find((f) => f.number === n);
    if (!r) throw new AppError("NOT_FOUND", `project ${projectId} has no round ${n}`, [{ field: "rounds", message: "no such round" }]);
    return r.id;
  });
  return new Set(
    (yield* c.all(
      c.q
        .select({ id: items.id })
        .from(items)
        .where(and(eq(items.projectId, projectId), inArray(items.roundId, ids))),
    )).map((r) => r.id),
  );
}

export const buildTrainingRows = domainOp(function* buildTrainingRows(
  c: Conn,
  projectId: number,
  sourceInput: TrainingSourceInput = { source: "filters" },
  splitOptions: SplitOptions | null = null,
): Op<{ rows: TrainingRow[]; summary: TrainingDataSummary }> {
  const source = zTrainingSource.parse(sourceInput);
  const dropped = { superseded: 0, excluded_annotator: 0, swapped_repeat: 0, by_policy: 0 };
  let policies: TrainingPolicies;
  let itemsIn: ExportItem[];
  if (source.source === "snapshot") {
    const snap = yield* c.first(
      c.q
        .select()
        .from(snapshots)
        .where(and(eq(snapshots.id, source.snapshotId), eq(snapshots.projectId, projectId))),
    );
    if (!snap) throw new AppError("NOT_FOUND", `snapshot ${source.snapshotId} is not in project ${projectId}`);
    policies = snapshotPolicies(snap.policies);
    const ids = (yield* c.all(
      c.q.select({ id: snapshotJudgments.judgmentId }).from(snapshotJudgments).where(eq(snapshotJudgments.snapshotId, snap.id)),
    )).map((r) => r.id);
    itemsIn = yield* loadItems(c, projectId, { judgmentIds: ids }, dropped);
  } else {
    policies = source.policies;
    itemsIn = yield* loadItems(c, projectId, { excludeAnnotators: policies.excludeAnnotators }, dropped);
    if (policies.rounds) {
      const inRounds = yield* itemsInRounds(c, projectId, policies.rounds);
      itemsIn = itemsIn.filter((item) => inRounds.has(item.id));
    }
  }

  const rows: TrainingRow[] = [];
  const used: number[] = [];
  let considered = 0;
  const perItem: { itemId: number; rows: TrainingRow[] }[] = [];
  for (const item of itemsIn) {
    considered += currentJudgments(item.judgments).length;
    const r = trainingRowsForItem(item, policies);
    if (r.rows.length) perItem.push({ itemId: item.id, rows: r.rows });
    rows.push(...r.rows);
    used.push(...r.judgmentIds);
  }
  let split: TrainingDataSummary["split"] = null;
  if (splitOptions) {
    const held = heldOutItems(
      perItem.map((p) => p.itemId),
      splitOptions,
    );
    const ids = { train: new Set<number>(), eval: new Set<number>() };
    for (const p of perItem) {
      const s: Split = held.has(p.itemId) ? "eval" : "train";
      for (const row of p.rows) {
        row.split = s;
        for (const id of row.judgment_ids) ids[s].add(id);
      }
    }
    const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
    split = {
      ...splitOptions,
      trainJudgmentIds: sorted(ids.train),
      evalJudgmentIds: sorted(ids.eval),
      trainItems: perItem.length - held.size,
      evalItems: held.size,
    };
  }
  dropped.by_policy = considered - new Set(used).size;
  const pairs = rows.filter((r): r is PairRow => "chosen" in r);
  return {
    rows,
    summary: {
      source: source.source,
      snapshotId: source.source === "snapshot" ? source.snapshotId : null,
      policies,
      rows: rows.length,
      pairs: pairs.length,
      ties: pairs.filter((r) => r.tie).length,
      rankings: rows.length - pairs.length,
      dropped,
      judgmentIds: [...new Set(used)].sort((a, b) => a - b),
      split,
    },
  };
});

/** Writes the training rows to `file`; returns the summary and the file's sha256. */
export const writeTrainingFile = domainOp(function* writeTrainingFile(
  c: Conn,
  projectId: number,
  file: string,
  source: TrainingSourceInput = { source: "filters" },
  splitOptions: SplitOptions | null = null,
): Op<TrainingDataSummary & { sha256: string }> {
  const { rows, summary } = yield* buildTrainingRows.op(c, projectId, source, splitOptions);
  const body = rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
  fs.writeFileSync(file, body);
  return { ...summary, sha256: createHash("sha256").update(body).digest("hex") };
});
