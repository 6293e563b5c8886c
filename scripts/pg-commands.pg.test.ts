/**
 * The CLI on PostgreSQL, as a lab would run it against its server: `--db postgres://…` creates a
 * project, imports into it all or nothing, reports status and exports; a refused file names line and field
 * and leaves an audit event; a lab's whole sequence of commands (accounts, groups, members, a live
 * arena project, stats, jobs, exports) gives the same answers as on a SQLite file; backup and restore,
 * SQLite only, point to pg_dump / pg_restore; an unreachable server is named, never the password.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { expectSameOnBoth } from "@/server/testing/engines";
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

// Each test spawns several CLI processes (a second or more each to start): room for a loaded machine.
describe("the CLI with --db postgres://", { timeout: 120_000 }, () => {
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
  });

  it("refuses backup and restore, SQLite only, pointing to pg_dump and pg_restore, and never prints the password", () => {
    const out = path.join(tempDir(), "b.db");
    const backup = cli("backup", "--out", out, "--db", database.url);
    expect(backup.status).toBe(1);
    expect(backup.stderr).toMatch(/^error: backup runs on SQLite only: .*pg_dump --format=custom .*"PostgreSQL: backup and restore"/);
    expect(fs.existsSync(out)).toBe(false);
    const restore = cli("restore", "--from", out, "--db", database.url);
    expect(restore.status).toBe(1);
    expect(restore.stderr).toMatch(/^error: restore runs on SQLite only: .*pg_restore into a new, empty database/);
    const password = new URL(database.url).password;
    if (password) expect(backup.stderr + restore.stderr).not.toContain(password);
    // ARBITER_DB is read the same way as --db.
    const viaEnv = spawnSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", "backup", "--out", out], {
      encoding: "utf8",
      env: { ...process.env, ARBITER_DB: database.url },
    });
    expect(viaEnv.stderr).toMatch(/^error: backup runs on SQLite only/);
  });

  it("names host and port of an unreachable server, not the password", () => {
    const r = cli("status", "--project", "1", "--db", "postgres://someone:s3cret-pw@127.0.0.1:1/nowhere");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1/);
    expect(r.stderr).not.toContain("s3cret-pw");
  });
});

/** One CLI run without blocking this process, so two engines' sequences run side by side. */
function cliAsync(env: Record<string, string>, args: string[]) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const PASSWORD = "a long enough password 42";
/** Items with three outside judges who mostly prefer model-y, so stats has agreement and a leaderboard. */
const ITEMS = Array.from({ length: 8 }, (_, i) =>
  pairItem(i, {
    judgments: ["judge-a", "judge-b", "judge-c"].map((annotator, j) => ({
      annotator,
      winner: (i + j) % 4 === 0 ? "a" : (i + j) % 5 === 0 ? "tie" : "b",
    })),
  }),
);

/** When a row was written and how fast a server answered: they differ from run to run. */
const TIMINGS = new Set(["at", "created_at", "createdAt", "latency_ms", "ttft_ms", "tokens_per_s"]);

/** `v` with each timing replaced by its type. */
function withoutTimings(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimings);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, TIMINGS.has(k) ? typeof x : withoutTimings(x)]));
}

/**
 * A lab's sequence of commands against `db`, each expected to succeed: the --json answers and the
 * exported files by step, times left out (and the checksum of the one export that holds them).
 */
