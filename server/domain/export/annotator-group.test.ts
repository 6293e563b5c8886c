import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { eq } from "drizzle-orm";
import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { snapshots } from "@/db/schema";
import { type Db, openDb } from "@/server/db";
import { importItems } from "@/server/domain/import/import-items";
import { createGroup, setUserGroup } from "@/server/domain/membership";
import { createProject } from "@/server/domain/projects";
import { ensureExternalAnnotator } from "@/server/domain/users";
import { memoryDb, pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { exportSnapshot } from "./export-snapshot";
import type { ExportFormat } from "./formats";
import { exportText, recordsForItem, rowGroup } from "./formats";
import { type ExportItem, type ExportJudgment, pairRowsForItem, zExportPolicies } from "./policies";

const GUNZIP = { GZIP: (input: Uint8Array) => new Uint8Array(zlib.gunzipSync(input)) };

function judgment(id: number, annotatorId: number, outcome: ExportJudgment["outcome"], annotatorGroup: string | null): ExportJudgment {
  return {
    id,
    annotatorId,
    outcome,
    ranking: null,
    strength: null,
    criteria: {},
    rationale: null,
    shownOrder: null,
    timeOnTaskMs: null,
    source: "import",
    supersedesId: null,
    createdAt: 0,
    annotatorGroup,
  };
}

function item(judgments: ExportJudgment[]): ExportItem {
  return {
    id: 1,
    externalId: "x1",
    prompt: "Q?",
    metadata: {},
    responses: [
      { idx: 0, model: "m0", content: "zero" },
      { idx: 1, model: "m1", content: "one" },
    ],
    judgments,
  };
}

const ctx = (policies = {}, groupColumn = true) => ({
  policies: zExportPolicies.parse(policies),
  pseudonym: (id: number) => `ann_${id}`,
  groupColumn,
});

describe("annotator_group in the export formats", () => {
  const it1 = item([judgment(1, 11, "a", "medical experts"), judgment(2, 12, "a", "medical experts"), judgment(3, 13, "b", null)]);

  it("raw and csv carry each judge's group, null (empty in csv) for annotators in none", () => {
    expect(recordsForItem("raw", it1, ctx({}, false)).records.map((r) => [r.annotator, r.annotator_group])).toEqual([
      ["ann_11", "medical experts"],
      ["ann_12", "medical experts"],
      ["ann_13", null],
    ]);
    const csv = exportText("csv", [it1], ctx({}, false)).trim().split("\r\n");
    const header = csv[0]?.split(",") ?? [];
    const col = header.indexOf("annotator_group");
    expect(col).toBe(header.indexOf("annotator") + 1);
    expect(csv.slice(1).map((l) => l.split(",")[col])).toEqual(["medical experts", "medical experts", ""]);
  });

  it("an aggregated row names the group all its votes share, and null when they come from several", () => {
    const experts = item([judgment(1, 11, "a", "medical experts"), judgment(2, 12, "a", "medical experts")]);
    expect(pairRowsForItem(experts, zExportPolicies.parse({ aggregate: "majority" })).map(rowGroup)).toEqual(["medical experts"]);
    expect(pairRowsForItem(it1, zExportPolicies.parse({ aggregate: "majority" })).map(rowGroup)).toEqual([null]);
    expect(recordsForItem("trl", experts, ctx({ aggregate: "soft" })).records[0]).toMatchObject({
      votes_a: 2,
      annotator_group: "medical experts",
    });
  });

  it("trl, trl-conversational and arena carry the column when asked; hh never does", () => {
    for (const format of ["trl", "trl-conversational", "arena"] as const) {
      expect(recordsForItem(format, it1, ctx()).records.map((r) => r.annotator_group)).toEqual([
        "medical experts",
        "medical experts",
        null,
      ]);
      for (const r of recordsForItem(format, it1, ctx({}, false)).records) expect(r).not.toHaveProperty("annotator_group");
    }
    for (const r of recordsForItem("hh", it1, ctx()).records) expect(Object.keys(r)).toEqual(["chosen", "rejected"]);
    // The fast TRL line writer adds the same field as the generic record.
    const line = exportText("trl", [it1], ctx({ margin: true })).split("\n")[0] ?? "";
    expect(line.endsWith(',"margin":0,"annotator_group":"medical experts"}')).toBe(true);
  });
});

function seedGroups(db: Db) {
  const p = createProject(db, { name: "whose" });
  // Experts prefer x on every item, the unassigned layperson y; a tie from an expert on item 3.
  const lines = [1, 2, 3].map((n) =>
    pairItem(n, {
      judgments: [
        { annotator: "expert-1", winner: "a" },
        { annotator: "expert-2", winner: n === 3 ? "tie" : "a" },
        { annotator: "lay-1", winner: "b" },
      ],
    }),
  );
  expect(importItems(db, { projectId: p.id, file: writeJsonl(lines) }).errors).toEqual([]);
  createGroup(db, { name: "medical experts" });
  createGroup(db, { name: "zh-native" });
  for (const name of ["expert-1", "expert-2"]) setUserGroup(db, { userId: ensureExternalAnnotator(db, name), group: "medical experts" });
  return p.id;
}

async function exportLines(db: Db, projectId: number, format: ExportFormat, extra: { group?: string; policies?: object } = {}) {
  const out = path.join(tempDir(), `out.${format}`);
  const r = await exportSnapshot(db, { projectId, format, out, ...extra });
  return { r, lines: fs.readFileSync(out, "utf8").trim().split("\n").filter(Boolean), out };
}

describe("exportSnapshot with annotator groups", () => {
  it("--group keeps only that group's judgments, records the filter, and raw keeps the group's tie", async () => {
    const db = memoryDb();
    const projectId = seedGroups(db);
    const all = await exportLines(db, projectId, "raw");
    expect(all.lines.map((l) => JSON.parse(l).annotator_group)).toEqual([
      "medical experts",
      "medical experts",
      null,
      "medical experts",
      "medical experts",
      null,
      "medical experts",
      "medical experts",
      null,
    ]);
    const experts = await exportLines(db, projectId, "raw", { group: "medical experts" });
    const rows = experts.lines.map((l) => JSON.parse(l));
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.annotator_group))).toEqual(new Set(["medical experts"]));
    expect(rows.map((r) => r.outcome)).toContain("tie");
    // The pseudonyms are the same as in the unfiltered export: the filter reveals nothing new.
    expect(new Set(rows.map((r) => r.annotator))).toEqual(new Set(all.lines.slice(0, 2).map((l) => JSON.parse(l).annotator)));
    const snap = db.select().from(snapshots).where(eq(snapshots.id, experts.r.snapshot)).get();
    expect(snap?.filter).toMatchObject({ group: "medical experts" });
    // Majority TRL rows of the experts alone: x wins every item (the tie is dropped by default).
    const trl = await exportLines(db, projectId, "trl", { group: "medical experts", policies: { aggregate: "majority" } });
    expect(trl.lines.map((l) => JSON.parse(l))).toEqual(
      [1, 2, 3].map((n) => ({
        prompt: `\n\nHuman: Question ${n}?\n\nAssistant:`,
        chosen: ` Answer ${n} from x`,
        rejected: ` Answer ${n} from y`,
        annotator_group: "medical experts",
      })),
    );
    // A group with no judgments in the project exports nothing; an unknown group is refused.
    expect((await exportLines(db, projectId, "raw", { group: "zh-native" })).lines).toEqual([]);
    await expect(exportLines(db, projectId, "raw", { group: "nobody" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining('no annotator group named "nobody"'),
    });
  });

  it("training formats gain the column only when the project has grouped judges, so old exports keep their bytes", async () => {
    const db = memoryDb();
    const projectId = seedGroups(db);
    const plain = createProject(db, { name: "no groups" });
    importItems(db, { projectId: plain.id, file: writeJsonl([pairItem(1, { judgments: [{ annotator: "someone", winner: "a" }] })]) });
    expect((await exportLines(db, plain.id, "trl")).lines).toEqual([
      '{"prompt":"\\n\\nHuman: Question 1?\\n\\nAssistant:","chosen":" Answer 1 from x","rejected":" Answer 1 from y"}',
    ]);
    expect(JSON.parse((await exportLines(db, plain.id, "raw")).lines[0] ?? "{}")).toMatchObject({ annotator_group: null });
    const trl = await exportLines(db, projectId, "trl");
    expect(trl.lines.map((l) => JSON.parse(l).annotator_group)).toEqual([
      "medical experts",
      "medical experts",
      null,
      "medical experts",
      "medical experts",
      null,
      "medical experts",
      null,
    ]);
    const parquet = await exportLines(db, projectId, "parquet", { group: "medical experts" });
    const buf = fs.readFileSync(parquet.out);
    const table = await parquetReadObjects({
      file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
      compressors: GUNZIP,
    });
    expect(table.map((r) => r.annotator_group)).toEqual(Array(5).fill("medical experts"));
  });
});

describe("npm run arbiter -- export --group", () => {
  it("writes only the group's judgments, and refuses an unknown group with exit 1", () => {
    const dbFile = path.join(tempDir("arbiter-export-group-"), "g.db");
    const db = openDb(dbFile);
    const projectId = seedGroups(db);
    db.$client.close();
    const out = path.join(path.dirname(dbFile), "experts.jsonl");
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", "scripts/arbiter.ts", "export", "--project", String(projectId), "--db", dbFile, ...args],
        {
          encoding: "utf8",
        },
      );
    const r = run("--format", "raw", "--group", "medical experts", "--out", out, "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 6 });
    const rows = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.every((row) => row.annotator_group === "medical experts")).toBe(true);
    const bad = run("--format", "raw", "--group", "nobody", "--out", out);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('no annotator group named "nobody"');
    expect(run("--format", "sft", "--group", "medical experts", "--out", out).status).toBe(2);
  });
});
