/**
 * Imports a JSONL file into a project, all or nothing: every line is validated and every problem
 * reported as `line N, field F: why`; if there is any, the transaction is rolled back and the
 * database is exactly as before. The file is streamed, so its size is bounded by disk, not memory.
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq, inArray, isNotNull, type SQL, sql } from "drizzle-orm";
import { items, type Outcome, projects } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, forUpdateOnPg, type Op, runOp } from "@/server/database";
import { statementsFor } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError, type FieldIssue, formatIssue } from "@/server/domain/errors";
import { getProject, type Project } from "@/server/domain/projects";
import { ensureExternalAnnotator } from "@/server/domain/users";
import { type ImportLine, parseImportLine } from "./arbiter-format";
import { parseHhLine, parseTrlLine } from "./preference-formats";
import { type Line, readLinesSync } from "./read-lines";

export const IMPORT_FORMATS = ["arbiter", "hh", "trl"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Longest line read; longer lines are reported, not buffered. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Page cache during an import, in KiB (negative pragma value): 128 MiB. */
const IMPORT_CACHE_KIB = -131072;
/** The checking pass gives the event loop a turn after about this many lines. */
const CHECK_YIELD_LINES = 2000;
/** How many problems an import reports before it only counts them. */
const MAX_REPORTED = 1000;

export type ImportResult = {
  items: number;
  responses: number;
  judgments: number;
  errors: FieldIssue[];
  /** Problems found in all, which can exceed errors.length. */
  errorCount: number;
};

export type ImportParams = {
  projectId: number;
  file: string;
  format?: ImportFormat;
  actorId?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
};

const LINE_PARSERS: Record<ImportFormat, typeof parseImportLine> = {
  arbiter: parseImportLine,
  hh: parseHhLine,
  trl: parseTrlLine,
};

class Rollback extends Error {}

/** Lines validated and written together: one existence query and (PostgreSQL) one insert per table. */
const BATCH_LINES = 500;

