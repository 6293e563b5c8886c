import { type Column, getTableColumns, is, SQL } from "drizzle-orm";
import { PgDialect, PgTable, getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { SQLiteSyncDialect, SQLiteTable, getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as sqliteSchema from "@/db/schema";
import * as pgSchema from "@/db/schema-pg";

/**
 * The SQLite schema (db/schema) and its PostgreSQL twin (db/schema-pg) describe one database: this
 * test turns each table of both into the same plain description and compares them, so a column, key
 * or index added to one file only fails here.
 */

// SQLite column kind → the pg column kind that stores the same values (see db/schema-pg/index.ts).
const TYPE_MAP: Record<string, string> = {
  SQLiteInteger: "PgBigInt53",
  SQLiteBoolean: "PgBoolean",
  SQLiteReal: "PgDoublePrecision",
  SQLiteText: "PgText",
  SQLiteTextJson: "PgCustomColumn:text",
};
// SQL defaults and partial-index conditions that are spelled differently but mean the same.
const SQL_MAP: Record<string, string> = {
  "(unixepoch())": "(floor(extract(epoch from now()))::bigint)",
};

const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();

type Described = ReturnType<typeof describeSqlite>;

type Default = { sql: string } | string | number | boolean | null | undefined;

function render(value: unknown, dialect: SQLiteSyncDialect | PgDialect): Default {
  return is(value, SQL) ? { sql: dialect.sqlToQuery(value).sql } : (value as Default);
}

function colNames(cols: (Column | SQL)[]): string[] {
  return cols.map((c) => (is(c, SQL) ? `sql:${sqliteDialect.sqlToQuery(c).sql}` : c.name));
}

type ForeignKeyLike<T> = {
  reference(): { columns: Column[]; foreignTable: T; foreignColumns: Column[] };
  onDelete?: string;
  onUpdate?: string;
};

function describeForeignKeys<T>(fks: ForeignKeyLike<T>[], tableName: (table: T) => string) {
  return fks
    .map((fk) => {
      const r = fk.reference();
      return {
        columns: r.columns.map((col) => col.name),
        foreignTable: tableName(r.foreignTable),
        foreignColumns: r.foreignColumns.map((col) => col.name),
        onDelete: fk.onDelete ?? "no action",
        onUpdate: fk.onUpdate ?? "no action",
      };
    })
    .sort((a, b) => a.columns.join().localeCompare(b.columns.join()));
}

function describeSqlite(table: SQLiteTable) {
  const c = sqliteConfig(table);
  const fields = getTableColumns(table);
  return {
    name: c.name,
    fields: Object.fromEntries(Object.entries(fields).map(([k, col]) => [k, col.name])),
    columns: c.columns.map((col) => ({
      name: col.name,
      type: TYPE_MAP[col.columnType] ?? `unmapped ${col.columnType}`,
      enumValues: col.enumValues ?? null,
      notNull: col.notNull,
      primary: col.primary,
      // An AUTOINCREMENT key is an identity column on PostgreSQL.
      identity: (col as Column & { autoIncrement?: boolean }).autoIncrement === true,
      // drizzle marks every INTEGER PRIMARY KEY as defaulted (SQLite's rowid alias); the schema's own
      // defaults are the explicit ones and AUTOINCREMENT.
      hasDefault: col.default !== undefined || (col as Column & { autoIncrement?: boolean }).autoIncrement === true,
      default: render(col.default, sqliteDialect),
    })),
    primaryKeys: c.primaryKeys.map((pk) => pk.columns.map((col) => col.name)),
    foreignKeys: describeForeignKeys(c.foreignKeys, (t) => sqliteConfig(t).name),
    uniqueConstraints: c.uniqueConstraints.map((u) => ({ name: u.name, columns: u.columns.map((col) => col.name) })),
    indexes: c.indexes
      .map((i) => ({
        name: i.config.name,
        columns: colNames(i.config.columns),
        unique: i.config.unique,
        where: i.config.where ? sqliteDialect.sqlToQuery(i.config.where).sql : null,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function describePg(table: PgTable): Described {
  const c = pgConfig(table);
  const fields = getTableColumns(table);
  return {
    name: c.name,
    fields: Object.fromEntries(Object.entries(fields).map(([k, col]) => [k, col.name])),
    columns: c.columns.map((col) => ({
      name: col.name,
      type: col.columnType === "PgCustomColumn" ? `PgCustomColumn:${col.getSQLType()}` : col.columnType,
      enumValues: col.enumValues ?? null,
      notNull: col.notNull,
      primary: col.primary,
      identity: col.generatedIdentity?.type === "byDefault",
      hasDefault: col.default !== undefined || col.generatedIdentity !== undefined,
      default: render(col.default, pgDialect),
    })),
    primaryKeys: c.primaryKeys.map((pk) => pk.columns.map((col) => col.name)),
    foreignKeys: describeForeignKeys(c.foreignKeys, (t) => pgConfig(t).name),
    uniqueConstraints: c.uniqueConstraints.map((u) => ({ name: u.name, columns: u.columns.map((col) => col.name) })),
    indexes: c.indexes
      .map((i) => ({
        name: i.config.name ?? "",
        columns: i.config.columns.map((col) => (is(col, SQL) ? `sql:${pgDialect.sqlToQuery(col).sql}` : (col as Column).name)),
        unique: i.config.unique,
        where: i.config.where ? pgDialect.sqlToQuery(i.config.where).sql : null,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** The SQLite description in PostgreSQL's spelling: defaults mapped, `flag = 1` on booleans as `flag = true`. */
function asPg(d: Described): Described {
  const booleans = d.columns.filter((c) => c.type === "PgBoolean").map((c) => c.name);
  const mapSql = (s: string) => {
    let out = SQL_MAP[s] ?? s;
    for (const b of booleans)
      out = out.replace(new RegExp(`\\b${b} = 1\\b`, "g"), `${b} = true`).replace(new RegExp(`\\b${b} = 0\\b`, "g"), `${b} = false`);
    return out;
  };
  return {
    ...d,
    columns: d.columns.map((c) => ({
      ...c,
      default: typeof c.default === "object" && c.default !== null ? { sql: mapSql(c.default.sql) } : c.default,
    })),
    indexes: d.indexes.map((i) => ({ ...i, where: i.where === null ? null : mapSql(i.where) })),
  };
}

const sqliteTables = new Map<string, SQLiteTable>();
for (const [name, value] of Object.entries(sqliteSchema)) if (is(value, SQLiteTable)) sqliteTables.set(name, value);
const pgTables = new Map<string, PgTable>();
for (const [name, value] of Object.entries(pgSchema)) if (is(value, PgTable)) pgTables.set(name, value);

describe("db/schema-pg mirrors db/schema", () => {
  it("exports the same tables under the same names", () => {
    expect([...pgTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
    expect(sqliteTables.size).toBeGreaterThan(20);
  });

  it.each([...sqliteTables.keys()])("%s: same columns, types, defaults, keys and indexes", (name) => {
    const sqlite = sqliteTables.get(name);
    const pg = pgTables.get(name);
    if (!sqlite || !pg) throw new Error(`table ${name} is missing from one schema`);
    const expected = asPg(describeSqlite(sqlite));
    expect(expected.columns.filter((c) => c.type.startsWith("unmapped"))).toEqual([]);
    expect(describePg(pg)).toEqual(expected);
  });

  it("maps every SQLite column kind the schema uses", () => {
    const kinds = new Set([...sqliteTables.values()].flatMap((t) => sqliteConfig(t).columns.map((c) => c.columnType)));
    expect([...kinds].filter((k) => !TYPE_MAP[k])).toEqual([]);
  });
});
