/**
 * db:copy — a whole database from one engine to another (SQLite ⇄ PostgreSQL, or SQLite → SQLite).
 * Tables go in foreign-key order inside one transaction on the target (all or nothing), read in
 * primary-key order in pages and written in multi-row batches. Each table is then read back from the
 * target, still inside that transaction, and its row count and checksum compared with the source's;
 * a mismatch rolls everything back. Identity sequences are set past the copied ids (or the source's
 * own high-water mark, when deleted rows left it higher).
 *
 * The copy works on stored values, not on drizzle's mapped ones: the table list, column kinds and
 * keys come from db/schema (db/schema-pg is proven equal to it), and a row travels as an array of
 * engine-neutral values: integers and reals as numbers, booleans as booleans, text (JSON columns
 * included) as the exact stored string.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type Column, is, SQL } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { PoolClient } from "pg";
import * as schema from "@/db/schema";
import { type Db, openDb } from "@/server/db";
import { openPg } from "@/server/db-pg";
import { type DbLocation, parseDbLocation, redactDbUrl } from "@/server/db-url";
import { AppError } from "./errors";

export type ColumnKind = "integer" | "boolean" | "real" | "text";
export type CopyColumn = { name: string; kind: ColumnKind; notNull: boolean };
export type CopyTable = {
  name: string;
  columns: CopyColumn[];
  /** The columns rows are ordered (and paged) by: the primary key, else a unique index of NOT NULL integers. */
  key: string[];
  /** The AUTOINCREMENT / identity column, whose sequence is set after the copy. */
  identity: string | null;
  /** Foreign-key columns on a reference cycle: inserted as NULL, filled in once every table is in. */
  deferred: string[];
};
export type Value = number | boolean | string | null;

const KINDS: Record<string, ColumnKind> = {
  SQLiteInteger: "integer",
  SQLiteBoolean: "boolean",
  SQLiteReal: "real",
  SQLiteText: "text",
  SQLiteTextJson: "text",
};

function columnKind(col: Column, table: string): ColumnKind {
  const kind = KINDS[col.columnType];
  if (!kind) throw new Error(`db-copy: ${table}.${col.name} has a column type (${col.columnType}) the copy does not know`);
  return kind;
}