async function labSequence(db: string, server: TestServer): Promise<Record<string, unknown>> {
  const dir = tempDir();
  const items = writeJsonl(ITEMS, dir);
  const prompts = path.join(dir, "prompts.jsonl");
  fs.writeFileSync(prompts, ["p0", "p1", "p2"].map((id) => JSON.stringify({ id, prompt: `write about ${id}` })).join("\n"));
  const env = { ARBITER_DB: "", ARBITER_PSEUDONYM_KEY: "a-shared-key-of-some-length" };
  const out: Record<string, unknown> = {};
  const files: Record<string, string> = {};
  const steps: [string, string[]][] = [
    ["admin", ["user:add", "--email", "Admin@Test.local", "--password", PASSWORD, "--role", "admin", "--name", "Ada"]],
    ["annotator", ["user:add", "--email", "ann@test.local", "--password", PASSWORD, "--role", "annotator"]],
    ["annotator2", ["user:add", "--email", "bob@test.local", "--password", PASSWORD, "--role", "annotator"]],
    ["group", ["group:create", "--name", "experts", "--description", "medical"]],
    ["userGroup", ["user:group", "--email", "ann@test.local", "--group", "experts"]],
    ["groups", ["group:list"]],
    ["project", ["project:create", "--name", "seq", "--overlap", "4", "--criteria", "helpful,harmless", "--access", "members"]],
    ["members", ["project:members", "--project", "seq", "--add", "ann@test.local,bob@test.local"]],
    ["removed", ["project:members", "--project", "seq", "--remove", "bob@test.local"]],
    ["access", ["project:access", "--project", "seq", "--access", "members", "--require-group", "experts"]],
    ["import", ["import", "--project", "seq", "--file", items]],
    ["status", ["status", "--project", "seq"]],
    ["stats", ["stats", "--project", "seq", "--baseline", "model-x", "--resamples", "50"]],
    ["statsByGroup", ["stats", "--project", "seq", "--by-group", "--resamples", "20"]],
    ["queue", ["queue", "--project", "seq", "--strategy", "random", "--seed", "7", "--limit", "3"]],
    // Two generators on a test server of this process (one probed as it is added), two never contacted.
    ["genA", ["generator:add", "--name", "gen-a", "--url", server.url, "--model", "served", "--test"]],
    ["genB", ["generator:add", "--name", "gen-b", "--url", server.url, "--model", "served"]],
    [
      "genKeyed",
      ["generator:add", "--name", "gen-k", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "ARBITER_SEQ_KEY"],
    ],
    ["genLocal", ["generator:add", "--name", "gen-l", "--local", "owner/model-l"]],
    ["genRemoved", ["generator:remove", "--name", "gen-l"]],
    ["genTest", ["generator:test", "--name", "gen-b"]],
    ["generators", ["generator:list"]],
    ["arena", ["project:create", "--name", "arena", "--kind", "arena", "--generators", "gen-a,gen-b", "--max-turns", "4", "--rewrites"]],
    ["arenaPaused", ["project:live", "--project", "arena", "--pause", "--temperature", "0.5"]],
    // A sampling round run here to the end (the CLI's own runner), then one left queued for the server.
    [
      "generated",
      ["generate", "--project", "seq", "--prompts", prompts, "--generators", "gen-a,gen-b", "--samples", "1", "--seed", "3", "--wait"],
    ],
    ["failures", ["generate:failures", "--job", "1"]],
    ["generate", ["generate", "--project", "seq", "--prompts", prompts, "--generators", "gen-a", "--samples", "2"]],
    ["train", ["train", "--project", "seq", "--epochs", "2", "--ties", "drop"]],
    // A tiny reward model trained here (the CLI's own job runner), then put to work on the project.
    ["trained", ["train", "--project", "seq", "--base", "tiny", "--wait"]],
    ["scored", ["score", "--model", "1", "--project", "seq", "--scope", "open", "--out", "scored", "--device", "cpu"]],
    [
      "uncertain",
      ["queue", "--project", "seq", "--strategy", "uncertainty", "--model", "1", "--limit", "3", "--random-share", "0", "--device", "cpu"],
    ],
    ["exportTrl", ["export", "--project", "seq", "--format", "trl", "--out", "trl"]],
    ["exportRaw", ["export", "--project", "seq", "--format", "raw", "--aggregate", "majority", "--out", "raw"]],
    ["exportPrompts", ["export", "--project", "arena", "--format", "prompts", "--out", "prompts"]],
    ["exportSft", ["export", "--project", "arena", "--format", "sft", "--out", "sft"]],
    ["exportRewrites", ["export", "--project", "arena", "--rewrites", "pair", "--format", "trl", "--out", "rewrites"]],
    ["statusAfter", ["status", "--project", "seq"]],
  ];
  for (const [name, args] of steps) {
    const outAt = args.indexOf("--out");
    if (outAt >= 0) {
      files[name] = path.join(dir, `${args[outAt + 1]}.jsonl`);
      args[outAt + 1] = files[name];
    }
    const r = await cliAsync(env, [...args, "--db", db, "--json"]);
    expect(r.stderr, `${name} on ${db.startsWith("postgres") ? "PostgreSQL" : "SQLite"}`).toBe("");
    expect(r.status, name).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    // The raw export's checksum covers timestamps; the scored file's covers rewards, which the scorer
    // batches as requests arrive (equal to 1e-4 across batchings, not to the last bit).
    if (name === "exportRaw" || name === "scored") json.sha256 = typeof json.sha256;
    // The sampling round stores its prompts' items as their answers arrive, so which generated item
    // got which id differs from run to run: the uncertainty queue is compared by its margins.
    if (name === "uncertain") json.items = (json.items as { margin: number }[]).map((i) => roundFloats(i.margin)).sort();
    out[name] = withoutTimings(json);
  }
  for (const [name, file] of Object.entries(files)) {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    const rows = lines.map((l) => withoutTimings(JSON.parse(l)));
    // Scored rows likewise without item ids, in content order.
    out[`${name}:file`] = name === "scored" ? withoutItemIds(roundFloats(rows) as Record<string, unknown>[]) : rows;
  }
  return out;
}

