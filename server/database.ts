/**
 * One domain layer, two engines (issue #18). A domain operation is written once, as a generator
 * over a `Conn`, and runs on either database:
 *
 *   function* leaseOp(c: Conn, params): Op<LeaseResult> {
 *     const row = yield* c.first(c.q.select().from(items).where(eq(items.id, params.itemId)));
 *     return yield* c.transaction(function* (tx) { ... });
 *   }
 *   export const lease = domainOp(leaseOp);   // lease(sqliteDb, params) → T; lease(pgDb, params) → Promise<T>
 *
 * On SQLite every statement runs synchronously (better-sqlite3) and the operation never yields, so
 * it completes in one synchronous call: a transaction holds the connection without giving the event
 * loop a chance to interleave another request's statements into it, exactly as the hand-written
 * synchronous code did, with the same prepared statements and no cost per await. On PostgreSQL each
 * statement is a promise the runner awaits and feeds back; transactions take a pooled client of
 * their own. The alternative, async/await everywhere, would need a process-wide lock around every
 * SQLite statement to keep transactions atomic (see docs/decisions.md).
 *
 * Queries are built with drizzle on `c.q`, typed as the SQLite database, with the table objects of
 * db/schema; on PostgreSQL `c.q` is drizzle's pg database (or transaction) and the same table
 * objects render the same SQL (db/schema-pg is the migration source and schema-parity.test.ts proves
 * the tables equal). Differences between the dialects are confined to `c.engine` branches.
 */
import type { SQL } from "drizzle-orm";
import type { Db } from "@/server/db";
import type { PgDb } from "@/server/db-pg";

export type Engine = "sqlite" | "postgres";

/** A domain operation: yields promises only on PostgreSQL; its return value is the result. */
export type Op<T> = Generator<Promise<unknown>, T, unknown>;

/** Anything drizzle built for SQLite that can be executed. */
type Runnable<R> = { all(): R[]; get(): R | undefined };
type Executable = { run(): { changes: number } };
type Params = Record<string, unknown>;
type PreparedQuery = { all(p?: Params): unknown; get(p?: Params): unknown; run(p?: Params): { changes: number } };
type Preparable = { prepare(): PreparedQuery };
/** The rows a statement returns (an empty tuple for a write without RETURNING). */
type RowsOf<B> = B extends { prepare(): { all(p?: Params): infer A } } ? (A extends unknown[] ? A : []) : never;

/** A prepared statement on either engine: placeholders (`sql.placeholder`) are filled per call. */
export type Statement<A extends unknown[]> = {
  first(params?: Record<string, unknown>): Op<A[number] | undefined>;
  all(params?: Record<string, unknown>): Op<A>;
  /** Executes and returns how many rows it changed. */
  run(params?: Record<string, unknown>): Op<number>;
};

export interface Conn {
  readonly engine: Engine;
  /** The query builder (drizzle), typed as SQLite's; on PostgreSQL the pool or the open transaction. */
  readonly q: Db;
  first<R>(query: Runnable<R>): Op<R | undefined>;
  all<R>(query: Runnable<R>): Op<R[]>;
  /** Executes and returns how many rows it changed. */
  run(query: Executable): Op<number>;
  /** Executes raw SQL (an engine's own statement, such as PostgreSQL's advisory locks). */
  exec(query: SQL): Op<void>;
  /** Raw SQL that returns rows (objects keyed by the selected names). */
  rows<R>(query: SQL): Op<R[]>;
  /**
   * Runs `body` in a transaction (a savepoint when one is open already). SQLite: BEGIN IMMEDIATE, so
   * the writer lock is taken up front. PostgreSQL: READ COMMITTED on a client of its own; an
   * outermost transaction that fails on a unique violation, a serialization failure or a deadlock is
   * rolled back and run again (up to 5 times), so a body must have no effect outside the database.
   */
  transaction<T>(body: (tx: Conn) => Op<T>): Op<T>;
  /** The statements of a `statements()` group, prepared once per SQLite connection. */
  prepared<S extends Record<string, (q: Db, engine: Engine) => Preparable>>(
    group: StatementGroup<S>,
  ): { [K in keyof S]: Statement<RowsOf<ReturnType<S[K]>>> };
}

