/**
 * Reads a project's items for export in keyset pages: one page of items, then their responses and
 * judgments by item-id range, three prepared statements in `.raw()` mode (no per-row objects from the
 * driver, no JSON aggregation in SQLite). Stored JSON columns are parsed only when a format asks for
 * them: the TRL writer copies a string prompt or response straight from its stored JSON text.
 * Gold items, excluded annotators' judgments never come out; swapped repeats come out flagged.
 * Each judgment carries its annotator's group (users.group_id at export time: one group per annotator),
 * and a group filter keeps only the judgments of that group's members.
 */
import { and, eq, isNotNull } from "drizzle-orm";
import type pg from "pg";
import { annotatorGroups, type Content, type CriteriaOutcomes, judgments, type Outcome, users } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, isPg, type Op } from "@/server/database";
import type { Db } from "@/server/db";
import type { PgDb } from "@/server/db-pg";
import { AppError } from "@/server/domain/errors";
import type { ExportItem, ExportJudgment, ExportResponse } from "./policies";

const ITEMS_SQL = `SELECT id, external_id, prompt, metadata FROM items
WHERE project_id = ? AND id > ? AND id NOT IN (SELECT item_id FROM gold) ORDER BY id LIMIT ?`;
const RESPONSES_SQL = "SELECT item_id, idx, model, content FROM responses WHERE item_id BETWEEN ? AND ? ORDER BY item_id, idx";
const JUDGMENTS_SQL = `SELECT j.item_id, j.id, j.annotator_id, j.outcome, j.ranking, j.strength, j.criteria, j.rationale,
  j.shown_order, j.time_on_task_ms, j.source, j.supersedes_id, j.created_at, a.repeat_of
FROM judgments j LEFT JOIN assignments a ON a.id = j.assignment_id
WHERE j.project_id = ? AND j.item_id BETWEEN ? AND ? ORDER BY j.item_id, j.id`;

type ItemRow = [id: number, externalId: string | null, prompt: string, metadata: string];
type ResponseRow = [itemId: number, idx: number, model: string, content: string];
type JudgmentRow = [
  itemId: number,
  id: number,
  annotatorId: number,
  outcome: Outcome,
  ranking: string | null,
  strength: number | null,
  criteria: string,
  rationale: string | null,
  shownOrder: string | null,
  timeOnTaskMs: number | null,
  source: string,
  supersedesId: number | null,
  createdAt: number,
  repeatOf: number | null,
];