function withoutItemIds(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !/^(id|item|item_id|itemId)$/.test(k)))))
    .sort();
}

/** Non-integer numbers to 4 decimals, anywhere in a value (rewards: see the scored step). */
function roundFloats(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? value : Math.round(value * 1e4) / 1e4;
  if (Array.isArray(value)) return value.map(roundFloats);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundFloats(v)]));
  return value;
}

describe("a lab's whole sequence of commands", () => {
  let seqDatabase: Awaited<ReturnType<typeof createPgTestDatabase>>;
  let server: TestServer;
  beforeAll(async () => {
    seqDatabase = await createPgTestDatabase("cli_seq");
    server = await startOpenAITestServer({ model: "served" });
  });
  afterAll(async () => {
    await seqDatabase?.drop();
    await server?.close();
  });

  it("answers the same on PostgreSQL as on a SQLite file", { timeout: 300_000 }, async () => {
    const sqliteFile = path.join(tempDir(), "seq.db");
    const [onSqlite, onPg] = await Promise.all([labSequence(sqliteFile, server), labSequence(seqDatabase.url, server)]);

    // What the steps did (the same on both engines, so checked once, on PostgreSQL).
    expect(onPg.admin).toEqual({ id: 1 });
    expect(onPg.groups).toEqual({ groups: [{ id: 1, name: "experts", description: "medical", members: 1 }] });
    expect(onPg.removed).toEqual({ members: [{ userId: 2, email: "ann@test.local", name: expect.any(String), group: "experts" }] });
    expect(onPg.access).toEqual({ id: 1, access: "members", requiredGroup: "experts" });
    expect(onPg.import).toEqual({ items: 8, responses: 16, judgments: 24, errors: [] });
    expect(onPg.status).toEqual({ items: 8, responses: 16, judgments: 24, annotators: 3, done_items: 0 });
    expect(onPg.stats).toMatchObject({ judgments: 24, baseline: "model-x" });
    expect((onPg.queue as { items: unknown[] }).items).toHaveLength(3);
    expect(onPg.genA).toMatchObject({ id: 1, name: "gen-a", test: { ok: true, model: "served" } });
    expect(onPg.genTest).toMatchObject({ id: 2, test: { ok: true, sample: expect.stringMatching(/^echo: /) } });
    expect((onPg.generators as { generators: { name: string }[] }).generators.map((g) => g.name)).toEqual(["gen-a", "gen-b", "gen-k"]);
    expect(onPg.arenaPaused).toMatchObject({ project: 2, kind: "arena", generators: [1, 2], paused: true, max_turns: 4, rewrites: true });
    expect(onPg.generated).toMatchObject({ job: 1, round: 1, items: 3, responses: 6, failed: 0 });
    expect(onPg.failures).toEqual({ job: 1, failures: [] });
    expect(onPg.generate).toMatchObject({ job: 2, round: 2, state: "queued" });
    expect(onPg.train).toEqual({ job: 3, model: null, metrics: null });
    expect(onPg.trained).toMatchObject({ job: 4, model: 1, metrics: { eval_accuracy: expect.any(Number) } });
    expect(onPg.scored).toMatchObject({ rows: 22 });
    expect(onPg.statusAfter).toMatchObject({ items: 11, responses: 22 });
    expect(onPg.exportTrl).toMatchObject({ rows: 21, snapshot: 3 }); // each train job recorded one first
    expect(onPg["exportTrl:file"]).toHaveLength(21);
    expect(onPg["exportRaw:file"]).toHaveLength(24);
    expect(onPg.exportPrompts).toMatchObject({ rows: 0 });
    // Every answer and every exported file, step by step, equals SQLite's.
    for (const step of Object.keys(onSqlite)) expectSameOnBoth(onPg[step], onSqlite[step], step);
    expect(Object.keys(onPg)).toEqual(Object.keys(onSqlite));
  });
});
