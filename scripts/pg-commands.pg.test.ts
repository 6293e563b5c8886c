/**
 * The CLI on PostgreSQL, as a lab would run it against its server: `--db postgres://…` creates a
 * project, imports into it all or nothing, reports status and exports; a refused file names line and field
 * and leaves an audit event; commands not yet on PostgreSQL, an unreachable server and a live
 * project say so clearly, never printing the password.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { createPgTestDatabase } from "@/server/testing/pg";

let database: Awaited<ReturnType<typeof createPgTestDatabase>>;
beforeAll(async () => {
  database = await createPgTestDatabase("cli");
});
afterAll(async () => {
  await database?.drop();
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, ARBITER_DB: "", ARBITER_PSEUDONYM_KEY: "" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
}

describe("the CLI with --db postgres://", () => {
  it("creates a project, imports into it and reports its status", () => {
    const created = cli("project:create", "--name", "pg-cli", "--overlap", "2", "--db", database.url, "--json");
    expect(created.stderr).toBe("");
    expect(created.status).toBe(0);
    const id = created.json().id as number;
    const file = writeJsonl([pairItem(1, { judgments: [{ annotator: "ext-judge", winner: "b" }] }), pairItem(2), pairItem(3)]);
    const imported = cli("import", "--project", "pg-cli", "--file", file, "--db", database.url, "--json");
    expect(imported.status).toBe(0);
    expect(imported.json()).toEqual({ items: 3, responses: 6, judgments: 1, errors: [] });
    const status = cli("status", "--project", String(id), "--db", database.url, "--json");
    expect(status.json()).toEqual({ items: 3, responses: 6, judgments: 1, annotators: 1, done_items: 0 });
  });

  it("refuses a bad file whole, naming file, line and field, and audits the refusal", async () => {
    const file = writeJsonl([pairItem(10), { ...pairItem(11), responses: [{ model: "m", text: "only one" }] }]);
    const r = cli("import", "--project", "pg-cli", "--file", file, "--db", database.url);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}, line 2, field responses: an item needs at least 2 responses`);
    expect(r.stderr).toContain("nothing was imported");
    expect(cli("status", "--project", "pg-cli", "--db", database.url, "--json").json().items).toBe(3);
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    const audit = await c.query<{ action: string; detail: string }>("SELECT action, detail FROM audit_events ORDER BY id");
    await c.end();
    expect(audit.rows.map((r) => r.action)).toEqual(["project.create", "project.import", "project.import_failed"]);
    expect(JSON.parse(audit.rows[2]?.detail ?? "{}")).toMatchObject({
      problems: 1,
      first: "line 2, field responses: an item needs at least 2 responses to compare",
    });
  });

  it("exports a dataset straight from PostgreSQL, with the pseudonym key every instance shares", () => {
    const out = path.join(tempDir(), "pg.trl.jsonl");
    const refused = cli("export", "--project", "pg-cli", "--format", "trl", "--out", out, "--db", database.url);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/exports from PostgreSQL need ARBITER_PSEUDONYM_KEY/);
    expect(fs.existsSync(out)).toBe(false);
    const r = cli("export", "--project", "pg-cli", "--format", "trl", "--out", out, "--db", database.url, "--json", "--key", "k");
    expect(r.status).toBe(2); // an unknown flag is a usage error, as on SQLite
    const ok = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/arbiter.ts",
        "export",
        "--project",
        "pg-cli",
        "--format",
        "trl",
        "--out",
        out,
        "--db",
        database.url,
        "--json",
      ],
      { encoding: "utf8", env: { ...process.env, ARBITER_DB: "", ARBITER_PSEUDONYM_KEY: "a-shared-key-of-some-length" } },
    );
    expect(ok.stderr).toBe("");
    expect(JSON.parse(ok.stdout)).toMatchObject({ rows: 1, snapshot: 1 });
    const rows = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(1);
    // TRL's implicit-prompt convention, as from SQLite (B was chosen).
    expect(rows[0]).toMatchObject({
      prompt: "\n\nHuman: Question 1?\n\nAssistant:",
      chosen: " Answer 1 from y",
      rejected: " Answer 1 from x",
    });
    const sft = cli("export", "--project", "pg-cli", "--format", "sft", "--out", out, "--db", database.url);
    expect(sft.stderr).toMatch(/not exported from PostgreSQL in this build/);
  });

  it("says which commands run on PostgreSQL when one does not yet, and never prints the password", () => {
    const r = cli("stats", "--project", "pg-cli", "--db", database.url);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/on PostgreSQL the CLI runs db:copy, project:create, import, status, export so far/);
    const password = new URL(database.url).password;
    if (password) expect(r.stderr).not.toContain(password);
    const live = cli("project:create", "--name", "arena", "--kind", "arena", "--generators", "a,b", "--db", database.url);
    expect(live.status).toBe(1);
    expect(live.stderr).toMatch(/conversation and arena projects .* are not on PostgreSQL in this build/);
  });

  it("names host and port of an unreachable server, not the password", () => {
    const r = cli("status", "--project", "1", "--db", "postgres://someone:s3cret-pw@127.0.0.1:1/nowhere");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1/);
    expect(r.stderr).not.toContain("s3cret-pw");
  });
});