export type StatementGroup<S> = { readonly name: string; readonly defs: S };

/**
 * A named group of statements with `sql.placeholder` parameters, for hot paths: on SQLite each is
 * compiled once per connection; on PostgreSQL each is a named prepared statement, which node-postgres
 * prepares once per pooled connection. Each definition gets the builder and the engine, so a
 * statement can differ where the dialects do (`FOR UPDATE SKIP LOCKED`).
 */
/**
 * `FOR UPDATE` on PostgreSQL, waiting for the row or (`skipLocked`) passing over rows another
 * transaction holds. SQLite has one writer at a time and no row locks: the query is left as it is.
 */
export function forUpdateOnPg<Q>(engine: Engine, query: Q, options: { skipLocked?: boolean } = {}): Q {
  if (engine !== "postgres") return query;
  return (query as unknown as { for(strength: "update", config: { skipLocked?: boolean }): Q }).for("update", options);
}

export function statements<S extends Record<string, (q: Db, engine: Engine) => Preparable>>(name: string, defs: S): StatementGroup<S> {
  return { name, defs };
}

/** Runs an operation that must not yield (SQLite); a yield is a bug in the operation. */
export function runSync<T>(op: Op<T>): T {
  const step = op.next();
  if (!step.done) {
    op.return(undefined as T);
    throw new Error("a database operation yielded on SQLite (a statement was not run through the Conn)");
  }
  return step.value;
}

/** Runs an operation on PostgreSQL: awaits what it yields and sends the value (or the error) back. */
export async function runAsync<T>(op: Op<T>): Promise<T> {
  let input: unknown;
  let error: unknown;
  let failed = false;
  for (;;) {
    const step = failed ? op.throw(error) : op.next(input);
    if (step.done) return step.value;
    try {
      input = await step.value;
      failed = false;
    } catch (e) {
      error = e;
      failed = true;
    }
  }
}

// SQLite ----------------------------------------------------------------------------------------

class SqliteConn implements Conn {
  readonly engine = "sqlite" as const;
  private readonly statementCache = new Map<StatementGroup<unknown>, unknown>();
  constructor(readonly q: Db) {}

  // biome-ignore lint/correctness/useYield: SQLite runs the statement synchronously; nothing to await.
  *first<R>(query: Runnable<R>): Op<R | undefined> {
    return query.get();
  }
  // biome-ignore lint/correctness/useYield: as above.
  *all<R>(query: Runnable<R>): Op<R[]> {
    return query.all();
  }
  // biome-ignore lint/correctness/useYield: as above.
  *run(query: Executable): Op<number> {
    return query.run().changes;
  }
  // biome-ignore lint/correctness/useYield: as above.
  *exec(query: SQL): Op<void> {
    this.q.run(query);
  }
  // biome-ignore lint/correctness/useYield: as above.
  *rows<R>(query: SQL): Op<R[]> {
    return this.q.all(query) as R[];
  }
  // better-sqlite3 transactions are synchronous; the body runs inside (runSync), never yielding.
  *transaction<T>(body: (tx: Conn) => Op<T>): Op<T> {
    const client = this.q.$client;
    const run = client.transaction(() => runSync(body(this)));
    return client.inTransaction ? run() : run.immediate();
  }
  prepared<S extends Record<string, (q: Db, engine: Engine) => Preparable>>(group: StatementGroup<S>) {
    let s = this.statementCache.get(group) as { [K in keyof S]: Statement<RowsOf<ReturnType<S[K]>>> } | undefined;
    if (!s) {
      const built: Record<string, Statement<unknown[]>> = {};
      for (const [key, def] of Object.entries(group.defs)) {
        // Compiled on first use, so a statement only one engine has is never compiled on the other.
        let compiled: PreparedQuery | undefined;
        const p = () => {
          compiled ??= def(this.q, "sqlite").prepare();
          return compiled;
        };
        built[key] = {
          // biome-ignore lint/correctness/useYield: synchronous on SQLite.
          *first(params) {
            return p().get(params) as unknown[][number];
          },
          // biome-ignore lint/correctness/useYield: synchronous on SQLite.
          *all(params) {
            return p().all(params) as unknown[];
          },
          // biome-ignore lint/correctness/useYield: synchronous on SQLite.
          *run(params) {
            return p().run(params).changes;
          },
        };
      }
      s = built as { [K in keyof S]: Statement<RowsOf<ReturnType<S[K]>>> };
      this.statementCache.set(group, s);
    }
    return s;
  }
}

