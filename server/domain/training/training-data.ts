/**
 * Training data for the reward-model trainer: a project's current judgments written as the trainer's
 * JSONL (server/trainer/README.md, "Data"). One row per judgment: pairwise outcomes become
 * {prompt, chosen, rejected, tie, margin, strength, criteria}; rankings become {prompt, ranking}.
 * Both-bad judgments teach no preference and are dropped; superseded judgments and annotators
 * excluded from the project are left out. The judgment ids used are returned for lineage.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { asc, eq, inArray } from "drizzle-orm";
import { annotatorExclusions, type Content, items, judgments, responses } from "@/db/schema";
import type { Db } from "@/server/db";

export type PairRow = {
  prompt: string;
  chosen: string;
  rejected: string;
  tie: boolean;
  margin: number;
  strength: number | null;
  /** Criteria on which this judgment's winner also won (the trainer reports accuracy by criterion). */
  criteria: string[];
};
export type RankingRow = { prompt: string; ranking: string[] };
export type TrainingRow = PairRow | RankingRow;

export type TrainingDataSummary = {
  rows: number;
  pairs: number;
  ties: number;
  rankings: number;
  /** Judgments not turned into rows, by reason. */
  dropped: { both_bad: number; excluded_annotator: number; superseded: number; invalid: number };
  judgmentIds: number[];
};

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

/** The prompt followed by the cue the response completes: chat prompts end with "Assistant:". */
export function renderPrompt(prompt: Content): string {
  if (typeof prompt === "string") return prompt;
  return `${renderContent(prompt)}\nAssistant:`;
}

export function buildTrainingRows(db: Db, projectId: number): { rows: TrainingRow[]; summary: TrainingDataSummary } {
  const all = db
    .select({
      id: judgments.id,
      itemId: judgments.itemId,
      annotatorId: judgments.annotatorId,
      outcome: judgments.outcome,
      ranking: judgments.ranking,
      strength: judgments.strength,
      criteria: judgments.criteria,
      supersedesId: judgments.supersedesId,
    })
    .from(judgments)
    .where(eq(judgments.projectId, projectId))
    .orderBy(asc(judgments.id))
    .all();
  const excluded = new Set(
    db
      .select({ userId: annotatorExclusions.userId })
      .from(annotatorExclusions)
      .where(eq(annotatorExclusions.projectId, projectId))
      .all()
      .map((r) => r.userId),
  );
  const replaced = new Set(all.map((j) => j.supersedesId).filter((id): id is number => id !== null));
  const summary: TrainingDataSummary = {
    rows: 0,
    pairs: 0,
    ties: 0,
    rankings: 0,
    dropped: { both_bad: 0, excluded_annotator: 0, superseded: 0, invalid: 0 },
    judgmentIds: [],
  };

  const itemIds = [...new Set(all.map((j) => j.itemId))];
  const prompts = new Map<number, string>();
  const texts = new Map<number, string[]>();
  // Chunked IN lists stay under SQLite's variable limit on big projects.
  for (let i = 0; i < itemIds.length; i += 500) {
    const chunk = itemIds.slice(i, i + 500);
    for (const it of db.select({ id: items.id, prompt: items.prompt }).from(items).where(inArray(items.id, chunk)).all()) {
      prompts.set(it.id, renderPrompt(it.prompt));
    }
    const rs = db
      .select({ itemId: responses.itemId, idx: responses.idx, content: responses.content })
      .from(responses)
      .where(inArray(responses.itemId, chunk))
      .orderBy(asc(responses.itemId), asc(responses.idx))
      .all();
    for (const r of rs) {
      const list = texts.get(r.itemId) ?? [];
      list[r.idx] = renderResponse(r.content);
      texts.set(r.itemId, list);
    }
  }

  const rows: TrainingRow[] = [];
  for (const j of all) {
    if (replaced.has(j.id)) {
      summary.dropped.superseded++;
      continue;
    }
    if (excluded.has(j.annotatorId)) {
      summary.dropped.excluded_annotator++;
      continue;
    }
    if (j.outcome === "both_bad") {
      summary.dropped.both_bad++;
      continue;
    }
    const prompt = prompts.get(j.itemId);
    const resp = texts.get(j.itemId);
    if (prompt === undefined || !resp) {
      summary.dropped.invalid++;
      continue;
    }
    if (j.outcome === "ranking") {
      const ranking = j.ranking ?? [];
      if (ranking.length < 2 || ranking.some((i) => resp[i] === undefined)) {
        summary.dropped.invalid++;
        continue;
      }
      rows.push({ prompt, ranking: ranking.map((i) => resp[i] as string) });
      summary.rankings++;
    } else {
      const [a, b] = [resp[0], resp[1]];
      if (a === undefined || b === undefined) {
        summary.dropped.invalid++;
        continue;
      }
      const tie = j.outcome === "tie";
      const winner = j.outcome === "b" ? "b" : "a";
      rows.push({
        prompt,
        chosen: winner === "a" ? a : b,
        rejected: winner === "a" ? b : a,
        tie,
        margin: 0,
        strength: tie ? null : (j.strength ?? null),
        criteria: tie
          ? Object.keys(j.criteria).filter((c) => j.criteria[c] === "tie")
          : Object.keys(j.criteria).filter((c) => j.criteria[c] === winner),
      });
      summary.pairs++;
      if (tie) summary.ties++;
    }
    summary.judgmentIds.push(j.id);
  }
  summary.rows = rows.length;
  return { rows, summary };
}

/** Writes the project's training rows to `file`; returns the summary and the file's sha256. */
export function writeTrainingFile(db: Db, projectId: number, file: string): TrainingDataSummary & { sha256: string } {
  const { rows, summary } = buildTrainingRows(db, projectId);
  const body = rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
  fs.writeFileSync(file, body);
  return { ...summary, sha256: createHash("sha256").update(body).digest("hex") };
}
