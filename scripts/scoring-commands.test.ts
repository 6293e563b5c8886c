/** The `score` and `queue` CLI commands as a user runs them: a child process, real workers, a database file. */
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

describe("CLI score and queue", () => {
  it("scores a file line by line, prints {rows}, and orders a queue by uncertainty", { timeout: 120_000 }, () => {
    const dir = tempDir();
    const dbFile = path.join(dir, "cli.db");
    const db = openDb(dbFile);
    const project = createProject(db, { name: "cli", overlap: 1 });
    const items = Array.from({ length: 8 }, (_, i) => ({
      id: `c${i}`,
      prompt: `question ${i}`,
      responses: [
        { model: "x", text: `answer ${"x".repeat(i * 3)}` },
        { model: "y", text: `answer ${"y".repeat(20 - i)}` },
      ],
    }));
    expect(importItems(db, { projectId: project.id, file: writeJsonl(items) }).errorCount).toBe(0);
    const modelDir = writeTinyModel(path.join(dir, "model"));
    const model = db.insert(models).values({ name: "m", base: "tiny", dir: modelDir }).returning().get();
    db.$client.close();

    const input = path.join(dir, "in.jsonl");
    const lines = [
      { prompt: "hi", response: "hello", id: 1, tags: ["a"] },
      { prompt: [{ role: "user", content: "hi" }], response: "hello there", id: 2 },
    ];
    fs.writeFileSync(input, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const out = path.join(dir, "out.jsonl");
    const scored = cli(dbFile, "score", "--model", String(model.id), "--file", input, "--out", out, "--json");
    expect(scored.status, scored.stderr).toBe(0);
    expect(JSON.parse(scored.stdout)).toEqual({ rows: 2 });
    const rows = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map(({ reward, ...rest }) => rest)).toEqual(lines);
    expect(rows.every((r) => typeof r.reward === "number")).toBe(true);

    const queued = cli(
      dbFile,
      "queue",
      "--project",
      String(project.id),
      "--strategy",
      "uncertainty",
      "--model",
      String(model.id),
      "--limit",
      "5",
      "--random-share",
      "0",
      "--json",
    );
    expect(queued.status, queued.stderr).toBe(0);
    const q = JSON.parse(queued.stdout) as { items: { item: number; margin: number }[]; reordered: number };
    expect(q.reordered).toBe(8);
    expect(q.items).toHaveLength(5);
    expect(Object.keys(q.items[0] ?? {}).sort()).toEqual(["item", "margin"]);
    const margins = q.items.map((i) => i.margin);
    expect(margins).toEqual([...margins].sort((a, b) => a - b));

    const missing = cli(dbFile, "score", "--model", "99", "--file", input, "--out", out, "--json");
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe("error: model 99 does not exist");
    const usage = cli(dbFile, "queue", "--project", String(project.id), "--strategy", "uncertainty", "--json");
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^error: --strategy uncertainty needs --model/);
  });
});
