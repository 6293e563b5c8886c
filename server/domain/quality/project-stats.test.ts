import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, users } from "@/db/schema";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { memoryDb, writeJsonl } from "@/server/testing/fixtures";
import { setAnnotatorExclusion } from "./exclusions";
import { isGoldCorrect } from "./gold-answer";
import { computeProjectStats, computeWilsonInterval } from "./project-stats";

type Winner = "a" | "b" | "tie" | "both_bad";

/** Four model-x vs model-y items; judge-1 and judge-2 give the listed outcomes (criteria mirror them). */
function setup(j1: Winner[], j2: Winner[]) {
  const db = memoryDb();
  const project = createProject(db, { name: "stats", criteria: ["helpful"] });
  const lines = j1.map((w, i) => ({
    id: `i${i}`,
    prompt: `Q${i}?`,
    responses: [
      { model: "model-x", text: `x answer ${i}, somewhat longer` },
      { model: "model-y", text: `y ${i}` },
    ],
    judgments: [
      { annotator: "judge-1", winner: w, criteria: { helpful: w } },
      { annotator: "judge-2", winner: j2[i] as Winner, criteria: { helpful: "a" as const } },
    ],
  }));
  const r = importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  if (r.errorCount) throw new Error(JSON.stringify(r.errors));
  return { db, projectId: project.id };
}

