import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDb } from "@/server/db";
import { importItems } from "@/server/domain/import/import-items";
import { createGroup, setUserGroup } from "@/server/domain/membership";
import { createProject } from "@/server/domain/projects";
import { ensureExternalAnnotator } from "@/server/domain/users";
import { memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { computeGroupStats, NO_GROUP } from "./group-stats";
import { loadQualityData } from "./load-judgments";
import { computeStatsFromData } from "./project-stats";

describe("computeGroupStats", () => {
  it("splits win rates and agreement by group, equal to the project statistics on that group's judgments alone", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "groups", overlap: 4 });
    // Experts (e1, e2) always prefer x; laypeople (l1, l2) always prefer y.
    const lines = Array.from({ length: 6 }, (_, i) => ({
      prompt: `Q${i}`,
      responses: [
        { model: "x", text: `x${i}` },
        { model: "y", text: `y${i}` },
      ],
      judgments: [
        { annotator: "e1", winner: "a" },
        { annotator: "e2", winner: "a" },
        { annotator: "l1", winner: "b" },
        { annotator: "l2", winner: i === 0 ? "a" : "b" },
      ],
    }));
    importItems(db, { projectId: p.id, file: writeJsonl(lines) });
    createGroup(db, { name: "medical experts" });
    for (const name of ["e1", "e2"]) setUserGroup(db, { userId: ensureExternalAnnotator(db, name), group: "medical experts" });
    const s = computeGroupStats(db, { projectId: p.id, baseline: "y", resamples: 10 });
    expect(s.groups.map((g) => [g.group, g.annotators, g.judgments])).toEqual([
      [NO_GROUP, 2, 12],
      ["medical experts", 2, 12],
    ]);
    const experts = s.groups.find((g) => g.group === "medical experts");
    const lay = s.groups.find((g) => g.group === NO_GROUP);
    expect(experts?.models.find((m) => m.model === "x")?.win_rate).toBe(100);
    expect(lay?.models.find((m) => m.model === "x")?.win_rate).toBeCloseTo(100 / 12, 6);
    expect(experts?.agreement.percent_agreement).toBe(100);
    // Same numbers as the project statistics computed on the experts' judgments alone.
    const data = loadQualityData(db, p.id);
    const expertIds = new Set(["e1", "e2"].map((n) => ensureExternalAnnotator(db, n)));
    const direct = computeStatsFromData(
      { ...data, judgments: data.judgments.filter((j) => expertIds.has(j.annotatorId)) },
      { projectId: p.id, baseline: "y", resamples: 10, project: { id: p.id, name: p.name, criteria: [] } },
    );
    expect(experts?.models).toEqual(direct.models);
    // Between groups: the groups disagree on every item (the laypeople split on the first).
    expect(s.between).toMatchObject({ groups: 2, items: 6 });
    expect(s.between.percent_agreement).toBeLessThan(50);
  });
});

describe("computeGroupStats baselines", () => {
  it("every group's win rates are against one baseline; a group that never met it shows none", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "baselines", overlap: 2 });
    const pair = (i: number, a: string, b: string, annotator: string) => ({
      prompt: `Q${i}`,
      responses: [
        { model: a, text: `${a}${i}` },
        { model: b, text: `${b}${i}` },
      ],
      judgments: [{ annotator, winner: "a" }],
    });
    // Experts compare x with y only (their own default baseline would be x); laypeople mostly z with w.
    const lines = [
      ...[0, 1, 2, 3].map((i) => pair(i, "x", "y", "e1")),
      ...[4, 5, 6].map((i) => pair(i, "z", "w", "l1")),
      pair(7, "y", "z", "l1"),
    ];
    importItems(db, { projectId: p.id, file: writeJsonl(lines) });
    createGroup(db, { name: "experts" });
    createGroup(db, { name: "lay" });
    setUserGroup(db, { userId: ensureExternalAnnotator(db, "e1"), group: "experts" });
    setUserGroup(db, { userId: ensureExternalAnnotator(db, "l1"), group: "lay" });
    const s = computeGroupStats(db, { projectId: p.id, resamples: 5 });
    // y is in the most battles over the whole project (5), so it is every group's baseline.
    expect(s.baseline).toBe("y");
    expect(s.groups.map((g) => [g.group, g.baseline, g.battles])).toEqual([
      ["experts", "y", 4],
      ["lay", "y", 4],
    ]);
    expect(s.groups[0]?.models.find((m) => m.model === "x")?.win_rate).toBe(100);
    expect(s.groups[1]?.models.find((m) => m.model === "z")?.win_rate).toBe(0);
    const w = computeGroupStats(db, { projectId: p.id, baseline: "w", resamples: 5 });
    expect(w.groups.map((g) => [g.group, g.baseline])).toEqual([
      ["experts", null],
      ["lay", "w"],
    ]);
    expect(w.groups[0]?.models.every((m) => m.win_rate === null)).toBe(true);
    expect(() => computeGroupStats(db, { projectId: p.id, baseline: "nope", resamples: 5 })).toThrow(/baseline model "nope"/);
  });
});

describe("stats --by-group", () => {
  it("prints one JSON object with each group and the between-group agreement", () => {
    const dir = tempDir("arbiter-by-group-");
    const dbFile = path.join(dir, "g.db");
    const db = openDb(dbFile);
    const p = createProject(db, { name: "g" });
    importItems(db, {
      projectId: p.id,
      file: writeJsonl([
        {
          prompt: "Q",
          responses: [
            { model: "x", text: "x" },
            { model: "y", text: "y" },
          ],
          judgments: [
            { annotator: "e1", winner: "a" },
            { annotator: "l1", winner: "b" },
          ],
        },
      ]),
    });
    createGroup(db, { name: "zh-native" });
    setUserGroup(db, { userId: ensureExternalAnnotator(db, "e1"), group: "zh-native" });
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/arbiter.ts",
        "stats",
        "--project",
        String(p.id),
        "--by-group",
        "--resamples",
        "5",
        "--db",
        dbFile,
        "--json",
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.groups.map((g: { group: string; judgments: number }) => [g.group, g.judgments])).toEqual([
      [NO_GROUP, 1],
      ["zh-native", 1],
    ]);
    expect(out.between).toMatchObject({ groups: 2, items: 1, percent_agreement: 0 });
  });
});
