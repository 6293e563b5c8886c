/** `evaluate` and `train --base` as a user runs them: a child process, the real scoring worker, a database file. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { models } from "@/db/schema";
import { openDb } from "@/server/db";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { tempDir, writeJsonl } from "@/server/testing/fixtures";
import { writeTinyModel } from "@/server/testing/tiny-model";

function cli(db: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args, "--db", db], { encoding: "utf8" });
}

describe("CLI evaluate", () => {
  it("prints {accuracy, n, subsets} equal to comparing the score command's rewards; bad lines exit 1 naming them", {
    timeout: 180_000,
  }, () => {
    const dir = tempDir();
    const dbFile = path.join(dir, "cli.db");
    const db = openDb(dbFile);
    const modelDir = writeTinyModel(path.join(dir, "model"));
    const model = db.insert(models).values({ name: "m", base: "tiny", dir: modelDir }).returning().get();
    db.$client.close();

    const rows = Array.from({ length: 12 }, (_, i) => ({
      prompt: `question ${i}?`,
      chosen: `answer ${"a".repeat(i + 1)}`,
      rejected: `reply ${"b".repeat(12 - i)}`,
      subset: i % 3 === 0 ? "math" : "chat",
    }));
    const input = path.join(dir, "prefs.jsonl");
    fs.writeFileSync(input, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const r = cli(dbFile, "evaluate", "--model", String(model.id), "--file", input, "--subset-field", "subset", "--json");
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { accuracy: number; n: number; subsets: Record<string, { accuracy: number; n: number }> };

    // The same pairs through `score`: chosen and rejected of each row, as evaluate reads them.
    const scoreIn = path.join(dir, "score-in.jsonl");
    fs.writeFileSync(
      scoreIn,
      `${rows.flatMap((row) => [row.chosen, row.rejected].map((response) => JSON.stringify({ prompt: row.prompt, response }))).join("\n")}\n`,
    );
    const out = path.join(dir, "scored.jsonl");
    const s = cli(dbFile, "score", "--model", String(model.id), "--file", scoreIn, "--out", out, "--json");
    expect(s.status, s.stderr).toBe(0);
    const rewards = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { reward: number }).reward);
    const right = rows.map((_, i) => (rewards[2 * i] as number) > (rewards[2 * i + 1] as number));
    const acc = (idx: number[]) => idx.filter((i) => right[i]).length / idx.length;
    const all = rows.map((_, i) => i);
    expect(got.n).toBe(12);
    expect(got.accuracy).toBeCloseTo(acc(all), 10);
    expect(got.subsets.math).toEqual({ n: 4, accuracy: acc(all.filter((i) => i % 3 === 0)) });
    expect(got.subsets.chat?.n).toBe(8);

    fs.appendFileSync(input, '{"prompt": "p", "chosen": "a"}\n');
    const bad = cli(dbFile, "evaluate", "--model", String(model.id), "--file", input, "--json");
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toMatch(new RegExp(`^error: ${input.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}, line 13, field rejected`));
    expect(bad.stdout).toBe("");
    expect(cli(dbFile, "evaluate", "--file", input).status).toBe(2);
  });

  it("train refuses a base outside the model folders and takes a Hub id with --init random", { timeout: 60_000 }, () => {
    const dir = tempDir();
    const dbFile = path.join(dir, "cli.db");
    const db = openDb(dbFile);
    const p = createProject(db, { name: "bases" });
    const items = [0, 1].map((i) => ({
      prompt: `q${i}`,
      responses: [
        { model: "x", text: "a" },
        { model: "y", text: "b" },
      ],
      judgments: [{ annotator: "j", winner: "a" }],
    }));
    expect(importItems(db, { projectId: p.id, file: writeJsonl(items) }).errorCount).toBe(0);
    db.$client.close();
    const refused = cli(dbFile, "train", "--project", String(p.id), "--base", "/etc", "--json");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*base "\/etc": .*outside the allowed model folders/);
    const hub = cli(dbFile, "train", "--project", String(p.id), "--base", "Qwen/Qwen2.5-0.5B-Instruct", "--init", "random", "--json");
    expect(hub.status, hub.stderr).toBe(0);
    expect(JSON.parse(hub.stdout)).toMatchObject({ job: expect.any(Number) });
    expect(cli(dbFile, "train", "--project", String(p.id), "--init", "zeros").status).toBe(2);
  });
});
