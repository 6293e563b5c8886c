/**
 * Imports a JSONL file into a project, all or nothing: every line is validated and every problem
 * reported as `line N, field F: why`; if there is any, the transaction is rolled back and the
 * database is exactly as before. The file is streamed, so its size is bounded by disk, not memory.
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { items, type Outcome, projects } from "@/db/schema";
import { type Db, statementsFor, transaction } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError, type FieldIssue, formatIssue } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
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
/** The checking pass gives the event loop a turn after this many lines. */
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

// Prepared once per connection: building each insert through the query builder cost most of an import.
const importStatements = statementsFor((db) => ({
  queueSeq: db.$client.prepare("SELECT queue_seq FROM projects WHERE id = ?").pluck(),
  setQueueSeq: db.$client.prepare("UPDATE projects SET queue_seq = ? WHERE id = ?"),
  hasExternalIds: db.$client.prepare("SELECT EXISTS (SELECT 1 FROM items WHERE project_id = ? AND external_id IS NOT NULL)").pluck(),
  item: db.$client.prepare(
    "INSERT INTO items (project_id, external_id, prompt, metadata, k, queue_pos, open_slots, done_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  ),
  response: db.$client.prepare("INSERT INTO responses (item_id, idx, model, content) VALUES (?, ?, ?, ?)"),
  judgment: db.$client.prepare(
    "INSERT INTO judgments (project_id, item_id, annotator_id, outcome, ranking, strength, criteria, rationale, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'import')",
  ),
}));

/**
 * Validates one line after another: the format's parser, then ids (unique in the file, new to the
 * project). Shared by the import and by the browser's checking pass, so both report the same problems.
 */
function lineChecker(db: Db, projectId: number, format: ImportFormat, report: (issue: FieldIssue) => void) {
  const parse = LINE_PARSERS[format];
  const seenIds = new Map<string, number>();
  const existing = db
    .select({ id: items.id })
    .from(items)
    .where(and(eq(items.projectId, projectId), eq(items.externalId, sql.placeholder("externalId"))))
    .prepare();
  // A project without external ids has none to collide with: skip the per-line index lookup.
  const checkExisting = importStatements(db).hasExternalIds.get(projectId) === 1;
  return (line: Line): { item: ImportLine; externalId: string | null } | null => {
    if ("error" in line) {
      report({ line: line.lineNo, field: "(line)", message: line.error });
      return null;
    }
    const parsed = parse(line.text);
    if (!parsed.ok) {
      for (const issue of parsed.issues) report({ ...issue, line: line.lineNo });
      return null;
    }
    const externalId = parsed.value.id ?? null;
    if (externalId !== null) {
      const first = seenIds.get(externalId);
      if (first !== undefined) {
        report({ line: line.lineNo, field: "id", message: `duplicate id "${externalId}" (first on line ${first})` });
        return null;
      }
      seenIds.set(externalId, line.lineNo);
      if (checkExisting && existing.get({ externalId })) {
        report({ line: line.lineNo, field: "id", message: `an item with id "${externalId}" is already in this project` });
        return null;
      }
    }
    return { item: parsed.value, externalId };
  };
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
 * Validates a file the way importItems does, writing nothing, and yields to the event loop every few
 * thousand lines so a server can answer progress polls meanwhile. The browser upload runs this first,
 * then the (synchronous, all-or-nothing) import only when the file is clean.
 */
export async function checkImportFile(
  db: Db,
  params: { projectId: number; file: string; format?: ImportFormat; onProgress?: (p: CheckProgress) => void },
): Promise<CheckResult> {
  getProject(db, params.projectId);
  const totalBytes = fs.statSync(params.file).size;
  const { result, report } = collector();
  const check = lineChecker(db, params.projectId, params.format ?? "arbiter", report);
  let lines = 0;
  for (const line of readLinesSync(params.file, MAX_LINE_BYTES)) {
    lines = line.lineNo;
    const ok = check(line);
    if (ok) {
      result.items++;
      result.responses += ok.item.responses.length;
      result.judgments += ok.item.judgments?.length ?? 0;
    }
    if (lines % CHECK_YIELD_LINES === 0) {
      params.onProgress?.({ bytesRead: line.bytesRead, totalBytes, lines });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  params.onProgress?.({ bytesRead: totalBytes, totalBytes, lines });
  if (result.errorCount === 0 && result.items === 0) report({ field: "(file)", message: "the file holds no items" });
  return { ...result, lines };
}

export function importItems(db: Db, params: ImportParams): ImportResult {
  const project = getProject(db, params.projectId);
  const totalBytes = fs.statSync(params.file).size;
  const { result, report } = collector();
  const annotatorIds = new Map<string, number>();

  const stmts = importStatements(db);
  // Queue positions are handed out here and stored once at the end: the transaction holds the write
  // lock, so nobody else can take one meanwhile.
  let queueSeq = 0;
  const insertItem = (item: ImportLine, externalId: string | null) => {
    const k = item.responses.length;
    const judged = item.judgments ?? [];
    const seq = ++queueSeq;
    const itemId = Number(
      stmts.item.run(
        project.id,
        externalId,
        JSON.stringify(item.prompt),
        JSON.stringify(item.metadata ?? {}),
        k,
        seq,
        Math.max(0, project.overlap - judged.length),
        judged.length,
      ).lastInsertRowid,
    );
    item.responses.forEach((r, idx) => {
      stmts.response.run(itemId, idx, r.model, JSON.stringify(r.text));
    });
    for (const j of judged) {
      let annotatorId = annotatorIds.get(j.annotator);
      if (annotatorId === undefined) {
        annotatorId = ensureExternalAnnotator(db, j.annotator);
        annotatorIds.set(j.annotator, annotatorId);
      }
      const outcome: Outcome = j.ranking ? "ranking" : (j.winner ?? "tie");
      stmts.judgment.run(
        project.id,
        itemId,
        annotatorId,
        outcome,
        j.ranking ? JSON.stringify(j.ranking) : null,
        j.strength ?? null,
        JSON.stringify(j.criteria ?? {}),
        j.rationale ?? null,
      );
    }
    result.items++;
    result.responses += k;
    result.judgments += judged.length;
  };

  // A larger page cache for the bulk insert (index pages stay hot); restored afterwards.
  const cacheSize = db.$client.pragma("cache_size", { simple: true }) as number;
  db.$client.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
  try {
    transaction(db, () => {
      const seq = stmts.queueSeq.get(project.id) as number | undefined;
      if (seq === undefined) throw new AppError("NOT_FOUND", `project ${project.id} does not exist`);
      queueSeq = seq;
      const check = lineChecker(db, project.id, params.format ?? "arbiter", report);
      let lastReport = 0;
      for (const line of readLinesSync(params.file, MAX_LINE_BYTES)) {
        if (params.onProgress && line.bytesRead - lastReport > 1 << 20) {
          lastReport = line.bytesRead;
          params.onProgress(line.bytesRead, totalBytes);
        }
        const ok = check(line);
        if (!ok) continue;
        // After the first problem keep validating (to report everything) but stop writing.
        if (result.errorCount === 0) insertItem(ok.item, ok.externalId);
      }
      params.onProgress?.(totalBytes, totalBytes);
      if (result.errorCount > 0) throw new Rollback();
      if (result.items === 0) {
        report({ field: "(file)", message: "the file holds no items" });
        throw new Rollback();
      }
      stmts.setQueueSeq.run(queueSeq, project.id);
      db.update(projects)
        .set({
          itemCount: sql`${projects.itemCount} + ${result.items}`,
          doneSlots: sql`${projects.doneSlots} + ${result.judgments}`,
        })
        .where(eq(projects.id, project.id))
        .run();
      recordAuditEvent(db, {
        actorId: params.actorId,
        action: "project.import",
        projectId: project.id,
        detail: { format: params.format ?? "arbiter", items: result.items, judgments: result.judgments },
      });
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
    return { items: 0, responses: 0, judgments: 0, errors: result.errors, errorCount: result.errorCount };
  } finally {
    db.$client.pragma(`cache_size = ${cacheSize}`);
  }
  return result;
}

/**
 * A refused import leaves nothing in the project but does leave a trace in the audit log: who tried
 * which file, how many problems it had and the first one. importItems itself stays side-effect free
 * on failure (its callers decide: the browser's import run records it).
 */
export function recordFailedImport(
  db: Db,
  params: {
    projectId: number;
    actorId?: number | null;
    format?: ImportFormat;
    file: string;
    result: Pick<ImportResult, "errors" | "errorCount">;
  },
): void {
  const first = params.result.errors[0];
  recordAuditEvent(db, {
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
}

/** Throws the import's first problem as an AppError (for callers that want an exception). */
export function assertImported(result: ImportResult, file?: string): ImportResult {
  if (result.errorCount === 0) return result;
  const first = result.errors[0];
  const more = result.errorCount > 1 ? ` (and ${result.errorCount - 1} more)` : "";
  const message = first ? formatIssue(first, file) : "import failed";
  throw new AppError("BAD_INPUT", `${message}${more}`, result.errors);
}