// PostgreSQL ------------------------------------------------------------------------------------

type PgQueryResult = { rowCount: number | null };
type PgPreparable = { prepare(name: string): { execute(p?: Record<string, unknown>): Promise<unknown> } };

/** SQLSTATEs after which a whole transaction can simply be run again. */
const RETRYABLE = new Set(["23505", "40001", "40P01"]);
const MAX_ATTEMPTS = 10;

/**
 * Thrown inside a PostgreSQL transaction to have it rolled back and run again after a short pause:
 * it found the rows it needs held by other transactions for a moment. Waiting for them in place
 * while holding its own row locks is how instances deadlock each other.
 */
export class RetryTransaction extends Error {
  readonly code = "40001"; // serialization_failure: retried like one
}

export function pgErrorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof err?.code === "string" ? err.code : err?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

class PgConn implements Conn {
  readonly engine = "postgres" as const;
  constructor(
    private readonly pg: PgDb | Parameters<Parameters<PgDb["transaction"]>[0]>[0],
    private readonly inTransaction: boolean,
  ) {}

  get q(): Db {
    return this.pg as unknown as Db;
  }
  *first<R>(query: Runnable<R>): Op<R | undefined> {
    const rows = (yield query as unknown as Promise<R[]>) as R[];
    return rows[0];
  }
  *all<R>(query: Runnable<R>): Op<R[]> {
    return (yield query as unknown as Promise<R[]>) as R[];
  }
  *run(query: Executable): Op<number> {
    const result = (yield query as unknown as Promise<PgQueryResult>) as PgQueryResult;
    return result.rowCount ?? 0;
  }
  *exec(query: SQL): Op<void> {
    yield this.pg.execute(query);
  }
  *rows<R>(query: SQL): Op<R[]> {
    return ((yield this.pg.execute(query)) as { rows: R[] }).rows;
  }
  *transaction<T>(body: (tx: Conn) => Op<T>): Op<T> {
    const once = () => this.pg.transaction((tx) => runAsync(body(new PgConn(tx, true))));
    if (this.inTransaction) return (yield once()) as T;
    for (let attempt = 1; ; attempt++) {
      try {
        return (yield once()) as T;
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has(pgErrorCode(e) ?? "")) throw e;
        // A short random pause, growing with each try, so the transactions that collided do not
        // collide again in step.
        yield new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));
      }
    }
  }
  prepared<S extends Record<string, (q: Db, engine: Engine) => Preparable>>(group: StatementGroup<S>) {
    const built: Record<string, Statement<unknown[]>> = {};
    const client = (this.pg as unknown as { session?: { client?: unknown } }).session?.client;
    for (const [key, def] of Object.entries(group.defs)) {
      const name = `${group.name}.${key}`;
      const exec = (params?: Record<string, unknown>) =>
        pgPrepared(group, key, name, () => def(this.q, "postgres"), client).execute(params);
      built[key] = {
        *first(params) {
          return ((yield exec(params)) as unknown[])[0];
        },
        *all(params) {
          return (yield exec(params)) as unknown[];
        },
        *run(params) {
          return ((yield exec(params)) as PgQueryResult).rowCount ?? 0;
        },
      };
    }
    return built as { [K in keyof S]: Statement<RowsOf<ReturnType<S[K]>>> };
  }
}