/** Every table of db/schema in an order where each table comes after the tables it references. */
export function copyPlan(): CopyTable[] {
  const tables: ReturnType<typeof getTableConfig>[] = [];
  for (const value of Object.values(schema)) if (is(value, SQLiteTable)) tables.push(getTableConfig(value));
  tables.sort((a, b) => a.name.localeCompare(b.name));
  type Edge = { from: string; column: string; to: string; nullable: boolean };
  const edges: Edge[] = tables.flatMap((t) =>
    t.foreignKeys.map((fk) => {
      const r = fk.reference();
      const col = r.columns[0];
      if (r.columns.length !== 1 || !col) throw new Error(`db-copy: ${t.name} has a composite foreign key the copy does not handle`);
      return { from: t.name, column: col.name, to: getTableConfig(r.foreignTable).name, nullable: !col.notNull };
    }),
  );
  const live = edges.filter((e) => e.from !== e.to); // a row may point at an earlier row of its own table: key order handles it
  const deferred = new Map<string, string[]>();
  const order: string[] = [];
  const remaining = new Set(tables.map((t) => t.name));
  while (remaining.size) {
    const ready = [...remaining].filter((name) => !live.some((e) => e.from === name && remaining.has(e.to)));
    if (ready.length) {
      for (const name of ready) {
        order.push(name);
        remaining.delete(name);
      }
      continue;
    }
    // A cycle (users.group_id ⇄ annotator_groups.created_by): break it at a nullable reference.
    const reaches = (start: string, goal: string): boolean => {
      const seen = new Set<string>();
      const stack = [start];
      while (stack.length) {
        const at = stack.pop() as string;
        if (at === goal) return true;
        if (seen.has(at)) continue;
        seen.add(at);
        for (const e of live) if (e.from === at && remaining.has(e.to)) stack.push(e.to);
      }
      return false;
    };
    const cut = live.find((e) => remaining.has(e.from) && remaining.has(e.to) && e.nullable && reaches(e.to, e.from));
    if (!cut) throw new Error(`db-copy: tables ${[...remaining].join(", ")} reference each other through NOT NULL columns`);
    live.splice(live.indexOf(cut), 1);
    deferred.set(cut.from, [...(deferred.get(cut.from) ?? []), cut.column]);
  }
  const byName = new Map(tables.map((t) => [t.name, t]));
  return order.map((name) => {
    const t = byName.get(name);
    if (!t) throw new Error(`db-copy: lost table ${name}`);
    const columns = t.columns.map((c) => ({ name: c.name, kind: columnKind(c, name), notNull: c.notNull }));
    const pk = t.columns.filter((c) => c.primary).map((c) => c.name);
    const composite = t.primaryKeys[0]?.columns.map((c) => c.name);
    const unique = t.indexes.find(
      (i) => i.config.unique && !i.config.where && i.config.columns.every((c) => !is(c, SQL) && (c as Column).notNull),
    );
    const key = pk.length ? pk : (composite ?? unique?.config.columns.map((c) => (c as Column).name));
    if (!key?.length) throw new Error(`db-copy: ${name} has no primary key or NOT NULL unique index to order rows by`);
    for (const k of key) {
      if (columns.find((c) => c.name === k)?.kind !== "integer") throw new Error(`db-copy: ${name}.${k} orders rows but is not an integer`);
    }
    const identity = t.columns.find((c) => (c as Column & { autoIncrement?: boolean }).autoIncrement)?.name ?? null;
    // The sequence is set from the last row read in key order: that is the highest id only when the id is the key.
    if (identity && (key.length !== 1 || key[0] !== identity))
      throw new Error(`db-copy: ${name}.${identity} is an identity but not the key`);
    return { name, columns, key, identity, deferred: deferred.get(name) ?? [] };
  });
}

