import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/server/db";
import { seedProject, tempDir } from "@/server/testing/fixtures";

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args], { encoding: "utf8" });
}

let dir: string;
let source: string;
beforeAll(() => {
  dir = tempDir();
  source = path.join(dir, "source.db");
  const db = openDb(source);
  seedProject(db, 12);
  db.$client.close();
});

describe("npm run arbiter -- db:copy", () => {
  it("prints {tables: [{name, rows, checksum}]} with --json and progress on stderr", () => {
    const r = cli("db:copy", "--from", source, "--to", path.join(dir, "copy.db"), "--json");
    expect(r.stderr).toContain("copied   items: 12 rows");
    expect(r.stderr).toContain("verified items: 12 rows");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tables.find((t: { name: string }) => t.name === "items")).toEqual({
      name: "items",
      rows: 12,
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(out.tables.find((t: { name: string }) => t.name === "responses")?.rows).toBe(24);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("exits 1 with one error line for a target that is not empty, 2 for a missing flag", () => {
    const full = cli("db:copy", "--from", source, "--to", path.join(dir, "copy.db"));
    expect(full.status).toBe(1);
    expect(full.stderr).toMatch(/^error: --to .*copy\.db is not empty \(\w+ has \d+ rows\); db:copy fills only an empty database\n$/m);
    const usage = cli("db:copy", "--from", source);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("error: --to is required");
  });

  it("does not create the --db / ARBITER_DB database (it opens only --from and --to)", () => {
    const work = tempDir();
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/arbiter.ts", "db:copy", "--from", source, "--to", path.join(work, "c.db")],
      {
        encoding: "utf8",
        env: { ...process.env, ARBITER_DB: path.join(work, "default.db") },
      },
    );
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(work, "c.db"))).toBe(true);
    expect(fs.existsSync(path.join(work, "default.db"))).toBe(false);
  });
});
