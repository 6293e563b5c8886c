import { describe, expect, it } from "vitest";
import { dawidSkeneLabels, fitPairPosteriors } from "./dawid-skene-labels";
import { recordsForItem } from "./formats";
import { type ExportItem, type ExportJudgment, pairRowsForItem, zExportPolicies } from "./policies";

let nextId = 1;
function vote(annotatorId: number, outcome: ExportJudgment["outcome"], extra: Partial<ExportJudgment> = {}): ExportJudgment {
  return {
    id: nextId++,
    annotatorId,
    outcome,
    ranking: null,
    strength: null,
    criteria: {},
    rationale: null,
    shownOrder: [0, 1],
    timeOnTaskMs: null,
    source: "import",
    supersedesId: null,
    createdAt: 0,
    ...extra,
  };
}

function pair(id: number, judgments: ExportJudgment[]): ExportItem {
  return {
    id,
    externalId: null,
    prompt: `q${id}`,
    metadata: {},
    responses: [
      { idx: 0, model: "m0", content: `a${id}` },
      { idx: 1, model: "m1", content: `b${id}` },
    ],
    judgments,
  };
}

// Annotators 1 and 2 agree on items 1–8; annotator 3 always says the opposite. On item 9 only annotator 3
// voted ("b"): a majority believes them, Dawid-Skene has learnt that 3 flips and labels "a" the winner.
const RELIABLE_A = [1, 2, 3, 4].map((id) => pair(id, [vote(1, "a"), vote(2, "a"), vote(3, "b")]));
const RELIABLE_B = [5, 6, 7, 8].map((id) => pair(id, [vote(1, "b"), vote(2, "b"), vote(3, "a")]));
const ONLY_FLIPPER = pair(9, [vote(3, "b", { strength: 3 })]);
const BOTH_TIE = pair(10, [vote(1, "tie"), vote(2, "tie")]);
const ITEMS = [...RELIABLE_A, ...RELIABLE_B, ONLY_FLIPPER, BOTH_TIE];

function rows(policiesInput: Parameters<typeof zExportPolicies.parse>[0]) {
  const policies = zExportPolicies.parse(policiesInput);
  const posteriors = fitPairPosteriors(ITEMS.flatMap((it) => dawidSkeneLabels(it, policies)));
  return new Map(ITEMS.map((it) => [it.id, pairRowsForItem(it, policies, posteriors.get(it.id))]));
}

describe("aggregate dawid-skene", () => {
  it("labels each pair with the posterior winner; a known label-flipper's lone vote is read backwards", () => {
    const ds = rows({ aggregate: "dawid-skene" });
    for (const id of [1, 2, 3, 4]) expect(ds.get(id)?.[0]?.chosen.idx, `item ${id}`).toBe(0);
    for (const id of [5, 6, 7, 8]) expect(ds.get(id)?.[0]?.chosen.idx, `item ${id}`).toBe(1);
    const lone = ds.get(9)?.[0];
    expect(lone?.chosen.idx).toBe(0);
    expect(lone?.result).toBe("win");
    expect(lone?.votes).toMatchObject({ votes_a: 0, votes_b: 1, votes_tie: 0 });
    expect(lone?.votes?.p_chosen).toBeGreaterThan(0.5);
    expect(lone?.votes?.p_chosen).toBeLessThanOrEqual(1);
    // The majority policy trusts the lone vote instead.
    expect(rows({ aggregate: "majority" }).get(9)?.[0]?.chosen.idx).toBe(1);
    // A pair whose posterior says tie is dropped under the default tie policy, kept as a tie row when asked.
    expect(ds.get(10)).toEqual([]);
    const kept = rows({ aggregate: "dawid-skene", ties: "keep" }).get(10)?.[0];
    expect(kept?.result).toBe("tie");
    expect(kept?.votes?.p_chosen).toBeGreaterThan(0.9);
  });

  it("p_chosen is the posterior and entropy is the posterior's, in bits; rows carry every vote as lineage", () => {
    const policies = zExportPolicies.parse({ aggregate: "dawid-skene" });
    const posteriors = fitPairPosteriors(ITEMS.flatMap((it) => dawidSkeneLabels(it, policies)));
    const posterior = posteriors.get(1)?.get("0:1") ?? [];
    expect(posterior.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
    const row = pairRowsForItem(ITEMS[0] as ExportItem, policies, posteriors.get(1))[0];
    expect(row?.votes?.p_chosen).toBe(posterior[0]);
    const bits = -posterior.filter((p) => p > 0).reduce((s, p) => s + p * Math.log2(p), 0);
    expect(row?.votes?.entropy).toBeCloseTo(bits, 12);
    expect(row?.judgmentIds).toEqual(ITEMS[0]?.judgments.map((j) => j.id));
    const [record] = recordsForItem("trl", ITEMS[8] as ExportItem, { policies, pseudonym: String, posteriors }).records;
    expect(record).toMatchObject({ prompt: "\n\nHuman: q9\n\nAssistant:", chosen: " a9", rejected: " b9", votes_b: 1 });
    expect(record?.p_chosen).toBeGreaterThan(0.5);
  });

  it("a pair without a fitted posterior is an error, not a silent majority", () => {
    const policies = zExportPolicies.parse({ aggregate: "dawid-skene" });
    expect(() => pairRowsForItem(ONLY_FLIPPER, policies, new Map())).toThrow(/no Dawid-Skene posterior/);
  });
});