// SQLite: prepared once per connection; building each insert through the query builder cost most of an import.
const sqliteStatements = statementsFor((db) => ({
  item: db.$client.prepare(
    "INSERT INTO items (project_id, external_id, prompt, metadata, k, queue_pos, open_slots, done_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  ),
  response: db.$client.prepare("INSERT INTO responses (item_id, idx, model, content) VALUES (?, ?, ?, ?)"),
  judgment: db.$client.prepare(
    "INSERT INTO judgments (project_id, item_id, annotator_id, outcome, ranking, strength, criteria, rationale, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'import')",
  ),
}));

type Checked = { lineNo: number; item: ImportLine; externalId: string | null };

/**
 * Validates lines a batch at a time: the format's parser, then ids (unique in the file, new to the
 * project; one query per batch). Shared by the import and by the browser's checking pass, so both
 * report the same problems, in line order, on either engine.
 */
class LineChecker {
  private readonly parse: typeof parseImportLine;
  private readonly seenIds = new Map<string, number>();
  /** A project without external ids has none to collide with: the per-batch lookup is skipped. */
  private checkExisting: boolean | undefined;

  constructor(
    private readonly projectId: number,
    format: ImportFormat,
    private readonly report: (issue: FieldIssue) => void,
  ) {
    this.parse = LINE_PARSERS[format];
  }

  *check(c: Conn, batch: Line[]): Op<Checked[]> {
    const projectId = this.projectId;
    this.checkExisting ??= !!(yield* c.first(
      c.q
        .select({ id: items.id })
        .from(items)
        .where(and(eq(items.projectId, projectId), isNotNull(items.externalId)))
        .limit(1),
    ));
    const results: (Checked | FieldIssue[])[] = [];
    for (const line of batch) {
      if ("error" in line) {
        results.push([{ line: line.lineNo, field: "(line)", message: line.error }]);
        continue;
      }
      const parsed = this.parse(line.text);
      if (!parsed.ok) {
        results.push(parsed.issues.map((issue) => ({ ...issue, line: line.lineNo })));
        continue;
      }
      const externalId = parsed.value.id ?? null;
      if (externalId !== null) {
        const first = this.seenIds.get(externalId);
        if (first !== undefined) {
          results.push([{ line: line.lineNo, field: "id", message: `duplicate id "${externalId}" (first on line ${first})` }]);
          continue;
        }
        this.seenIds.set(externalId, line.lineNo);
      }
      results.push({ lineNo: line.lineNo, item: parsed.value, externalId });
    }
    const ids = results.flatMap((r) => ("item" in r && r.externalId !== null ? [r.externalId] : []));
    const taken =
      this.checkExisting && ids.length > 0
        ? new Set(
            (yield* c.all(
              c.q
                .select({ externalId: items.externalId })
                .from(items)
                .where(and(eq(items.projectId, projectId), inArray(items.externalId, ids))),
            )).map((r) => r.externalId),
          )
        : null;
    const ok: Checked[] = [];
    for (const r of results) {
      if (!("item" in r)) {
        for (const issue of r) this.report(issue);
      } else if (taken && r.externalId !== null && taken.has(r.externalId)) {
        this.report({ line: r.lineNo, field: "id", message: `an item with id "${r.externalId}" is already in this project` });
      } else {
        ok.push(r);
      }
    }
    return ok;
  }
}

/** The file's lines in batches of BATCH_LINES. */
function* lineBatches(file: string): Generator<Line[]> {
  let batch: Line[] = [];
  for (const line of readLinesSync(file, MAX_LINE_BYTES)) {
    batch.push(line);
    if (batch.length === BATCH_LINES) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function collector() {
  const result: ImportResult = { items: 0, responses: 0, judgments: 0, errors: [], errorCount: 0 };
  const report = (issue: FieldIssue) => {
    result.errorCount++;
    if (result.errors.length < MAX_REPORTED) result.errors.push(issue);
  };
  return { result, report };
}

export type CheckProgress = { bytesRead: number; totalBytes: number; lines: number };
export type CheckResult = ImportResult & { lines: number };

/**
 * Validates a file the way importItems does, writing nothing, and gives the event loop a turn
 * between batches so a server can answer progress polls meanwhile. The browser upload runs this
 * first, then the all-or-nothing import only when the file is clean.
 */
export async function checkImportFile(
  db: AnyDb,
  params: { projectId: number; file: string; format?: ImportFormat; onProgress?: (p: CheckProgress) => void },
): Promise<CheckResult> {
  await getProject(db, params.projectId);
  const totalBytes = fs.statSync(params.file).size;
  const { result, report } = collector();
  const checker = new LineChecker(params.projectId, params.format ?? "arbiter", report);
  let lines = 0;
  let sinceYield = 0;
  for (const batch of lineBatches(params.file)) {
    for (const ok of await runOp(db, (c) => checker.check(c, batch))) {
      result.items++;
      result.responses += ok.item.responses.length;
      result.judgments += ok.item.judgments?.length ?? 0;
    }
    const last = batch[batch.length - 1] as Line;
    lines = last.lineNo;
    sinceYield += batch.length;
    if (sinceYield >= CHECK_YIELD_LINES) {
      sinceYield = 0;
      params.onProgress?.({ bytesRead: last.bytesRead, totalBytes, lines });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  params.onProgress?.({ bytesRead: totalBytes, totalBytes, lines });
  if (result.errorCount === 0 && result.items === 0) report({ field: "(file)", message: "the file holds no items" });
  return { ...result, lines };
}

/** One judgment row of an imported item, before its item id is known. */
function judgmentValues(projectId: number, itemId: number, annotatorId: number, j: NonNullable<ImportLine["judgments"]>[number]) {
  return {
    projectId,
    itemId,
    annotatorId,
    outcome: (j.ranking ? "ranking" : (j.winner ?? "tie")) as Outcome,
    ranking: j.ranking ?? null,
    strength: j.strength ?? null,
    criteria: j.criteria ?? {},
    rationale: j.rationale ?? null,
    source: "import" as const,
  };
}

/**
 * Writes a batch of checked lines. SQLite: one prepared insert per row (synchronous, in the open
 * transaction). PostgreSQL: the items' ids are drawn from their sequence first, then each table
 * gets one INSERT … SELECT FROM unnest(…): four round trips per batch instead of one per row.
 */
function* writeBatch(
  c: Conn,
  project: Project,
  batch: Checked[],
  firstPos: number,
  annotatorIds: Map<string, number>,
  result: ImportResult,
): Op<void> {
  for (const { item } of batch) {
    for (const j of item.judgments ?? []) {
      if (!annotatorIds.has(j.annotator)) annotatorIds.set(j.annotator, yield* ensureExternalAnnotator.op(c, j.annotator));
    }
  }
  const itemValues = batch.map(({ item, externalId }, i) => {
    const judged = item.judgments?.length ?? 0;
    return {
      projectId: project.id,
      externalId,
      prompt: item.prompt,
      metadata: item.metadata ?? {},
      k: item.responses.length,
      queuePos: firstPos + i,
      openSlots: Math.max(0, project.overlap - judged),
      doneCount: judged,
    };
  });
  for (const { item } of batch) {
    result.items++;
    result.responses += item.responses.length;
    result.judgments += item.judgments?.length ?? 0;
  }
  if (c.engine === "sqlite") {
    const stmts = sqliteStatements(c.q);
    batch.forEach(({ item }, i) => {
      const v = itemValues[i] as (typeof itemValues)[number];
      const itemId = Number(
        stmts.item.run(
          v.projectId,
          v.externalId,
          JSON.stringify(v.prompt),
          JSON.stringify(v.metadata),
          v.k,
          v.queuePos,
          v.openSlots,
          v.doneCount,
        ).lastInsertRowid,
      );
      item.responses.forEach((r, idx) => {
        stmts.response.run(itemId, idx, r.model, JSON.stringify(r.text));
      });
      for (const j of item.judgments ?? []) {
        const row = judgmentValues(project.id, itemId, annotatorIds.get(j.annotator) as number, j);
        stmts.judgment.run(
          row.projectId,
          row.itemId,
          row.annotatorId,
          row.outcome,
          row.ranking ? JSON.stringify(row.ranking) : null,
          row.strength,
          JSON.stringify(row.criteria),
          row.rationale,
        );
      }
    });
    return;
  }
  const ids = (yield* c.all(
    c.q.select({ id: sql<number>`nextval(pg_get_serial_sequence('items', 'id'))` }).from(sql`generate_series(1, ${batch.length})`),
  )).map((r) => Number(r.id));
  yield* c.exec(
    unnestInsert("items", {
      id: ["bigint", ids],
      project_id: ["bigint", itemValues.map((v) => v.projectId)],
      external_id: ["text", itemValues.map((v) => v.externalId)],
      prompt: ["text", itemValues.map((v) => JSON.stringify(v.prompt))],
      metadata: ["text", itemValues.map((v) => JSON.stringify(v.metadata))],
      k: ["bigint", itemValues.map((v) => v.k)],
      queue_pos: ["bigint", itemValues.map((v) => v.queuePos)],
      open_slots: ["bigint", itemValues.map((v) => v.openSlots)],
      done_count: ["bigint", itemValues.map((v) => v.doneCount)],
    }),
  );
  const responseRows = batch.flatMap(({ item }, i) => item.responses.map((r, idx) => ({ itemId: ids[i], idx, r })));
  yield* c.exec(
    unnestInsert("responses", {
      item_id: ["bigint", responseRows.map((x) => x.itemId)],
      idx: ["bigint", responseRows.map((x) => x.idx)],
      model: ["text", responseRows.map((x) => x.r.model)],
      content: ["text", responseRows.map((x) => JSON.stringify(x.r.text))],
    }),
  );
  const judgmentRows = batch.flatMap(({ item }, i) =>
    (item.judgments ?? []).map((j) => judgmentValues(project.id, ids[i] as number, annotatorIds.get(j.annotator) as number, j)),
  );
  if (judgmentRows.length === 0) return;
  yield* c.exec(
    unnestInsert("judgments", {
      project_id: ["bigint", judgmentRows.map((j) => j.projectId)],
      item_id: ["bigint", judgmentRows.map((j) => j.itemId)],
      annotator_id: ["bigint", judgmentRows.map((j) => j.annotatorId)],
      outcome: ["text", judgmentRows.map((j) => j.outcome)],
      ranking: ["text", judgmentRows.map((j) => (j.ranking ? JSON.stringify(j.ranking) : null))],
      strength: ["bigint", judgmentRows.map((j) => j.strength)],
      criteria: ["text", judgmentRows.map((j) => JSON.stringify(j.criteria))],
      rationale: ["text", judgmentRows.map((j) => j.rationale)],
      source: ["text", judgmentRows.map((j) => j.source)],
    }),
  );
}

/**
 * `INSERT INTO table (a, b, …) SELECT * FROM unnest($1::type[], $2::type[], …)` (PostgreSQL): each column
 * travels as one array parameter, written and escaped by node-postgres, so a batch is one statement
 * whatever its size and no SQL is built per row.
 */
function unnestInsert(table: string, columns: Record<string, ["bigint" | "text", unknown[]]>): SQL {
  const names = Object.keys(columns).map((n) => sql.identifier(n));
  const arrays = Object.values(columns).map(([type, values]) => sql`${sql.param(values)}::${sql.raw(type)}[]`);
  return sql`INSERT INTO ${sql.identifier(table)} (${sql.join(names, sql`, `)}) SELECT * FROM unnest(${sql.join(arrays, sql`, `)})`;
}

function* importItemsOp(c: Conn, params: ImportParams): Op<ImportResult> {
  const project = yield* getProject.op(c, params.projectId);
  const totalBytes = fs.statSync(params.file).size;
  let last = collector();
  // A larger SQLite page cache for the bulk insert (index pages stay hot); restored afterwards.
  const sqlite = c.engine === "sqlite" ? c.q.$client : null;
  const cacheSize = sqlite ? (sqlite.pragma("cache_size", { simple: true }) as number) : 0;
  sqlite?.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
  try {
    return yield* c.transaction(function* (tx): Op<ImportResult> {
      // Everything from scratch on each attempt (PostgreSQL runs a transaction again after a conflict).
      last = collector();
      const { result, report } = last;
      const annotatorIds = new Map<string, number>();
      // The queue positions are handed out here and stored once at the end. The project's row is
      // held meanwhile (SQLite: the whole database is), so nobody else takes a position; on
      // PostgreSQL that holds this project's leases and submissions until the import commits.
      const seqRow = yield* tx.first(
        forUpdateOnPg(tx.engine, tx.q.select({ seq: projects.queueSeq }).from(projects).where(eq(projects.id, project.id))),
      );
      if (!seqRow) throw new AppError("NOT_FOUND", `project ${project.id} does not exist`);
      let queueSeq = seqRow.seq;
      const checker = new LineChecker(project.id, params.format ?? "arbiter", report);
      let lastReport = 0;
      for (const batch of lineBatches(params.file)) {
        const bytesRead = (batch[batch.length - 1] as Line).bytesRead;
        if (params.onProgress && bytesRead - lastReport > 1 << 20) {
          lastReport = bytesRead;
          params.onProgress(bytesRead, totalBytes);
        }
        const ok = yield* checker.check(tx, batch);
        // After the first problem keep validating (to report everything) but stop writing.
        if (result.errorCount > 0 || ok.length === 0) continue;
        yield* writeBatch(tx, project, ok, queueSeq + 1, annotatorIds, result);
        queueSeq += ok.length;
      }
      params.onProgress?.(totalBytes, totalBytes);
      if (result.errorCount > 0) throw new Rollback();
      if (result.items === 0) {
        report({ field: "(file)", message: "the file holds no items" });
        throw new Rollback();
      }
      yield* tx.run(
        tx.q
          .update(projects)
          .set({
            queueSeq,
            itemCount: sql`${projects.itemCount} + ${result.items}`,
            doneSlots: sql`${projects.doneSlots} + ${result.judgments}`,
          })
          .where(eq(projects.id, project.id)),
      );
      yield* recordAuditEvent.op(tx, {
        actorId: params.actorId,
        action: "project.import",
        projectId: project.id,
        detail: { format: params.format ?? "arbiter", items: result.items, judgments: result.judgments },
      });
      return result;
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
    return { items: 0, responses: 0, judgments: 0, errors: last.result.errors, errorCount: last.result.errorCount };
  } finally {
    sqlite?.pragma(`cache_size = ${cacheSize}`);
  }
}

/**
 * Imports a file into a project in one transaction, all or nothing (see the top of this file):
 * synchronous on SQLite, a promise on PostgreSQL.
 */
export const importItems = domainOp(importItemsOp);

/**
 * A refused import leaves nothing in the project but does leave a trace in the audit log: who tried
 * which file, how many problems it had and the first one. importItems itself stays side-effect free
 * on failure (its callers decide: the browser's import run records it).
 */
export const recordFailedImport = domainOp(function* recordFailedImport(
  c: Conn,
  params: {
    projectId: number;
    actorId?: number | null;
    format?: ImportFormat;
    file: string;
    result: Pick<ImportResult, "errors" | "errorCount">;
  },
): Op<void> {
  const first = params.result.errors[0];
  yield* recordAuditEvent.op(c, {
    actorId: params.actorId,
    action: "project.import_failed",
    projectId: params.projectId,
    detail: {
      format: params.format ?? "arbiter",
      file: path.basename(params.file),
      problems: params.result.errorCount,
      first: first ? formatIssue(first) : "",
    },
  });
});

/** Throws the import's first problem as an AppError (for callers that want an exception). */
export function assertImported(result: ImportResult, file?: string): ImportResult {
  if (result.errorCount === 0) return result;
  const first = result.errors[0];
  const more = result.errorCount > 1 ? ` (and ${result.errorCount - 1} more)` : "";
  const message = first ? formatIssue(first, file) : "import failed";
  throw new AppError("BAD_INPUT", `${message}${more}`, result.errors);
}
