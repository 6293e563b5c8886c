import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { eq } from "drizzle-orm";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { assignments, auditEvents, items, judgments, snapshotJudgments, snapshots } from "@/db/schema";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { addAnnotator, memoryDb, pairItem, seedProject, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { exportSnapshot } from "./export-snapshot";

const GUNZIP = { GZIP: (input: Uint8Array) => new Uint8Array(zlib.gunzipSync(input)) };

const HH_LINES = [
  { chosen: "\n\nHuman: What is 2+2?\n\nAssistant: 4.", rejected: "\n\nHuman: What is 2+2?\n\nAssistant: 5, I think." },
  {
    chosen:
      "\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: Tell me a joke — über café ☕\n\nAssistant: Why did the chicken cross the road?",
    rejected: "\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: Tell me a joke — über café ☕\n\nAssistant: No.",
  },
  { chosen: "Preamble without a turn\n\nHuman: q\n\nAssistant:", rejected: "Preamble without a turn\n\nHuman: q\n\nAssistant: something" },
];

// Python's json.dumps, which wrote the HH files.
function pyLine(o: { chosen: string; rejected: string }): string {
  const s = (v: string) => JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `{"chosen": ${s(o.chosen)}, "rejected": ${s(o.rejected)}}`;
}

describe("exportSnapshot", () => {
  it("HH import then HH export gives the same bytes, with a snapshot, lineage and audit", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "hh" });
    const dir = tempDir();
    const input = path.join(dir, "hh.jsonl");
    const bytes = `${HH_LINES.map(pyLine).join("\n")}\n`;
    fs.writeFileSync(input, bytes);
    expect(importItems(db, { projectId: p.id, file: input, format: "hh" })).toMatchObject({ items: 3, judgments: 3, errors: [] });
    const out = path.join(dir, "out.jsonl");
    const r = await exportSnapshot(db, { projectId: p.id, format: "hh", out });
    expect(fs.readFileSync(out, "utf8")).toBe(bytes);
    expect(r.rows).toBe(3);
    expect(r.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    const snap = db.select().from(snapshots).where(eq(snapshots.id, r.snapshot)).get();
    expect(snap).toMatchObject({ format: "hh", rowCount: 3, sha256: r.sha256 });
    expect(db.select().from(snapshotJudgments).all()).toHaveLength(3);
    expect(
      db
        .select()
        .from(auditEvents)
        .all()
        .map((e) => e.action),
    ).toContain("project.export");
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });

  it("TRL rows (standard and conversational) round-trip through import and export", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "trl" });
    const rows = [
      { prompt: "Capital of France?", chosen: "Paris.", rejected: "Lyon." },
      { prompt: "Empty answer?", chosen: "Yes.", rejected: "" },
    ];
    const conv = [
      {
        prompt: [{ role: "user", content: "Hi" }],
        chosen: [{ role: "assistant", content: "Hello!" }],
        rejected: [{ role: "assistant", content: "Go away." }],
      },
    ];
    expect(
      importItems(db, {
        projectId: p.id,
        file: writeJsonl([...rows, ...conv.map((c) => ({ chosen: [...c.prompt, ...c.chosen], rejected: [...c.prompt, ...c.rejected] }))]),
        format: "trl",
      }).errors,
    ).toEqual([]);
    const out = path.join(tempDir(), "trl.jsonl");
    await exportSnapshot(db, { projectId: p.id, format: "trl", out });
    const got = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(got.slice(0, 2)).toEqual(rows);
    const outConv = path.join(tempDir(), "conv.jsonl");
    await exportSnapshot(db, { projectId: p.id, format: "trl-conversational", out: outConv });
    expect(JSON.parse(fs.readFileSync(outConv, "utf8").trim().split("\n")[2] ?? "")).toEqual(conv[0]);
  });

  it("reports bad HH and TRL lines with line and field, importing nothing", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "bad" });
    const hh = importItems(db, {
      projectId: p.id,
      file: writeJsonl([HH_LINES[0], { chosen: "a", rejected: "b" }, { chosen: 1 }]),
      format: "hh",
    });
    expect(hh.errors.map((e) => `${e.line}:${e.field}`)).toEqual(["2:chosen", "3:chosen", "3:rejected"]);
    const trl = importItems(db, { projectId: p.id, file: writeJsonl([{ chosen: "x", rejected: "y" }]), format: "trl" });
    expect(trl.errors).toEqual([{ line: 1, field: "prompt", message: expect.stringMatching(/share no prefix/) }]);
    expect(hh.items + trl.items).toBe(0);
  });

  it("a project with 0 judgments exports a valid empty file", async () => {
    const db = memoryDb();
    const p = seedProject(db, 3);
    const out = path.join(tempDir(), "empty.jsonl");
    expect(await exportSnapshot(db, { projectId: p.id, format: "trl", out })).toMatchObject({
      rows: 0,
      sha256: createHash("sha256").update("").digest("hex"),
    });
    expect(fs.readFileSync(out, "utf8")).toBe("");
  });

  it("streams many pages and writes arena rows with pseudonymous judges", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "arena" });
    const lines = Array.from({ length: 25 }, (_, i) =>
      pairItem(i, {
        judgments: [
          { annotator: "judge-x", winner: i % 2 ? "b" : "a" },
          { annotator: "judge-y", winner: "tie" },
        ],
      }),
    );
    importItems(db, { projectId: p.id, file: writeJsonl(lines) });
    const out = path.join(tempDir(), "arena.jsonl");
    const r = await exportSnapshot(db, { projectId: p.id, format: "arena", out, pageSize: 4, policies: { ties: "keep" } });
    expect(r.rows).toBe(50);
    const got = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(got.slice(0, 3).map((g) => g.winner)).toEqual(["model_a", "tie", "model_b"]);
    expect(got[0].judge).toMatch(/^ann_[0-9a-f]{12}$/);
    expect(JSON.stringify(got)).not.toContain("judge-x");
  });

  it("parquet holds the TRL columns (with soft labels) and reads back; an empty export is a valid file", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "pq" });
    const lines = Array.from({ length: 7 }, (_, i) =>
      pairItem(i, {
        judgments: [
          { annotator: "judge-x", winner: "a" },
          { annotator: "judge-y", winner: i % 2 ? "b" : "a" },
        ],
      }),
    );
    importItems(db, { projectId: p.id, file: writeJsonl(lines) });
    const out = path.join(tempDir(), "x.parquet");
    const r = await exportSnapshot(db, { projectId: p.id, format: "parquet", out, pageSize: 3, policies: { aggregate: "soft" } });
    expect(r.rows).toBe(7);
    const buf = fs.readFileSync(out);
    expect(r.sha256).toBe(createHash("sha256").update(buf).digest("hex"));
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    // What pyarrow (so HF datasets) needs: standard physical/logical types, codecs and encodings only.
    const meta = parquetMetadata(file);
    expect(meta.schema.slice(1).map((c) => [c.name, c.type, c.converted_type ?? null])).toEqual([
      ["prompt", "BYTE_ARRAY", "UTF8"],
      ["chosen", "BYTE_ARRAY", "UTF8"],
      ["rejected", "BYTE_ARRAY", "UTF8"],
      ["votes_a", "INT32", null],
      ["votes_b", "INT32", null],
      ["votes_tie", "INT32", null],
      ["p_chosen", "DOUBLE", null],
      ["entropy", "DOUBLE", null],
    ]);
    for (const group of meta.row_groups) {
      for (const chunk of group.columns) {
        expect(chunk.meta_data?.codec).toBe("GZIP");
        for (const e of chunk.meta_data?.encodings ?? []) expect(["PLAIN", "RLE", "RLE_DICTIONARY"]).toContain(e);
      }
    }
    const rows = await parquetReadObjects({ file, compressors: GUNZIP });
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatchObject({
      prompt: "\n\nHuman: Question 0?\n\nAssistant:",
      chosen: " Answer 0 from x",
      rejected: " Answer 0 from y",
      votes_a: 2,
      p_chosen: 1,
    });
    expect(rows[1]).toMatchObject({ votes_a: 1, votes_b: 1, p_chosen: 0.5, entropy: 1 });

    const empty = path.join(tempDir(), "e.parquet");
    const p2 = seedProject(db, 2);
    expect((await exportSnapshot(db, { projectId: p2.id, format: "parquet", out: empty })).rows).toBe(0);
    const eb = fs.readFileSync(empty);
    expect(await parquetReadObjects({ file: eb.buffer.slice(eb.byteOffset, eb.byteOffset + eb.byteLength), compressors: GUNZIP })).toEqual(
      [],
    );
  });

  it("swapped repeat judgments are not votes: pair formats keep the first judgment, raw flags the repeat", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "repeats" });
    importItems(db, { projectId: p.id, file: writeJsonl([pairItem(1)]) });
    const item = db.select().from(items).get();
    const userId = addAnnotator(db, "ann");
    if (!item) throw new Error("no item");
    const lease = { projectId: p.id, itemId: item.id, userId, leasedAt: 1, deadline: 2, state: "submitted" as const };
    const first = db
      .insert(assignments)
      .values({ ...lease, shownOrder: [0, 1] })
      .returning()
      .get();
    const repeat = db
      .insert(assignments)
      .values({ ...lease, shownOrder: [1, 0], repeatOf: first.id })
      .returning()
      .get();
    const judge = (assignmentId: number, outcome: "a" | "b") =>
      db
        .insert(judgments)
        .values({ projectId: p.id, itemId: item.id, assignmentId, annotatorId: userId, outcome, strength: 2 })
        .returning()
        .get().id;
    const kept = judge(first.id, "a");
    const flipped = judge(repeat.id, "b");
    const dir = tempDir();
    const trl = await exportSnapshot(db, { projectId: p.id, format: "trl", out: path.join(dir, "t.jsonl") });
    expect(trl.rows).toBe(1);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "t.jsonl"), "utf8"))).toMatchObject({ chosen: " Answer 1 from x" });
    const lineage = (snapshot: number) =>
      db
        .select({ id: snapshotJudgments.judgmentId })
        .from(snapshotJudgments)
        .where(eq(snapshotJudgments.snapshotId, snapshot))
        .all()
        .map((r) => r.id);
    expect(lineage(trl.snapshot)).toEqual([kept]);
    const soft = await exportSnapshot(db, {
      projectId: p.id,
      format: "csv",
      out: path.join(dir, "s.csv"),
      policies: { aggregate: "soft" },
    });
    expect(fs.readFileSync(path.join(dir, "s.csv"), "utf8").split("\r\n")[1]).toContain(",1,0,0,1,0,");
    expect(lineage(soft.snapshot)).toEqual([kept]);
    const raw = await exportSnapshot(db, { projectId: p.id, format: "raw", out: path.join(dir, "r.jsonl") });
    const rows = fs
      .readFileSync(path.join(dir, "r.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.judgment_id, r.repeat_of_assignment])).toEqual([
      [kept, null],
      [flipped, first.id],
    ]);
    expect(raw.rows).toBe(2);
  });

  it("--aggregate dawid-skene fits over the whole project before writing (a flipper's lone vote is read backwards)", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "ds" });
    const agree = (n: number, w: "a" | "b", flip: "a" | "b") =>
      pairItem(n, {
        judgments: [
          { annotator: "j1", winner: w },
          { annotator: "j2", winner: w },
          { annotator: "flipper", winner: flip },
        ],
      });
    const lines = [
      ...[1, 2, 3, 4].map((n) => agree(n, "a", "b")),
      ...[5, 6, 7, 8].map((n) => agree(n, "b", "a")),
      pairItem(9, { judgments: [{ annotator: "flipper", winner: "b" }] }),
    ];
    importItems(db, { projectId: p.id, file: writeJsonl(lines) });
    const out = path.join(tempDir(), "ds.jsonl");
    const r = await exportSnapshot(db, { projectId: p.id, format: "trl", out, pageSize: 2, policies: { aggregate: "dawid-skene" } });
    expect(r.rows).toBe(9);
    const got = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(got.map((g) => g.chosen.split(" ").pop())).toEqual(["x", "x", "x", "x", "y", "y", "y", "y", "x"]);
    expect(got[8]).toMatchObject({ votes_a: 0, votes_b: 1 });
    expect(got[8].p_chosen).toBeGreaterThan(0.5);
    expect(db.select().from(snapshots).where(eq(snapshots.id, r.snapshot)).get()?.policies).toMatchObject({ aggregate: "dawid-skene" });
  });

  it("large pages reach the file intact while the hash runs on its worker (file bytes = sha256 = rows)", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "big" });
    const long = (n: number, side: string) => `${side} ${n} `.repeat(2000);
    const lines = Array.from({ length: 60 }, (_, i) => ({
      id: `big-${i}`,
      prompt: `Prompt ${i}`,
      responses: [
        { model: "x", text: long(i, "left") },
        { model: "y", text: long(i, "right") },
      ],
      judgments: [{ annotator: "j", winner: "a" }],
    }));
    importItems(db, { projectId: p.id, file: writeJsonl(lines) });
    const out = path.join(tempDir(), "big.jsonl");
    const r = await exportSnapshot(db, { projectId: p.id, format: "trl", out, pageSize: 25 });
    const bytes = fs.readFileSync(out);
    expect(bytes.length).toBeGreaterThan(60 * 2 * 2000 * 8);
    expect(r.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    const rows = bytes
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(60);
    expect(rows[59]).toEqual({
      prompt: "\n\nHuman: Prompt 59\n\nAssistant:",
      chosen: ` ${long(59, "left")}`,
      rejected: ` ${long(59, "right")}`,
    });
  });
});
