/**
 * Statistics split by annotator group ("whose preferences?"): each group's win rates, Bradley-Terry
 * leaderboard and agreement within the group, and agreement between groups. Nothing is computed
 * anew: the project's loaded judgments are filtered (or turned into one coder per group) and fed to
 * the same computeStatsFromData the project statistics use.
 */
import { eq, isNotNull } from "drizzle-orm";
import { annotatorGroups, users } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { AppError } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import { loadQualityData, type QualityJudgment } from "./load-judgments";
import { computeStatsFromData, type ProjectStats, type ProjectStatsOptions } from "./project-stats";

/** Annotators in no group (external judges, people not yet put in one) form this pseudo-group. */
export const NO_GROUP = "(no group)";

export type GroupStats = {
  group: string;
  annotators: number;
  judgments: number;
  /** Pairwise comparisons the group's judgments make (the leaderboard's sample size). */
  battles: number;
  /** The model its win rates are against: the project's baseline, or null when the group never judged it. */
  baseline: string | null;
  agreement: ProjectStats["agreement"];
  models: ProjectStats["models"];
};

export type ProjectGroupStats = {
  /** One baseline for every group, so their win rates compare: the one asked for, else the model in the most battles. */
  baseline: string | null;
  groups: GroupStats[];
  /** Each group as one coder answering its majority answer per item; agreement across those coders. */
  between: { krippendorff_alpha: number | null; percent_agreement: number | null; items: number; groups: number };
};

/** user id → group name, for every user in a group. */
export const loadUserGroups = domainOp(function* loadUserGroups(c: Conn): Op<Map<number, string>> {
  const rows = yield* c.all(
    c.q
      .select({ id: users.id, group: annotatorGroups.name })
      .from(users)
      .innerJoin(annotatorGroups, eq(annotatorGroups.id, users.groupId))
      .where(isNotNull(users.groupId)),
  );
  return new Map(rows.map((r) => [r.id, r.group]));
});

function answerKey(j: QualityJudgment): string {
  return JSON.stringify([j.outcome, j.ranking]);
}

export const computeGroupStats = domainOp(function* computeGroupStats(c: Conn, options: ProjectStatsOptions): Op<ProjectGroupStats> {
  const project = yield* getProject.op(c, options.projectId);
  if (options.criterion !== undefined && !project.criteria.includes(options.criterion)) {
    throw new AppError("BAD_INPUT", `criterion "${options.criterion}" is not one of project ${project.id}'s criteria`, [
      { field: "criterion", message: "unknown criterion" },
    ]);
  }
  const meta = { id: project.id, name: project.name, criteria: project.criteria };
  const data = yield* loadQualityData.op(c, project.id);
  const groupOf = yield* loadUserGroups.op(c);
  const byGroup = new Map<string, QualityJudgment[]>();
  for (const j of data.judgments) {
    const g = groupOf.get(j.annotatorId) ?? NO_GROUP;
    byGroup.set(g, [...(byGroup.get(g) ?? []), j]);
  }
  const names = [...byGroup.keys()].sort();
  const statsOf = (group: string, baseline: string | undefined) =>
    computeStatsFromData({ ...data, judgments: byGroup.get(group) ?? [] }, { ...options, baseline, project: meta });
  // Each group first with its own default baseline (a group that never met the asked-for one would be refused) …
  const first = names.map((group) => statsOf(group, undefined));
  const battlesOf = new Map<string, number>();
  for (const s of first) for (const m of s.models) battlesOf.set(m.model, (battlesOf.get(m.model) ?? 0) + m.battles);
  if (options.baseline !== undefined && !battlesOf.has(options.baseline)) {
    throw new AppError("BAD_INPUT", `baseline model "${options.baseline}" has no comparisons in project ${project.id}`, [
      { field: "baseline", message: "unknown model" },
    ]);
  }
  // … then the common baseline (as computeProjectStats picks it: most battles, ties by name), and
  // the groups that defaulted to another model again with it.
  let baseline: string | null = options.baseline ?? null;
  if (baseline === null) {
    let best = -1;
    for (const [model, n] of [...battlesOf].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      if (n > best) {
        best = n;
        baseline = model;
      }
    }
  }
  const groups = names.map((group, g): GroupStats => {
    let s = first[g] as ProjectStats;
    const met = baseline !== null && s.models.some((m) => m.model === baseline && m.battles > 0);
    if (met && s.baseline !== baseline) s = statsOf(group, baseline ?? undefined);
    return {
      group,
      annotators: new Set((byGroup.get(group) ?? []).map((j) => j.annotatorId)).size,
      judgments: s.judgments,
      battles: s.battles,
      baseline: met ? baseline : null,
      agreement: s.agreement,
      // Win rates against another model would not compare with the other groups'.
      models: met ? s.models : s.models.map((m) => ({ ...m, win_rate: null, standard_error: null })),
    };
  });

  // Between groups: per (item, group) the group's most common first-time answer, as one coder.
  const coders: QualityJudgment[] = [];
  names.forEach((group, g) => {
    const perItem = new Map<number, Map<string, QualityJudgment[]>>();
    for (const j of byGroup.get(group) ?? []) {
      if (j.repeatOf !== null) continue;
      const answers = perItem.get(j.itemId) ?? new Map<string, QualityJudgment[]>();
      answers.set(answerKey(j), [...(answers.get(answerKey(j)) ?? []), j]);
      perItem.set(j.itemId, answers);
    }
    for (const answers of perItem.values()) {
      const [first] = [...answers.values()].sort((a, b) => b.length - a.length)[0] ?? [];
      if (first) coders.push({ ...first, annotatorId: -(g + 1), annotator: group, external: false });
    }
  });
  const between = computeStatsFromData({ ...data, judgments: coders, excluded: [] }, { ...options, resamples: 1, project: meta }).agreement;
  return {
    baseline,
    groups,
    between: {
      krippendorff_alpha: between.krippendorff_alpha,
      percent_agreement: between.percent_agreement,
      items: between.items,
      groups: names.length,
    },
  };
});