/** A stored item; `promptJson` is the prompt column's JSON text, parsed on first use. */
class StoredItem implements ExportItem {
  responses: StoredResponse[] = [];
  judgments: StoredJudgment[] = [];
  #prompt: Content | undefined;
  #metadata: Record<string, unknown> | undefined;
  constructor(
    readonly id: number,
    readonly externalId: string | null,
    readonly promptJson: string,
    private readonly metadataJson: string,
  ) {}
  get prompt(): Content {
    if (this.#prompt === undefined) this.#prompt = JSON.parse(this.promptJson) as Content;
    return this.#prompt;
  }
  get metadata(): Record<string, unknown> {
    if (this.#metadata === undefined) this.#metadata = JSON.parse(this.metadataJson) as Record<string, unknown>;
    return this.#metadata;
  }
}

class StoredResponse implements ExportResponse {
  #content: Content | undefined;
  constructor(
    readonly idx: number,
    readonly model: string,
    readonly json: string,
  ) {}
  get content(): Content {
    if (this.#content === undefined) this.#content = JSON.parse(this.json) as Content;
    return this.#content;
  }
}

function parseOrNull<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}

class StoredJudgment implements ExportJudgment {
  readonly id: number;
  readonly annotatorId: number;
  readonly outcome: Outcome;
  readonly strength: number | null;
  readonly rationale: string | null;
  readonly timeOnTaskMs: number | null;
  readonly source: string;
  readonly supersedesId: number | null;
  readonly createdAt: number;
  readonly repeatOf: number | null;
  readonly annotatorGroup: string | null;
  #row: JudgmentRow;
  #criteria: CriteriaOutcomes | undefined;
  constructor(row: JudgmentRow, annotatorGroup: string | null) {
    this.#row = row;
    this.id = row[1];
    this.annotatorId = row[2];
    this.outcome = row[3];
    this.strength = row[5];
    this.rationale = row[7];
    this.timeOnTaskMs = row[9];
    this.source = row[10];
    this.supersedesId = row[11];
    this.createdAt = row[12];
    this.repeatOf = row[13];
    this.annotatorGroup = annotatorGroup;
  }
  get ranking(): number[] | null {
    return parseOrNull<number[]>(this.#row[4]);
  }
  get criteria(): CriteriaOutcomes {
    if (this.#criteria === undefined) this.#criteria = JSON.parse(this.#row[6]) as CriteriaOutcomes;
    return this.#criteria;
  }
  get shownOrder(): number[] | null {
    return parseOrNull<number[]>(this.#row[8]);
  }
}

/** The id of the annotator group named `name`; NOT_FOUND (naming the field) when there is none. */
export const exportGroupId = domainOp(function* exportGroupId(c: Conn, name: string): Op<number> {
  const row = yield* c.first(c.q.select({ id: annotatorGroups.id }).from(annotatorGroups).where(eq(annotatorGroups.name, name)));
  if (row === undefined)
    throw new AppError("NOT_FOUND", `group: no annotator group named "${name}"`, [{ field: "group", message: "no such group" }]);
  return row.id;
});

/** Whether any judgment of the project was made by someone in an annotator group (so exports carry the column). */
export const hasGroupedJudgments = domainOp(function* hasGroupedJudgments(c: Conn, projectId: number): Op<boolean> {
  const row = yield* c.first(
    c.q
      .select({ id: judgments.id })
      .from(judgments)
      .innerJoin(users, eq(users.id, judgments.annotatorId))
      .where(and(eq(judgments.projectId, projectId), isNotNull(users.groupId)))
      .limit(1),
  );
  return row !== undefined;
});

export type ItemPageOptions = {
  /** Only the items of this generation round (rounds.id). */
  roundId?: number;
  /** Only the judgments of this annotator group's members (annotator_groups.id). */
  groupId?: number;
};

/** Who is left out and who is in which group: read once per export. */
type Audience = { excluded: Set<number>; groupName: Map<number, string>; inGroup: Set<number> | null };

function audience(excludedIds: number[], grouped: [userId: number, groupId: number, name: string][], groupId?: number): Audience {
  return {
    excluded: new Set(excludedIds.map(Number)),
    groupName: new Map(grouped.map(([u, , name]) => [u, name])),
    inGroup: groupId === undefined ? null : new Set(grouped.filter(([, g]) => g === groupId).map(([u]) => u)),
  };
}

/** One page's items, filled with the responses and judgments read for its id range. */
function assemblePage(
  rows: ItemRow[],
  responseRows: Iterable<ResponseRow>,
  judgmentRows: Iterable<JudgmentRow>,
  who: Audience,
): StoredItem[] {
  const byId = new Map<number, StoredItem>();
  const page: StoredItem[] = [];
  for (const r of rows) {
    const item = new StoredItem(r[0], r[1], r[2], r[3]);
    byId.set(item.id, item);
    page.push(item);
  }
  // The id range can hold other projects' or gold items: the map lookup skips them.
  for (const r of responseRows) byId.get(r[0])?.responses.push(new StoredResponse(r[1], r[2], r[3]));
  for (const r of judgmentRows) {
    if (who.excluded.has(r[2]) || (who.inGroup !== null && !who.inGroup.has(r[2]))) continue;
    byId.get(r[0])?.judgments.push(new StoredJudgment(r, who.groupName.get(r[2]) ?? null));
  }
  return page;
}

const EXCLUDED_SQL = "SELECT user_id FROM annotator_exclusions WHERE project_id = ?";
const GROUPED_SQL = "SELECT u.id, g.id, g.name FROM users u JOIN annotator_groups g ON g.id = u.group_id";

/** `--round N`: only the items one sampling round generated. */
function itemsSql(roundId: number | undefined): string {
  return roundId === undefined ? ITEMS_SQL : ITEMS_SQL.replace("AND id > ?", `AND round_id = ${Number(roundId)} AND id > ?`);
}

/**
 * Pages of items with their responses and (non-excluded) judgments, in id order. SQLite: a
 * synchronous generator over prepared statements. PostgreSQL: an asynchronous one, the same three
 * keyset queries per page (arrays, not row objects), so memory stays flat on both engines and a
 * page never holds a connection while the writer waits for the disk.
 */
export function itemPages(db: Db, projectId: number, pageSize?: number, options?: ItemPageOptions): Generator<ExportItem[]>;
export function itemPages(
  db: AnyDb,
  projectId: number,
  pageSize?: number,
  options?: ItemPageOptions,
): Iterable<ExportItem[]> | AsyncIterable<ExportItem[]>;
export function itemPages(
  db: AnyDb,
  projectId: number,
  pageSize = 250,
  options: ItemPageOptions = {},
): Iterable<ExportItem[]> | AsyncIterable<ExportItem[]> {
  return isPg(db) ? pgItemPages(db, projectId, pageSize, options) : sqliteItemPages(db, projectId, pageSize, options);
}

function* sqliteItemPages(db: Db, projectId: number, pageSize: number, options: ItemPageOptions): Generator<ExportItem[]> {
  const client = db.$client;
  const itemsStmt = client.prepare(itemsSql(options.roundId)).raw(true);
  const responsesStmt = client.prepare(RESPONSES_SQL).raw(true);
  const judgmentsStmt = client.prepare(JUDGMENTS_SQL).raw(true);
  const who = audience(
    client.prepare(EXCLUDED_SQL).pluck().all(projectId) as number[],
    client.prepare(GROUPED_SQL).raw(true).all() as [number, number, string][],
    options.groupId,
  );
  let after = 0;
  for (;;) {
    const rows = itemsStmt.all(projectId, after, pageSize) as ItemRow[];
    if (rows.length === 0) return;
    const lo = rows[0]?.[0] ?? 0;
    const hi = rows[rows.length - 1]?.[0] ?? 0;
    yield assemblePage(
      rows,
      responsesStmt.iterate(lo, hi) as Iterable<ResponseRow>,
      judgmentsStmt.iterate(projectId, lo, hi) as Iterable<JudgmentRow>,
      who,
    );
    after = hi;
  }
}

/** The same statement with PostgreSQL's numbered placeholders. */
function numbered(sqlText: string): string {
  let n = 0;
  return sqlText.replace(/\?/g, () => `$${++n}`);
}

async function* pgItemPages(db: PgDb, projectId: number, pageSize: number, options: ItemPageOptions): AsyncGenerator<ExportItem[]> {
  const pool = db.$client;
  const rows = async <R>(name: string, text: string, values: unknown[]) =>
    (await pool.query<R[] & pg.QueryResultRow>({ name, text: numbered(text), values, rowMode: "array" })).rows as unknown as R[];
  const who = audience(
    (await rows<[number]>("export.excluded", EXCLUDED_SQL, [projectId])).map((r) => r[0]),
    await rows<[number, number, string]>("export.grouped", GROUPED_SQL, []),
    options.groupId,
  );
  const itemsName = options.roundId === undefined ? "export.items" : `export.items.round${Number(options.roundId)}`;
  let after = 0;
  for (;;) {
    const page = await rows<ItemRow>(itemsName, itemsSql(options.roundId), [projectId, after, pageSize]);
    if (page.length === 0) return;
    const lo = page[0]?.[0] ?? 0;
    const hi = page[page.length - 1]?.[0] ?? 0;
    const [responseRows, judgmentRows] = await Promise.all([
      rows<ResponseRow>("export.responses", RESPONSES_SQL, [lo, hi]),
      rows<JudgmentRow>("export.judgments", JUDGMENTS_SQL, [projectId, lo, hi]),
    ]);
    yield assemblePage(page, responseRows, judgmentRows, who);
    after = hi;
  }
}
