import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { items, judgments, projects, responses, users } from "@/db/schema";
import { createProject, getProjectStatus } from "@/server/domain/projects";
import { memoryDb, pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { assertImported, importItems } from "./import-items";

function tableCounts(db: ReturnType<typeof memoryDb>) {
  return [items, responses, judgments, users].map((t) => db.select().from(t).all().length);
}

describe("importItems (arbiter format)", () => {
  it("imports items, responses, chat prompts and external judgments", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "imp", overlap: 3 });
    const file = writeJsonl([
      pairItem(1, {
        judgments: [
          { annotator: "judge-x", winner: "a", strength: 2 },
          { annotator: "judge-y", winner: "tie" },
        ],
      }),
      {
        id: "chat-1",
        prompt: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello!" },
          { role: "user", content: "Rank these." },
        ],
        responses: [
          { model: "m1", text: "one" },
          { model: "m2", text: "" },
          { model: "m3", text: "three" },
        ],
        judgments: [{ annotator: "judge-x", ranking: [2, 0, 1] }],
      },
      pairItem(3, {
        responses: [
          { model: "m1", text: "same" },
          { model: "m2", text: "same" },
        ],
      }),
    ]);
    const r = importItems(db, { projectId: p.id, file });
    expect(r).toMatchObject({ items: 3, responses: 7, judgments: 3, errors: [] });
    expect(getProjectStatus(db, p.id)).toEqual({ items: 3, responses: 7, judgments: 3, annotators: 2, done_items: 0 });
    const external = db.select().from(users).all();
    expect(external.map((u) => [u.name, u.external, u.passwordHash])).toEqual([
      ["judge-x", true, null],
      ["judge-y", true, null],
    ]);
  });

  it("reports every bad line with line and field, and writes nothing", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "bad", overlap: 3 });
    const dir = tempDir();
    const file = path.join(dir, "bad.jsonl");
    const lines = [
      JSON.stringify(pairItem(1)),
      "{not json",
      JSON.stringify({ prompt: "q", responses: [{ model: "m", text: "only one" }] }),
      JSON.stringify(pairItem(4, { judgments: [{ annotator: "j", winner: "c" as "a" }] })),
      JSON.stringify(
        pairItem(5, {
          responses: [
            { model: "m", text: "x".repeat(1_000_001) },
            { model: "n", text: "y" },
          ],
        }),
      ),
      JSON.stringify(pairItem(1)),
      JSON.stringify({
        prompt: "",
        responses: [
          { model: "a", text: 1 },
          { model: "b", text: "y" },
        ],
      }),
      JSON.stringify(pairItem(8, { judgments: [{ annotator: "j", ranking: [0, 0] }] })),
    ];
    fs.writeFileSync(file, Buffer.concat([Buffer.from(`${lines.join("\n")}\n`), Buffer.from([0xff, 0xfe, 0x0a])]));
    const before = tableCounts(db);
    const r = importItems(db, { projectId: p.id, file });
    expect(r.items).toBe(0);
    expect(tableCounts(db)).toEqual(before);
    const got = r.errors.map((e) => `${e.line}:${e.field}`);
    expect(got).toEqual([
      "2:(line)",
      "3:responses",
      "4:judgments[0].winner",
      "5:responses[0].text",
      "6:id",
      "7:prompt",
      "7:responses[0].text",
      "8:judgments[0].ranking",
      "9:(line)",
    ]);
    expect(r.errors[7]?.message).toMatch(/0\.\.1 once/);
    expect(r.errors[8]?.message).toMatch(/UTF-8/);
    expect(() => assertImported(r, "bad.jsonl")).toThrow(/^bad\.jsonl, line 2, field \(line\): invalid JSON.*\(and 8 more\)$/);
  });

  it("rejects ids already in the project and an empty file, leaving the project as it was", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "dup" });
    expect(importItems(db, { projectId: p.id, file: writeJsonl([pairItem(1)]) }).items).toBe(1);
    const again = importItems(db, { projectId: p.id, file: writeJsonl([pairItem(2), pairItem(1)]) });
    expect(again.errors).toEqual([{ line: 2, field: "id", message: 'an item with id "item-1" is already in this project' }]);
    expect(importItems(db, { projectId: p.id, file: writeJsonl(["", "  "]) }).errors[0]?.message).toMatch(/no items/);
    expect(getProjectStatus(db, p.id).items).toBe(1);
  });

  it("keeps HTML in text as text (rendering makes it inert) and accepts CRLF and a BOM", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "html" });
    const file = path.join(tempDir(), "crlf.jsonl");
    const a = pairItem(1, {
      responses: [
        { model: "m", text: "<script>alert(1)</script>" },
        { model: "n", text: '<img src=x onerror="alert(1)">' },
      ],
    });
    fs.writeFileSync(file, `\ufeff${JSON.stringify(a)}\r\n${JSON.stringify(pairItem(2))}\r\n`);
    expect(importItems(db, { projectId: p.id, file })).toMatchObject({ items: 2, errors: [] });
    expect(db.select().from(responses).all()[0]?.content).toBe("<script>alert(1)</script>");
  });

  it("reports an over-long line without buffering it", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "long" });
    const file = path.join(tempDir(), "long.jsonl");
    fs.writeFileSync(file, `${JSON.stringify(pairItem(1))}\n${"x".repeat(17 * 1024 * 1024)}\n${JSON.stringify(pairItem(3))}\n`);
    const r = importItems(db, { projectId: p.id, file });
    expect(r.errors).toEqual([{ line: 2, field: "(line)", message: "line is longer than 16777216 bytes" }]);
  });

  it("hands out queue positions in file order, continuing across imports, and a failed import takes none", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "queue" });
    const other = createProject(db, { name: "other" });
    importItems(db, { projectId: p.id, file: writeJsonl([pairItem(1), pairItem(2)]) });
    importItems(db, { projectId: other.id, file: writeJsonl([pairItem(1)]) });
    expect(importItems(db, { projectId: p.id, file: writeJsonl([pairItem(3), "{"]) }).errorCount).toBe(1);
    importItems(db, { projectId: p.id, file: writeJsonl([pairItem(4), pairItem(5)]) });
    const positions = db
      .select({ externalId: items.externalId, pos: items.queuePos })
      .from(items)
      .where(eq(items.projectId, p.id))
      .orderBy(items.id)
      .all();
    expect(positions).toEqual([
      { externalId: "item-1", pos: 1 },
      { externalId: "item-2", pos: 2 },
      { externalId: "item-4", pos: 3 },
      { externalId: "item-5", pos: 4 },
    ]);
    expect(db.select({ seq: projects.queueSeq }).from(projects).where(eq(projects.id, p.id)).get()).toEqual({ seq: 4 });
  });
});