/** One side of a copy. Rows are arrays in the plan's column order. */
export interface CopyEndpoint {
  readonly engine: "sqlite" | "postgres";
  /** For messages: the file, or the URL without its password. */
  readonly label: string;
  beginRead(): Promise<void>;
  beginWrite(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  count(table: CopyTable): Promise<number>;
  /** Up to `limit` rows after key `after` (null: from the start), in key order. */
  page(table: CopyTable, after: Value[] | null, limit: number): Promise<Value[][]>;
  insert(table: CopyTable, rows: Value[][]): Promise<void>;
  /** Sets `columns` of the row with key `key` (the deferred references). */
  update(table: CopyTable, columns: string[], key: Value[], values: Value[]): Promise<void>;
  /** The highest id the identity has handed out (0 if none). */
  sequence(table: CopyTable): Promise<number>;
  setSequence(table: CopyTable, value: number): Promise<void>;
  close(): Promise<void>;
}

const q = (name: string) => `"${name}"`;

function keyAfter(table: CopyTable, after: Value[] | null, param: (i: number) => string): string {
  if (!after) return "";
  return table.key.length === 1
    ? `WHERE ${q(table.key[0] as string)} > ${param(1)}`
    : `WHERE (${table.key.map(q).join(", ")}) > (${table.key.map((_, i) => param(i + 1)).join(", ")})`;
}

/** A SQLite database through better-sqlite3 (the copy owns the connection: it is opened for it). */
export function sqliteEndpoint(db: Db, label: string): CopyEndpoint {
  const c = db.$client;
  const toSqlite = (table: CopyTable, row: Value[]) =>
    row.map((v, i) => (table.columns[i]?.kind === "boolean" && v !== null ? (v ? 1 : 0) : v));
  const fromSqlite = (table: CopyTable, row: unknown[]): Value[] =>
    row.map((v, i) => (table.columns[i]?.kind === "boolean" && v !== null ? v === 1 : (v as Value)));
  return {
    engine: "sqlite",
    label,
    async beginRead() {
      c.exec("BEGIN");
      // A read transaction takes its snapshot at the first read: read now, so every table sees the same state.
      c.prepare("SELECT count(*) FROM sqlite_master").get();
    },
    async beginWrite() {
      c.exec("BEGIN IMMEDIATE");
    },
    async commit() {
      c.exec("COMMIT");
    },
    async rollback() {
      if (c.inTransaction) c.exec("ROLLBACK");
    },
    async count(table) {
      return (c.prepare(`SELECT count(*) AS n FROM ${q(table.name)}`).get() as { n: number }).n;
    },
    async page(table, after, limit) {
      const sql = `SELECT ${table.columns.map((col) => q(col.name)).join(", ")} FROM ${q(table.name)} ${keyAfter(table, after, () => "?")} ORDER BY ${table.key.map(q).join(", ")} LIMIT ${limit}`;
      const rows = c
        .prepare(sql)
        .raw(true)
        .all(...(after ?? [])) as unknown[][];
      return rows.map((r) => fromSqlite(table, r));
    },
    async insert(table, rows) {
      const stmt = c.prepare(
        `INSERT INTO ${q(table.name)} (${table.columns.map((col) => q(col.name)).join(", ")}) VALUES (${table.columns.map(() => "?").join(", ")})`,
      );
      for (const row of rows) stmt.run(...toSqlite(table, row));
    },
    async update(table, columns, key, values) {
      c.prepare(
        `UPDATE ${q(table.name)} SET ${columns.map((col) => `${q(col)} = ?`).join(", ")} WHERE ${table.key.map((k) => `${q(k)} = ?`).join(" AND ")}`,
      ).run(...values, ...key);
    },
    async sequence(table) {
      const row = c.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table.name) as { seq: number } | undefined;
      return row?.seq ?? 0;
    },
    async setSequence(table, value) {
      // Inserting explicit ids already raised it to the highest id; only a higher source mark is left to carry over.
      if ((await this.sequence(table)) >= value) return;
      const changed = c.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = ?").run(value, table.name).changes;
      if (!changed) c.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)").run(table.name, value);
    },
    async close() {
      c.close();
    },
  };
}

// PostgreSQL takes at most 65535 parameters per statement.
const PG_MAX_PARAMS = 65_000;

