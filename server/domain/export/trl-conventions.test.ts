/**
 * TRL's conventions, byte for byte: a standard `trl` export splits each full text where TRL's
 * `extract_prompt` splits HH (prompt through "\n\nAssistant:", completion from its space), TRL files come
 * back through `import --format trl` unchanged (explicit or implicit prompt, multi-turn HH prompts without
 * double wrapping), and `raw` keeps every judgment. The exported fixture server/trainer/tests/fixtures/trl-export.jsonl
 * is checked here to be exactly what the exporter writes; tests/test_trl_export.py loads it with the real
 * `datasets` and splits it with TRL's `extract_prompt`.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importItems } from "@/server/domain/import/import-items";
import { trlImplicitPrefix } from "@/server/domain/import/preference-formats";
import { createProject } from "@/server/domain/projects";
import { memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { exportSnapshot } from "./export-snapshot";

type Row = Record<string, unknown>;

async function exportRows(db: ReturnType<typeof memoryDb>, projectId: number, format: "trl" | "hh" | "raw", policies = {}) {
  const out = path.join(tempDir(), `${format}.jsonl`);
  await exportSnapshot(db, { projectId, format, out, policies });
  const text = fs.readFileSync(out, "utf8");
  return {
    text,
    rows: text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Row),
  };
}

const HH = [
  { chosen: "\n\nHuman: What is 2+2?\n\nAssistant: 4.", rejected: "\n\nHuman: What is 2+2?\n\nAssistant: 5, I think." },
  {
    chosen: "\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: A joke — über café ☕\n\nAssistant: Why did the chicken cross?",
    rejected: "\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: A joke — über café ☕\n\nAssistant: No.",
  },
  { chosen: "Preamble\n\nHuman: q\n\nAssistant:", rejected: "Preamble\n\nHuman: q\n\nAssistant: something" },
];

// The items behind the committed fixture: HH pairs, a plain arbiter item and a chat-prompt arbiter item.
const ARBITER = [
  {
    id: "plain",
    prompt: 'Quote "this" and a\nnewline',
    responses: [
      { model: "x", text: 'Sure: "this"' },
      { model: "y", text: "" },
    ],
    judgments: [{ annotator: "j1", winner: "a" }],
  },
  {
    id: "chat",
    prompt: [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello." },
      { role: "user", content: "Bye?" },
    ],
    responses: [
      { model: "x", text: "Bye!" },
      { model: "y", text: "No." },
    ],
    judgments: [{ annotator: "j1", winner: "b" }],
  },
];

const FIXTURE = path.join(process.cwd(), "server/trainer/tests/fixtures/trl-export.jsonl");

async function fixtureProject() {
  const db = memoryDb();
  const p = createProject(db, { name: "trl-conventions" });
  expect(importItems(db, { projectId: p.id, file: writeJsonl(HH), format: "hh" }).errors).toEqual([]);
  expect(importItems(db, { projectId: p.id, file: writeJsonl(ARBITER) }).errors).toEqual([]);
  return { db, projectId: p.id };
}

describe("standard trl export", () => {
  it("splits every full text where TRL's extract_prompt splits HH: prompt + chosen is the hh text, byte for byte", async () => {
    const { db, projectId } = await fixtureProject();
    const trl = await exportRows(db, projectId, "trl");
    const hh = await exportRows(db, projectId, "hh");
    expect(trl.rows).toHaveLength(5);
    trl.rows.forEach((r, i) => {
      expect(`${r.prompt}${r.chosen}`).toBe(hh.rows[i]?.chosen);
      expect(`${r.prompt}${r.rejected}`).toBe(hh.rows[i]?.rejected);
    });
    expect(trl.rows[0]).toEqual({ prompt: "\n\nHuman: What is 2+2?\n\nAssistant:", chosen: " 4.", rejected: " 5, I think." });
    // A reply imported without its space stays without one (TRL would split it the same way).
    expect(trl.rows[2]).toEqual({ prompt: "Preamble\n\nHuman: q\n\nAssistant:", chosen: "", rejected: " something" });
    expect(trl.rows[3]).toEqual({
      prompt: '\n\nHuman: Quote "this" and a\nnewline\n\nAssistant:',
      chosen: ' Sure: "this"',
      rejected: " ",
    });
    expect(trl.rows[4]).toEqual({
      prompt: "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Bye?\n\nAssistant:",
      chosen: " No.",
      rejected: " Bye!",
    });
    // What the Python test loads with `datasets` is exactly what the exporter writes.
    expect(fs.readFileSync(FIXTURE, "utf8")).toBe(trl.text);
  });

  it("multi-turn TRL prompts round-trip through import --format trl and export --format hh / trl unchanged", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "trl-multi" });
    const lines = [
      {
        prompt: "\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: A joke?\n\nAssistant:",
        chosen: " Why did the chicken cross?",
        rejected: " No.",
      },
      { prompt: "The sky is", chosen: " blue.", rejected: "green." },
    ];
    expect(importItems(db, { projectId: p.id, file: writeJsonl(lines), format: "trl" }).errors).toEqual([]);
    const trl = await exportRows(db, p.id, "trl");
    expect(trl.rows).toEqual(lines);
    const hh = await exportRows(db, p.id, "hh");
    expect(hh.rows.map((r) => r.chosen)).toEqual(lines.map((l) => l.prompt + l.chosen));
    expect(hh.rows.map((r) => r.rejected)).toEqual(lines.map((l) => l.prompt + l.rejected));
    expect(hh.text).not.toContain("Human: \n\nHuman:");
    // And the HH-form line imports back as HH to the same item.
    const p2 = createProject(db, { name: "trl-multi-back" });
    const back = path.join(tempDir(), "back.jsonl");
    fs.writeFileSync(back, hh.text.split("\n")[0] ?? "");
    expect(importItems(db, { projectId: p2.id, file: back, format: "hh" }).errors).toEqual([]);
    expect((await exportRows(db, p2.id, "hh")).text).toBe(`${hh.text.split("\n")[0]}\n`);
  });

  it("reads implicit-prompt text rows by TRL's longest common prefix, and exports them back byte for byte", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "trl-implicit" });
    const lines = [
      { chosen: "\n\nHuman: Hi\n\nAssistant: Hello there", rejected: "\n\nHuman: Hi\n\nAssistant: Go away" },
      { chosen: "The sky is blue.", rejected: "The sky is green." },
      { chosen: "2+2=4", rejected: "2+2=5" },
    ];
    expect(importItems(db, { projectId: p.id, file: writeJsonl(lines), format: "trl" }).errors).toEqual([]);
    const trl = await exportRows(db, p.id, "trl");
    expect(trl.rows).toEqual([
      { prompt: "\n\nHuman: Hi\n\nAssistant:", chosen: " Hello there", rejected: " Go away" },
      { prompt: "The sky is", chosen: " blue.", rejected: " green." },
      { prompt: "2+2=", chosen: "4", rejected: "5" },
    ]);
    for (const [i, r] of trl.rows.entries()) {
      expect([`${r.prompt}${r.chosen}`, `${r.prompt}${r.rejected}`]).toEqual([lines[i]?.chosen, lines[i]?.rejected]);
    }
  });

  it("implicit prefixes follow extract_prompt exactly, quirks included", () => {
    expect(trlImplicitPrefix("a b c", "a b d")).toBe("a b");
    expect(trlImplicitPrefix("ab x", "ab y")).toBe("ab");
    expect(trlImplicitPrefix("☕😀a", "☕😀b")).toBe("☕😀");
    // No difference: Python's loop variable stays at its last value.
    expect(trlImplicitPrefix("same", "same")).toBe("sam");
    expect(trlImplicitPrefix("ab", "abc")).toBe("a");
    // A difference at 0 looks at chosen[-1], the last character.
    expect(trlImplicitPrefix("x y ", "z")).toBe("x y");
    expect(trlImplicitPrefix("x", "y")).toBe("");
  });

  it("an implicit text row with no common prefix is an error naming line and field", () => {
    const db = memoryDb();
    const p = createProject(db, { name: "trl-bad" });
    const r = importItems(db, {
      projectId: p.id,
      file: writeJsonl([
        { chosen: "x", rejected: "y" },
        { chosen: "x", rejected: [{ role: "assistant", content: "y" }] },
      ]),
      format: "trl",
    });
    expect(r.errors).toEqual([
      { line: 1, field: "prompt", message: expect.stringMatching(/share no prefix/) },
      { line: 2, field: "prompt", message: expect.stringMatching(/both be text or both be message lists/) },
    ]);
    expect(r.items).toBe(0);
  });
});

describe("raw export", () => {
  it("keeps ties and both-bad judgments unless a policy flag drops them", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "raw" });
    const line = {
      id: "i1",
      prompt: "Q?",
      responses: [
        { model: "x", text: "a" },
        { model: "y", text: "b" },
      ],
      judgments: [
        { annotator: "j1", winner: "a" },
        { annotator: "j2", winner: "tie" },
        { annotator: "j3", winner: "both_bad" },
      ],
    };
    expect(importItems(db, { projectId: p.id, file: writeJsonl([line]) }).errors).toEqual([]);
    expect((await exportRows(db, p.id, "raw")).rows.map((r) => r.outcome)).toEqual(["a", "tie", "both_bad"]);
    expect((await exportRows(db, p.id, "raw", { ties: "drop" })).rows.map((r) => r.outcome)).toEqual(["a", "both_bad"]);
    expect((await exportRows(db, p.id, "raw", { ties: "drop", bothBad: "drop" })).rows.map((r) => r.outcome)).toEqual(["a"]);
    // Pair formats still drop them by default.
    expect((await exportRows(db, p.id, "trl")).rows).toHaveLength(1);
  });
});
