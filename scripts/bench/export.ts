/**
 * bench:export — import and export at dataset scale, against the naive limits.
 *
 * Generates an arbiter JSONL file (default 300,000 items with ~200-char prompts and two ~1 KB
 * responses, 1,000,000 judgments from 12 external judges), then, each phase in its own process so
 * peak RSS is that phase's alone:
 *   import        importItems into a fresh database (all or nothing, one transaction)
 *   import-postgres, export-trl-postgres  the same importItems and TRL export on a fresh PostgreSQL
 *                 database (not in the default list: --phases import,import-postgres,export-trl,
 *                 export-trl-postgres; --pg-url names a server where databases may be created, else a
 *                 throwaway cluster is started). Peak RSS is this process's only, not the server's.
 *   naive-insert  a bare better-sqlite3 prepared-insert loop of the same rows into a fresh database
 *   export-trl    exportSnapshot --format trl (pages, backpressure, sha256, snapshot + lineage)
 *   export-parquet exportSnapshot --format parquet
 *   naive-export  a bare iterate() + JSON.stringify + write loop that ignores backpressure
 *   writer-hyparquet / writer-parquet-wasm  the two Parquet writers on the same TRL rows (same
 *                 pages, GZIP, one row group per page), file only: rows/s, peak RSS, file size
 * and prints rows/s, peak RSS and the ratios to the naive loops.
 * Usage: npm run bench:export [-- --items 300000 --judgments 1000000 --dir .tmp/bench-export
 *        --phases import,export-trl --keep-input --pg-url URL]
 * --phases runs only those phases (the database from an earlier import is reused); --keep-input
 * reuses an existing items.jsonl instead of generating it again.
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { openDb } from "@/server/db";
import { exportSnapshot } from "@/server/domain/export/export-snapshot";
import { recordsForItem } from "@/server/domain/export/formats";
import { itemPages } from "@/server/domain/export/item-pages";
import { writeParquet } from "@/server/domain/export/parquet";
import { zExportPolicies } from "@/server/domain/export/policies";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";

const { values: args } = parseArgs({
  options: {
    items: { type: "string", default: "300000" },
    judgments: { type: "string", default: "1000000" },
    dir: { type: "string", default: ".tmp/bench-export" },
    phase: { type: "string" },
    phases: { type: "string" },
    "keep-input": { type: "boolean" },
    "pg-url": { type: "string" },
  },
});
const ITEMS = Number(args.items);
const JUDGMENTS = Number(args.judgments);
const DIR = path.resolve(args.dir ?? ".tmp/bench-export");
const INPUT = path.join(DIR, "items.jsonl");
const DB = path.join(DIR, "bench.db");

const WORDS =
  "the model answer should explain why because data training reward policy gradient value function token sequence context window attention layer embedding vector loss accuracy evaluation human preference judgment annotator prompt response quality helpful harmless honest reasoning step example code python function return list dictionary error exception test case result".split(
    " ",
  );

function text(rand: () => number, chars: number): string {
  let s = "";
  while (s.length < chars) s += `${WORDS[Math.floor(rand() * WORDS.length)]}${rand() < 0.08 ? ". " : " "}`;
  return s.slice(0, chars);
}

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

async function generate() {
  fs.mkdirSync(DIR, { recursive: true });
  const out = fs.createWriteStream(INPUT);
  const rand = rng(42);
  let left = JUDGMENTS;
  for (let i = 0; i < ITEMS; i++) {
    const n = Math.round(left / (ITEMS - i));
    left -= n;
    const winners = ["a", "b", "tie", "a", "b", "both_bad", "a", "b"] as const;
    const line = JSON.stringify({
      id: `b-${i}`,
      prompt: text(rand, 200),
      responses: [
        { model: `model-${i % 7}`, text: text(rand, 900 + Math.floor(rand() * 250)) },
        { model: `model-${(i + 3) % 7}`, text: text(rand, 900 + Math.floor(rand() * 250)) },
      ],
      judgments: Array.from({ length: n }, (_, k) => {
        const winner = winners[Math.floor(rand() * winners.length)] ?? "a";
        return { annotator: `judge-${(i + k) % 12}`, winner, ...(winner === "a" || winner === "b" ? { strength: 1 + (k % 4) } : {}) };
      }),
    });
    if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

/** The PostgreSQL database the -postgres phases share (dropped at the end of the run). */
const PG_BENCH_DB = "bench_export";
const PG_PHASES = ["import-postgres", "export-trl-postgres"];