/** A PostgreSQL database through one pooled client (int8 arrives as a number: see openPg). */
export function pgEndpoint(client: PoolClient, close: () => Promise<void>, label: string): CopyEndpoint {
  return {
    engine: "postgres",
    label,
    async beginRead() {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    },
    async beginWrite() {
      await client.query("BEGIN");
    },
    async commit() {
      await client.query("COMMIT");
    },
    async rollback() {
      await client.query("ROLLBACK");
    },
    async count(table) {
      const r = await client.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${q(table.name)}`);
      return r.rows[0]?.n ?? 0;
    },
    async page(table, after, limit) {
      const r = await client.query<Value[]>({
        text: `SELECT ${table.columns.map((col) => q(col.name)).join(", ")} FROM ${q(table.name)} ${keyAfter(table, after, (i) => `$${i}`)} ORDER BY ${table.key.map(q).join(", ")} LIMIT ${limit}`,
        values: after ?? [],
        rowMode: "array",
      });
      return r.rows;
    },
    async insert(table, rows) {
      const width = table.columns.length;
      const perStatement = Math.max(1, Math.floor(PG_MAX_PARAMS / width));
      for (let start = 0; start < rows.length; start += perStatement) {
        const chunk = rows.slice(start, start + perStatement);
        const tuples = chunk.map((_, r) => `(${table.columns.map((_, c) => `$${r * width + c + 1}`).join(", ")})`);
        await client.query(
          `INSERT INTO ${q(table.name)} (${table.columns.map((col) => q(col.name)).join(", ")}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(", ")}`,
          chunk.flat(),
        );
      }
    },
    async update(table, columns, key, values) {
      const sets = columns.map((col, i) => `${q(col)} = $${i + 1}`).join(", ");
      const where = table.key.map((k, i) => `${q(k)} = $${columns.length + i + 1}`).join(" AND ");
      await client.query(`UPDATE ${q(table.name)} SET ${sets} WHERE ${where}`, [...values, ...key]);
    },
    async sequence(table) {
      if (!table.identity) return 0;
      const seq = await client.query<{ s: string }>("SELECT pg_get_serial_sequence($1, $2) AS s", [q(table.name), table.identity]);
      const name = seq.rows[0]?.s;
      if (!name) return 0;
      const r = await client.query<{ last_value: number; is_called: boolean }>(`SELECT last_value, is_called FROM ${name}`);
      const row = r.rows[0];
      return row?.is_called ? row.last_value : 0;
    },
    async setSequence(table, value) {
      if (!table.identity) return;
      // setval(…, n, true): the next id handed out is n + 1; with nothing copied, start at 1 again.
      await client.query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)", [
        q(table.name),
        table.identity,
        Math.max(value, 1),
        value > 0,
      ]);
    },
    close,
  };
}

function locate(value: string, role: "from" | "to"): DbLocation {
  try {
    return parseDbLocation(value);
  } catch (e) {
    throw new AppError("BAD_INPUT", `--${role}: ${(e as Error).message}`);
  }
}

/** Opens --from / --to: a SQLite file (which must exist when it is the source) or a PostgreSQL URL. */
export async function openEndpoint(value: string, role: "from" | "to"): Promise<CopyEndpoint> {
  const location = locate(value, role);
  if (location.engine === "sqlite") {
    if (location.file === ":memory:") throw new AppError("BAD_INPUT", `--${role}: :memory: is gone when the copy ends; give a file`);
    if (role === "from" && !fs.existsSync(location.file)) throw new AppError("NOT_FOUND", `--from: ${location.file} does not exist`);
    return sqliteEndpoint(openDb(location.file), location.file);
  }
  const db = await openPg(location.url, { max: 2 });
  const client = await db.$client.connect();
  return pgEndpoint(
    client,
    async () => {
      client.release();
      await db.$client.end();
    },
    redactDbUrl(location.url),
  );
}

export type TableCopy = { name: string; rows: number; checksum: string };
type Digest = TableCopy & { lastId: number };
export type CopyResult = { from: string; to: string; tables: TableCopy[]; rows: number; seconds: number; rowsPerSecond: number };
export type CopyProgress = { table: string; done: number; total: number; phase: "copy" | "verify" };

const PAGE_ROWS = 1000;

/** sha256 over a table's rows in key order, one JSON array per row: the same digest on either engine. */
async function tableDigest(ep: CopyEndpoint, table: CopyTable, onRows?: (rows: Value[][]) => Promise<void>): Promise<Digest> {
  const hash = crypto.createHash("sha256");
  const keyIdx = table.key.map((k) => table.columns.findIndex((c) => c.name === k));
  let after: Value[] | null = null;
  let rows = 0;
  let last: Value[] | undefined;
  for (;;) {
    const page = await ep.page(table, after, PAGE_ROWS);
    for (const row of page) hash.update(`${JSON.stringify(row)}\n`);
    rows += page.length;
    if (onRows && page.length) await onRows(page);
    last = page[page.length - 1] ?? last;
    if (!last || page.length < PAGE_ROWS) break;
    const tail = last;
    after = keyIdx.map((i) => tail[i] ?? null);
  }
  // The identity column is the key wherever there is one, so the last row holds the highest id.
  const idIdx = table.columns.findIndex((c) => c.name === table.identity);
  return { name: table.name, rows, checksum: hash.digest("hex"), lastId: idIdx >= 0 && last ? Number(last[idIdx]) : 0 };
}

/**
 * Copies every table of `from` into the empty database `to`, verifies each table's count and
 * checksum on the target before committing, and returns them. Both endpoints are closed afterwards.
 */
export async function copyDatabase(
  from: CopyEndpoint,
  to: CopyEndpoint,
  onProgress: (p: CopyProgress) => void = () => {},
): Promise<CopyResult> {
  const started = performance.now();
  const plan = copyPlan();
  try {
    for (const table of plan) {
      const n = await to.count(table);
      if (n > 0)
        throw new AppError("CONFLICT", `--to ${to.label} is not empty (${table.name} has ${n} rows); db:copy fills only an empty database`);
    }
    await from.beginRead();
    await to.beginWrite();
    try {
      const copied: TableCopy[] = [];
      const pending: { table: CopyTable; key: Value[]; values: Value[] }[] = [];
      for (const table of plan) {
        const total = await from.count(table);
        const deferredIdx = table.deferred.map((d) => table.columns.findIndex((c) => c.name === d));
        const keyIdx = table.key.map((k) => table.columns.findIndex((c) => c.name === k));
        let done = 0;
        onProgress({ table: table.name, done, total, phase: "copy" });
        const result = await tableDigest(from, table, async (rows) => {
          const out = deferredIdx.length
            ? rows.map((row) => {
                const values = deferredIdx.map((i) => row[i] ?? null);
                if (values.some((v) => v !== null)) pending.push({ table, key: keyIdx.map((i) => row[i] ?? null), values });
                return row.map((v, i) => (deferredIdx.includes(i) ? null : v));
              })
            : rows;
          await to.insert(table, out);
          done += rows.length;
          onProgress({ table: table.name, done, total, phase: "copy" });
        });
        copied.push({ name: result.name, rows: result.rows, checksum: result.checksum });
      }
      for (const p of pending) await to.update(p.table, p.table.deferred, p.key, p.values);
      for (const [i, table] of plan.entries()) {
        const expected = copied[i];
        onProgress({ table: table.name, done: 0, total: expected?.rows ?? 0, phase: "verify" });
        const got = await tableDigest(to, table);
        if (!expected || got.rows !== expected.rows || got.checksum !== expected.checksum) {
          throw new Error(
            `db:copy: ${table.name} differs after the copy (source ${expected?.rows} rows, sha256 ${expected?.checksum.slice(0, 12)}; target ${got.rows} rows, sha256 ${got.checksum.slice(0, 12)}); nothing was written`,
          );
        }
        onProgress({ table: table.name, done: got.rows, total: got.rows, phase: "verify" });
        if (table.identity) await to.setSequence(table, Math.max(got.lastId, await from.sequence(table)));
      }
      await to.commit();
      await from.commit();
      const seconds = (performance.now() - started) / 1000;
      const rows = copied.reduce((s, t) => s + t.rows, 0);
      return { from: from.label, to: to.label, tables: copied, rows, seconds, rowsPerSecond: Math.round(rows / Math.max(seconds, 1e-9)) };
    } catch (e) {
      await to.rollback().catch(() => {});
      await from.rollback().catch(() => {});
      throw e;
    }
  } finally {
    await from.close();
    await to.close();
  }
}

/** Refuses copying a database onto itself (it would fail as "not empty" later, less clearly). */
function assertDistinct(a: DbLocation, b: DbLocation): void {
  const same =
    a.engine === "sqlite" && b.engine === "sqlite"
      ? path.resolve(a.file) === path.resolve(b.file)
      : a.engine === "postgres" && b.engine === "postgres" && a.url === b.url;
  if (same) throw new AppError("BAD_INPUT", "--from and --to name the same database");
}

/** db:copy by --from / --to values: opens both (the source must exist), copies, closes. */
export async function copyDatabaseBetween(from: string, to: string, onProgress?: (p: CopyProgress) => void): Promise<CopyResult> {
  assertDistinct(locate(from, "from"), locate(to, "to"));
  const source = await openEndpoint(from, "from");
  let target: CopyEndpoint;
  try {
    target = await openEndpoint(to, "to");
  } catch (e) {
    await source.close();
    throw e;
  }
  return copyDatabase(source, target, onProgress);
}