type PgPrepared = { client: unknown; execute(p?: Record<string, unknown>): Promise<unknown> };
const pgPreparedCache = new WeakMap<StatementGroup<unknown>, Map<string, PgPrepared>>();

/**
 * A group's statement as drizzle's prepared query, built once per process and run on `client` (the
 * pool, or the open transaction's connection). Building a drizzle query (its SQL text, its field
 * mapping) costs more than executing it on the hot path (a quarter of the app's CPU under load,
 * measured); the built query only needs the connection it runs on swapped. Without a client to
 * swap in (a drizzle version that keeps it elsewhere), it is built per call on the connection.
 */
function pgPrepared(group: StatementGroup<unknown>, key: string, name: string, build: () => Preparable, client: unknown): PgPrepared {
  const fresh = () => (build() as unknown as PgPreparable).prepare(name) as unknown as PgPrepared;
  if (client === undefined) return fresh();
  let byKey = pgPreparedCache.get(group);
  if (!byKey) {
    byKey = new Map();
    pgPreparedCache.set(group, byKey);
  }
  let template = byKey.get(key);
  if (!template) {
    template = fresh();
    if (!("client" in template)) return template;
    byKey.set(key, template);
  }
  if (template.client === client) return template;
  return Object.assign(Object.create(Object.getPrototypeOf(template)) as PgPrepared, template, { client });
}

// Entry points ----------------------------------------------------------------------------------

export type AnyDb = Db | PgDb;

const sqliteConns = new WeakMap<Db, SqliteConn>();
const pgConns = new WeakMap<PgDb, PgConn>();

export function isPg(db: AnyDb): db is PgDb {
  return "$client" in db && !("prepare" in (db.$client as object));
}

/** The Conn of a database handle (one per handle, so SQLite's prepared statements are reused). */
export function connOf(db: AnyDb): Conn {
  if (isPg(db)) {
    const known = pgConns.get(db);
    if (known) return known;
    const c = new PgConn(db, false);
    pgConns.set(db, c);
    return c;
  }
  const known = sqliteConns.get(db);
  if (known) return known;
  const c = new SqliteConn(db);
  sqliteConns.set(db, c);
  return c;
}

/** Runs an operation on a database: synchronously on SQLite, as a promise on PostgreSQL. */
export function runOp<T>(db: Db, op: (c: Conn) => Op<T>): T;
export function runOp<T>(db: PgDb, op: (c: Conn) => Op<T>): Promise<T>;
export function runOp<T>(db: AnyDb, op: (c: Conn) => Op<T>): T | Promise<T>;
export function runOp<T>(db: AnyDb, op: (c: Conn) => Op<T>): T | Promise<T> {
  const c = connOf(db);
  return c.engine === "sqlite" ? runSync(op(c)) : runAsync(op(c));
}

/** A domain function from an operation: `f(sqliteDb, ...)` returns T, `f(pgDb, ...)` a Promise<T>. */
export type DomainFn<A extends unknown[], T> = {
  (db: Db, ...args: A): T;
  (db: PgDb, ...args: A): Promise<T>;
  (db: AnyDb, ...args: A): T | Promise<T>;
  /** The operation itself, for composing inside another operation: `yield* f.op(c, ...)`. */
  op: (c: Conn, ...args: A) => Op<T>;
};

export function domainOp<A extends unknown[], T>(op: (c: Conn, ...args: A) => Op<T>): DomainFn<A, T> {
  const f = ((db: AnyDb, ...args: A) => runOp(db, (c) => op(c, ...args))) as DomainFn<A, T>;
  f.op = op;
  return f;
}