async function pgAdmin() {
  const server = args["pg-url"];
  if (!server) throw new Error("the -postgres phases need --pg-url");
  const pg = (await import("pg")).default;
  return async (statement: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    await c.query(statement).finally(() => c.end());
  };
}

async function openPgBench() {
  const { openPg } = await import("@/server/db-pg");
  const u = new URL(args["pg-url"] ?? "");
  u.pathname = `/${PG_BENCH_DB}`;
  return openPg(u.toString(), { max: 2 });
}

const PHASES = [
  "import",
  "import-postgres",
  "export-trl-postgres",
  "naive-insert",
  "export-trl",
  "export-parquet",
  "naive-export",
  "writer-hyparquet",
  "writer-parquet-wasm",
];

async function phase(name: string): Promise<Record<string, number>> {
  const t0 = performance.now();
  let rows = 0;
  if (name === "import") {
    fs.rmSync(DB, { force: true });
    const db = openDb(DB);
    const p = createProject(db, { name: "bench", overlap: 3 });
    const r = importItems(db, { projectId: p.id, file: INPUT });
    if (r.errorCount) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
    rows = r.judgments;
  } else if (name === "import-postgres") {
    const admin = await pgAdmin();
    await admin(`DROP DATABASE IF EXISTS "${PG_BENCH_DB}" WITH (FORCE)`);
    await admin(`CREATE DATABASE "${PG_BENCH_DB}"`);
    const db = await openPgBench();
    const p = await createProject(db, { name: "bench", overlap: 3 });
    const r = await importItems(db, { projectId: p.id, file: INPUT });
    await db.$client.end();
    if (r.errorCount) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
    rows = r.judgments;
  } else if (name === "export-trl-postgres") {
    // The same TRL export, read from the database import-postgres left (the pseudonym key of the run).
    process.env.ARBITER_PSEUDONYM_KEY ??= "bench-export-key-0123456789";
    const db = await openPgBench();
    const r = await exportSnapshot(db, { projectId: 1, format: "trl", out: path.join(DIR, "out-postgres.trl") });
    await db.$client.end();
    rows = r.rows;
  } else if (name === "naive-insert") {
    const file = path.join(DIR, "naive.db");
    fs.rmSync(file, { force: true });
    openDb(file).$client.close();
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.prepare("INSERT INTO projects (name) VALUES ('naive')").run();
    db.prepare("INSERT INTO users (name, role, external) VALUES ('j', 'annotator', 1)").run();
    const item = db.prepare("INSERT INTO items (project_id, external_id, prompt, k, queue_pos, open_slots) VALUES (1, ?, ?, 2, ?, 0)");
    const resp = db.prepare("INSERT INTO responses (item_id, idx, model, content) VALUES (?, ?, ?, ?)");
    const judg = db.prepare(
      "INSERT INTO judgments (project_id, item_id, annotator_id, outcome, strength, source) VALUES (1, ?, 1, ?, ?, 'import')",
    );
    const { readLinesSync } = await import("@/server/domain/import/read-lines");
    db.transaction(() => {
      let pos = 0;
      for (const line of readLinesSync(INPUT, 16 << 20)) {
        if ("error" in line) continue;
        const o = JSON.parse(line.text);
        const id = item.run(o.id, JSON.stringify(o.prompt), ++pos).lastInsertRowid;
        o.responses.forEach((r: { model: string; text: string }, idx: number) => {
          resp.run(id, idx, r.model, JSON.stringify(r.text));
        });
        for (const j of o.judgments) {
          judg.run(id, j.winner, j.strength ?? null);
          rows++;
        }
      }
    })();
  } else if (name === "export-trl" || name === "export-parquet") {
    const db = openDb(DB);
    const format = name === "export-trl" ? "trl" : "parquet";
    const r = await exportSnapshot(db, { projectId: 1, format, out: path.join(DIR, `out.${format}`) });
    rows = r.rows;
  } else if (name === "writer-hyparquet") {
    const db = openDb(DB);
    const file = path.join(DIR, "writer-hyparquet.parquet");
    const out = fs.createWriteStream(file);
    const ctx = { policies: zExportPolicies.parse({}), pseudonym: String };
    rows = await writeParquet(
      itemPages(db, 1),
      ctx,
      async (chunk) => {
        if (!out.write(chunk)) await once(out, "drain");
      },
      () => {},
    );
    await new Promise<void>((r) => out.end(() => r()));
    return finishWriter(name, t0, rows, file);
  } else if (name === "writer-parquet-wasm") {
    const pw = await import("parquet-wasm/node");
    const arrow = await import("apache-arrow");
    const db = openDb(DB);
    const file = path.join(DIR, "writer-parquet-wasm.parquet");
    const ctx = { policies: zExportPolicies.parse({}), pseudonym: String };
    const pages = itemPages(db, 1);
    const utf8 = (values: unknown[]) => arrow.vectorFromArray(values as string[], new arrow.Utf8());
    // Pull-based: the next page is read only when the Parquet stream asks for more (backpressure).
    const batches = new ReadableStream({
      pull(controller) {
        for (;;) {
          const next = pages.next();
          if (next.done) return controller.close();
          const cols: Record<"prompt" | "chosen" | "rejected", unknown[]> = { prompt: [], chosen: [], rejected: [] };
          for (const item of next.value) {
            for (const r of recordsForItem("trl", item, ctx).records) {
              cols.prompt.push(r.prompt);
              cols.chosen.push(r.chosen);
              cols.rejected.push(r.rejected);
            }
          }
          if (cols.prompt.length === 0) continue;
          rows += cols.prompt.length;
          const table = new arrow.Table({ prompt: utf8(cols.prompt), chosen: utf8(cols.chosen), rejected: utf8(cols.rejected) });
          for (const batch of pw.Table.fromIPCStream(arrow.tableToIPC(table, "stream")).recordBatches()) controller.enqueue(batch);
          return;
        }
      },
    });
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.GZIP).build();
    const parquet = await pw.transformParquetStream(batches, props);
    await parquet.pipeTo(Writable.toWeb(fs.createWriteStream(file)));
    return finishWriter(name, t0, rows, file);
  } else if (name === "naive-export") {
    const db = new Database(DB, { readonly: true });
    const out = fs.createWriteStream(path.join(DIR, "naive.jsonl"));
    const stmt = db.prepare(
      `SELECT i.prompt, r0.content AS c0, r1.content AS c1, j.outcome FROM judgments j JOIN items i ON i.id = j.item_id
       JOIN responses r0 ON r0.item_id = i.id AND r0.idx = 0 JOIN responses r1 ON r1.item_id = i.id AND r1.idx = 1
       WHERE j.outcome IN ('a', 'b') ORDER BY j.id`,
    );
    for (const r of stmt.iterate() as Iterable<{ prompt: string; c0: string; c1: string; outcome: string }>) {
      const a = JSON.parse(r.c0);
      const b = JSON.parse(r.c1);
      out.write(
        `${JSON.stringify({ prompt: JSON.parse(r.prompt), chosen: r.outcome === "a" ? a : b, rejected: r.outcome === "a" ? b : a })}\n`,
      );
      rows++;
    }
    await new Promise<void>((r) => out.end(() => r()));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, cpuSeconds: cpuSeconds(), rows, rowsPerS: rows / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

/**
 * CPU time of the whole phase process (all threads: the hash worker included), start-up included. On a
 * shared machine wall seconds depend on the neighbours; CPU seconds much less.
 */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A writer phase's figures plus the file size, after checking the file reads back with as many rows. */
async function finishWriter(name: string, t0: number, rows: number, file: string): Promise<Record<string, number>> {
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const { asyncBufferFromFile, parquetMetadataAsync } = await import("hyparquet");
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
  if (Number(meta.num_rows) !== rows) throw new Error(`${name}: file has ${meta.num_rows} rows, wrote ${rows}`);
  return { seconds, cpuSeconds: cpuSeconds(), rows, rowsPerS: rows / seconds, peakRssMb, bytes: fs.statSync(file).size };
}

function runPhase(name: string): Record<string, number> {
  const self = fileURLToPath(import.meta.url);
  const pgUrl = args["pg-url"] ? ["--pg-url", args["pg-url"]] : [];
  const r = spawnSync(process.execPath, [...process.execArgv, self, "--phase", name, "--dir", DIR, ...pgUrl], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  // A failed phase (e.g. a writer running out of memory) is reported, and the others still run.
  if (r.status !== 0) return { failed: 1, exitCode: r.status ?? -1 };
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
}

async function main() {
  if (args.phase) {
    process.stdout.write(`${JSON.stringify(await phase(args.phase))}\n`);
    return;
  }
  const t0 = performance.now();
  if (!(args["keep-input"] && fs.existsSync(INPUT))) {
    process.stderr.write(`generating ${ITEMS.toLocaleString("en")} items / ${JUDGMENTS.toLocaleString("en")} judgments → ${INPUT}\n`);
    await generate();
    process.stderr.write(`  ${(fs.statSync(INPUT).size / 1e9).toFixed(2)} GB in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const results: Record<string, Record<string, number>> = {};
  const phases = args.phases?.split(",") ?? PHASES.filter((p) => !PG_PHASES.includes(p));
  let cluster: string | undefined;
  if (phases.some((p) => PG_PHASES.includes(p)) && !args["pg-url"]) {
    process.stderr.write("starting a throwaway PostgreSQL cluster…\n");
    const line = spawnSync("bash", ["scripts/pg-cluster.sh", "start"], { encoding: "utf8" }).stdout.trim();
    cluster = line.split(" ")[0];
    args["pg-url"] = line.slice(line.indexOf(" ") + 1);
  }
  for (const name of phases) {
    if (!PHASES.includes(name)) throw new Error(`unknown phase ${name}; phases: ${PHASES.join(", ")}`);
    process.stderr.write(`${name}…\n`);
    results[name] = runPhase(name);
    const r = results[name];
    process.stderr.write(
      r.failed
        ? `  failed (exit ${r.exitCode})\n`
        : `  ${r.rows?.toLocaleString("en")} rows in ${r.seconds?.toFixed(1)} s (CPU ${r.cpuSeconds?.toFixed(1)} s) = ${Math.round(r.rowsPerS ?? 0).toLocaleString("en")} rows/s, peak RSS ${Math.round(r.peakRssMb ?? 0)} MB${r.bytes ? `, ${(r.bytes / 1e6).toFixed(0)} MB file` : ""}\n`,
    );
  }
  if (cluster) spawnSync("bash", ["scripts/pg-cluster.sh", "stop", cluster]);
  else if (phases.some((p) => PG_PHASES.includes(p))) await (await pgAdmin())(`DROP DATABASE IF EXISTS "${PG_BENCH_DB}" WITH (FORCE)`);
  const ratio = (a: string, b: string, key: "seconds" | "cpuSeconds" = "seconds") => {
    const x = results[a];
    const y = results[b];
    return x && y && !x.failed && !y.failed ? (y[key] ?? 0) / (x[key] ?? 1) : null;
  };
  const trl = path.join(DIR, "out.trl");
  const summary = {
    ...results,
    ratios: {
      import_vs_naive_insert_speed: ratio("import", "naive-insert"),
      // > 1: PostgreSQL imports faster than SQLite here (same file, same importItems).
      import_postgres_vs_sqlite_speed: ratio("import-postgres", "import"),
      export_trl_postgres_vs_sqlite_speed: ratio("export-trl-postgres", "export-trl"),
      export_trl_vs_naive_speed: ratio("export-trl", "naive-export"),
      export_parquet_vs_naive_speed: ratio("export-parquet", "naive-export"),
      hyparquet_vs_parquet_wasm_speed: ratio("writer-hyparquet", "writer-parquet-wasm"),
      // The same ratios in CPU seconds, steadier when other work shares the machine.
      import_vs_naive_insert_cpu: ratio("import", "naive-insert", "cpuSeconds"),
      export_trl_vs_naive_cpu: ratio("export-trl", "naive-export", "cpuSeconds"),
      export_parquet_vs_naive_cpu: ratio("export-parquet", "naive-export", "cpuSeconds"),
      hyparquet_vs_parquet_wasm_cpu: ratio("writer-hyparquet", "writer-parquet-wasm", "cpuSeconds"),
    },
    trl_bytes: fs.existsSync(trl) ? fs.statSync(trl).size : null,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