describe("computeProjectStats", () => {
  // judge-1: a a b tie; judge-2: a b b tie.
  const J1: Winner[] = ["a", "a", "b", "tie"];
  const J2: Winner[] = ["a", "b", "b", "tie"];

  it("win rate vs the baseline with AlpacaEval's SE and counts", () => {
    const { db, projectId } = setup(J1, J2);
    const s = computeProjectStats(db, { projectId, baseline: "model-y" });
    expect(s.baseline).toBe("model-y");
    const x = s.models.find((m) => m.model === "model-x");
    // x: wins 3 (j1 a, a; j2 a), losses 3, draws 2 → mean (3 + 1) / 8 = 0.5.
    // scores 1,1,1,0,0,0,½,½: Σ(x − ½)² = 6·¼ = 1.5; sd = √(1.5/7); SE = 100·sd/√8.
    expect(x).toMatchObject({ n_wins: 3, n_wins_base: 3, n_draws: 2, n_total: 8, battles: 8 });
    expect(x?.win_rate).toBeCloseTo(50, 10);
    expect(x?.standard_error).toBeCloseTo((100 * Math.sqrt(1.5 / 7)) / Math.sqrt(8), 10);
    const y = s.models.find((m) => m.model === "model-y");
    expect(y?.win_rate).toBeNull();
    // Equal wins and losses: equal BT ratings around 1000, intervals around them.
    expect(x?.bt_rating).toBeCloseTo(1000, 6);
    expect(y?.bt_rating).toBeCloseTo(1000, 6);
    const [lo, hi] = x?.bt_ci ?? [null, null];
    expect(lo).not.toBeNull();
    expect(lo as number).toBeLessThanOrEqual(1000);
    expect(hi as number).toBeGreaterThanOrEqual(1000);
  });

  it("agreement: percent agreement and nominal α by hand", () => {
    const { db, projectId } = setup(J1, J2);
    const s = computeProjectStats(db, { projectId });
    // Items agree on 3 of 4 pairs.
    expect(s.agreement.percent_agreement).toBeCloseTo(75, 10);
    expect(s.agreement.items).toBe(4);
    // n = 8 values (a 3, b 3, tie 2); D_o = 2/8; D_e = 2·(9 + 6 + 6)/56 = 0.75 → α = 1 − (1/4)/(3/4) = 2/3.
    expect(s.agreement.krippendorff_alpha).toBeCloseTo(2 / 3, 10);
    expect(s.agreement.over_time.at(-1)?.krippendorff_alpha).toBeCloseTo(2 / 3, 10);
    expect(s.agreement.over_time.at(-1)?.judgments).toBe(8);
    const ds = computeProjectStats(db, { projectId, posteriors: true }).dawid_skene;
    expect(ds?.items).toBe(4);
    // Both judges said "a" on item 0 and "tie" on item 3: the posterior labels follow.
    expect(ds?.posteriors?.map((p) => p.label)).toEqual(expect.arrayContaining(["a", "tie"]));
    for (const p of ds?.posteriors ?? []) expect(Object.values(p.posterior).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
  });

  it("excluded annotators are left out; the exclusion is audited and reversible", () => {
    const { db, projectId } = setup(J1, J2);
    const judge2 = db.select().from(users).where(eq(users.name, "judge-2")).get();
    setAnnotatorExclusion(db, { projectId, userId: judge2?.id ?? 0, excluded: true, reason: "spam", actorId: null });
    const s = computeProjectStats(db, { projectId, baseline: "model-y" });
    const x = s.models.find((m) => m.model === "model-x");
    // judge-1 alone: scores 1,1,0,½ → mean 0.625; Σ(x − mean)² = 0.6875; SE = 100·√(0.6875/3)/2.
    expect(x).toMatchObject({ n_wins: 2, n_wins_base: 1, n_draws: 1, n_total: 4 });
    expect(x?.win_rate).toBeCloseTo(62.5, 10);
    expect(x?.standard_error).toBeCloseTo((100 * Math.sqrt(0.6875 / 3)) / 2, 10);
    expect(s.annotators.map((a) => a.annotator)).toEqual(["judge-1"]);
    expect(s.excluded_annotators).toEqual([{ annotator_id: judge2?.id, annotator: "judge-2", reason: "spam" }]);
    expect(s.agreement.krippendorff_alpha).toBeNull();
    expect(
      db
        .select()
        .from(auditEvents)
        .all()
        .map((e) => e.action),
    ).toContain("annotator.exclude");
    setAnnotatorExclusion(db, { projectId, userId: judge2?.id ?? 0, excluded: false });
    expect(computeProjectStats(db, { projectId }).annotators).toHaveLength(2);
  });

  it("per criterion: uses the criterion's answers; unknown criteria and baselines are errors naming the field", () => {
    const { db, projectId } = setup(J1, J2);
    const s = computeProjectStats(db, { projectId, baseline: "model-y", criterion: "helpful" });
    // helpful: judge-1 a a b tie, judge-2 a a a a → x wins 6, loses 1, draws 1.
    expect(s.models.find((m) => m.model === "model-x")).toMatchObject({ n_wins: 6, n_wins_base: 1, n_draws: 1, n_total: 8 });
    expect(s.models.find((m) => m.model === "model-x")?.win_rate).toBeCloseTo(81.25, 10);
    expect(() => computeProjectStats(db, { projectId, criterion: "funny" })).toThrow(/criterion "funny"/);
    expect(() => computeProjectStats(db, { projectId, baseline: "gpt-9" })).toThrow(/baseline model "gpt-9"/);
  });

  it("rankings of K > 2 expand to pairs, and the default baseline is the model in most battles", () => {
    const db = memoryDb();
    const project = createProject(db, { name: "ranked" });
    const lines = [
      {
        prompt: "rank",
        responses: [
          { model: "x", text: "1" },
          { model: "y", text: "2" },
          { model: "z", text: "3" },
        ],
        judgments: [{ annotator: "r1", ranking: [2, 0, 1] }],
      },
      {
        prompt: "pair",
        responses: [
          { model: "x", text: "1" },
          { model: "y", text: "2" },
        ],
        judgments: [{ annotator: "r1", winner: "b" }],
      },
    ];
    const r = importItems(db, { projectId: project.id, file: writeJsonl(lines) });
    expect(r.errorCount).toBe(0);
    const s = computeProjectStats(db, { projectId: project.id, baseline: "y" });
    // z > x, z > y, x > y from the ranking; y > x from the pair.
    expect(s.battles).toBe(4);
    expect(s.models.find((m) => m.model === "z")).toMatchObject({ n_wins: 1, n_wins_base: 0, n_total: 1, win_rate: 100 });
    expect(s.models.find((m) => m.model === "x")).toMatchObject({ n_wins: 1, n_wins_base: 1, n_total: 2, win_rate: 50 });
    // x and y are in 3 battles each; the tie breaks by name.
    expect(computeProjectStats(db, { projectId: project.id }).baseline).toBe("x");
    const cell = s.matrix.cells.find((c) => c.row === "z" && c.col === "x");
    expect(cell).toEqual({ row: "z", col: "x", win_rate: 100, n: 1 });
  });
});

describe("gold helpers", () => {
  it("accepts an outcome or an outcome with strength", () => {
    expect(isGoldCorrect({ outcome: "a", strength: 2, ranking: null }, ["a"])).toBe(true);
    expect(isGoldCorrect({ outcome: "a", strength: 2, ranking: null }, ["a:3", "a:4"])).toBe(false);
    expect(isGoldCorrect({ outcome: "a", strength: 4, ranking: null }, ["a:3", "a:4"])).toBe(true);
    expect(isGoldCorrect({ outcome: "ranking", strength: null, ranking: [1, 0, 2] }, ["[1,0,2]"])).toBe(true);
  });
  it("Wilson interval: 8 of 10 → [0.490, 0.943]", () => {
    const [lo, hi] = computeWilsonInterval(8, 10) ?? [0, 0];
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
    expect(computeWilsonInterval(0, 0)).toBeNull();
  });
});
