/**
 * Imports are written once (import-items.ts) and must behave the same on both engines: the same files
 * give the same result, the same rows and the same problems in the same order on SQLite and on
 * PostgreSQL; a refused file leaves either database as it was. Then two instances import into one
 * PostgreSQL project at once: queue positions stay distinct and the counters add up, and an id both
 * files claim ends up in exactly one of them.
 */
import fs from "node:fs";
import path from "node:path";
import { asc, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, items, judgments, projects, responses, users } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import { type Db, openDb } from "@/server/db";
import { openPg, type PgDb } from "@/server/db-pg";
import { createProject, getProjectStatus } from "@/server/domain/projects";
import { expectSameOnBoth } from "@/server/testing/engines";
import { pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { createPgTestDatabase } from "@/server/testing/pg";
import { ACCEPTED, REJECTED } from "./bad-input-corpus";
import { checkImportFile, type ImportResult, importItems } from "./import-items";

let pgTest: Awaited<ReturnType<typeof createPgTestDatabase>>;
let pgA: PgDb;
let pgB: PgDb;
let lite: Db;

beforeAll(async () => {
  pgTest = await createPgTestDatabase("imports");
  pgA = await openPg(pgTest.url, { max: 4 });
  pgB = await openPg(pgTest.url, { max: 4 }); // a second app instance: a pool of its own
  lite = openDb(path.join(tempDir(), "imports.db"));
});
afterAll(async () => {
  await pgA?.$client.end();
  await pgB?.$client.end();
  await pgTest?.drop();
});

/** What an import leaves behind, without ids or times (the engines number and date rows alike, but let us not rely on it). */
async function contents(db: AnyDb, projectId: number) {
  return runOp(db, function* (c) {
    const itemRows = yield* c.all(
      c.q
        .select({
          id: items.id,
          externalId: items.externalId,
          prompt: items.prompt,
          metadata: items.metadata,
          k: items.k,
          queuePos: items.queuePos,
          openSlots: items.openSlots,
          doneCount: items.doneCount,
        })
        .from(items)
        .where(eq(items.projectId, projectId))
        .orderBy(asc(items.queuePos)),
    );
    const order = new Map(itemRows.map((r, i) => [r.id, i]));
    const responseRows = (yield* c.all(
      c.q
        .select({ itemId: responses.itemId, idx: responses.idx, model: responses.model, content: responses.content })
        .from(responses)
        .innerJoin(items, eq(items.id, responses.itemId))
        .where(eq(items.projectId, projectId))
        .orderBy(asc(responses.id)),
    )).map(({ itemId, ...r }) => ({ item: order.get(itemId), ...r }));
    const judgmentRows = (yield* c.all(
      c.q
        .select({
          itemId: judgments.itemId,
          annotator: users.name,
          external: users.external,
          outcome: judgments.outcome,
          ranking: judgments.ranking,
          strength: judgments.strength,
          criteria: judgments.criteria,
          rationale: judgments.rationale,
          source: judgments.source,
        })
        .from(judgments)
        .innerJoin(users, eq(users.id, judgments.annotatorId))
        .where(eq(judgments.projectId, projectId))
        .orderBy(asc(judgments.id)),
    )).map(({ itemId, ...r }) => ({ item: order.get(itemId), ...r }));
    const project = yield* c.first(
      c.q
        .select({ queueSeq: projects.queueSeq, itemCount: projects.itemCount, doneSlots: projects.doneSlots })
        .from(projects)
        .where(eq(projects.id, projectId)),
    );
    const audit = yield* c.all(
      c.q
        .select({ action: auditEvents.action, detail: auditEvents.detail })
        .from(auditEvents)
        .where(eq(auditEvents.projectId, projectId))
        .orderBy(asc(auditEvents.id)),
    );
    return { items: itemRows.map(({ id: _, ...r }) => r), responses: responseRows, judgments: judgmentRows, project, audit };
  });
}

async function rowCounts(db: AnyDb) {
  return runOp(db, function* (c) {
    const out: number[] = [];
    for (const t of [items, responses, judgments, users, auditEvents, projects]) {
      out.push((yield* c.first(c.q.select({ n: count() }).from(t)))?.n ?? 0);
    }
    return out;
  });
}

/** Runs the same import on both engines and expects the same result from each. */
async function importOnBoth(
  projects: { lite: number; pg: number },
  file: string,
  format?: "arbiter" | "hh" | "trl",
): Promise<ImportResult> {
  const onLite = importItems(lite, { projectId: projects.lite, file, format });
  const onPg = await importItems(pgA, { projectId: projects.pg, file, format });
  expect(onPg).toEqual(onLite);
  return onLite;
}

describe("imports on SQLite and PostgreSQL", () => {
  it("store the same items, responses, judgments, external annotators, counters and audit events", async () => {
    const ids = {
      lite: createProject(lite, { name: "same", overlap: 3 }).id,
      pg: (await createProject(pgA, { name: "same", overlap: 3 })).id,
    };
    const dir = tempDir();
    const first = writeJsonl(
      [
        pairItem(1, {
          metadata: { source: "x", n: 1 },
          judgments: [{ annotator: "judge-x", winner: "a", strength: 2, criteria: { helpful: "a" } }],
        }),
        {
          prompt: [
            { role: "user", content: "Hi" },
            { role: "assistant", content: "Hello!" },
            { role: "user", content: "Rank these." },
          ],
          responses: [
            { model: "m1", text: "one" },
            { model: "m2", text: "" },
            { model: "m3", text: "three" },
          ],
          judgments: [
            { annotator: "judge-x", ranking: [2, 0, 1] },
            { annotator: "judge-y", ranking: [0, 2, 1], rationale: "the first is best" },
          ],
        },
        ...ACCEPTED.map((c) => c.content),
        // Past one batch of 500 lines: ids are checked and queue positions handed out across batches.
        ...Array.from({ length: 1100 }, (_, i) => pairItem(100 + i)),
      ],
      dir,
    );
    const r1 = await importOnBoth(ids, first);
    expect(r1.errors).toEqual([]);
    expect(r1).toMatchObject({ items: 2 + ACCEPTED.length + 1100, judgments: 3, errorCount: 0 });
    // A second file appends at the tail of the queue; HH rows (no ids) too.
    const hh = path.join(dir, "hh.jsonl");
    fs.writeFileSync(
      hh,
      `${JSON.stringify({ chosen: "\n\nHuman: Hi?\n\nAssistant: Hello.", rejected: "\n\nHuman: Hi?\n\nAssistant: Go away." })}\n`,
    );
    await importOnBoth(ids, hh, "hh");
    const [a, b] = [await contents(lite, ids.lite), await contents(pgA, ids.pg)];
    expect(b).toEqual(a);
    expect(a.items.map((i) => i.queuePos)).toEqual(Array.from({ length: a.items.length }, (_, i) => i + 1));
    expect(a.project).toEqual({ queueSeq: a.items.length, itemCount: a.items.length, doneSlots: 4 });
    expectSameOnBoth(await getProjectStatus(pgA, ids.pg), getProjectStatus(lite, ids.lite));
  });

  it("refuse the same files with the same problems, in the same order, and leave both databases as they were", async () => {
    const ids = { lite: createProject(lite, { name: "refused" }).id, pg: (await createProject(pgA, { name: "refused" })).id };
    const dir = tempDir();
    const seeded = await importOnBoth(ids, writeJsonl([pairItem(1), pairItem(2)], dir));
    expect(seeded.items).toBe(2);
    const before = { lite: await rowCounts(lite), pg: await rowCounts(pgA) };
    // Problems in several batches: a duplicate of line 3 on line 1100, an id already in the project, a broken line.
    const lines: unknown[] = Array.from({ length: 1200 }, (_, i) => pairItem(10 + i));
    lines[1099] = pairItem(12);
    lines[700] = pairItem(2);
    lines[40] = "{ not json";
    const mixed = await importOnBoth(ids, writeJsonl(lines, tempDir()));
    expect(mixed.errors.map((e) => [e.line, e.field])).toEqual([
      [41, "(line)"],
      [701, "id"],
      [1100, "id"],
    ]);
    expect(mixed.errors[2]?.message).toBe('duplicate id "item-12" (first on line 3)');
    for (const [i, c] of REJECTED.entries()) {
      const file = path.join(dir, `rejected-${i}.jsonl`);
      fs.writeFileSync(file, c.content);
      const r = await importOnBoth(ids, file);
      expect(r.items, c.name).toBe(0);
      expect([r.errors[0]?.line ?? 0, r.errors[0]?.field], c.name).toEqual([c.line, c.field]);
    }
    expect(await rowCounts(lite)).toEqual(before.lite);
    expect(await rowCounts(pgA)).toEqual(before.pg);
  });

  it("check a file (the browser's first pass) the same way, writing nothing", async () => {
    const ids = { lite: createProject(lite, { name: "checked" }).id, pg: (await createProject(pgA, { name: "checked" })).id };
    await importOnBoth(ids, writeJsonl([pairItem(1)], tempDir()));
    const file = writeJsonl([pairItem(1), pairItem(2), "[]", pairItem(2)], tempDir());
    const onLite = await checkImportFile(lite, { projectId: ids.lite, file });
    const onPg = await checkImportFile(pgA, { projectId: ids.pg, file });
    expect(onPg).toEqual(onLite);
    expect(onLite).toMatchObject({ lines: 4, items: 1, errorCount: 3 });
    expect((await getProjectStatus(pgA, ids.pg)).items).toBe(1);
  });
});

describe("two instances importing into one PostgreSQL project at once", () => {
  it("hand out distinct queue positions and add up the counters", async () => {
    const project = await createProject(pgA, { name: "parallel", overlap: 2 });
    const fileA = writeJsonl(
      Array.from({ length: 800 }, (_, i) => pairItem(i)),
      tempDir(),
    );
    const fileB = writeJsonl(
      Array.from({ length: 700 }, (_, i) => pairItem(10_000 + i)),
      tempDir(),
    );
    const [ra, rb] = await Promise.all([
      importItems(pgA, { projectId: project.id, file: fileA }),
      importItems(pgB, { projectId: project.id, file: fileB }),
    ]);
    expect([ra.items, rb.items]).toEqual([800, 700]);
    const rows = await contents(pgA, project.id);
    expect(rows.items.map((i) => i.queuePos)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
    expect(rows.project).toEqual({ queueSeq: 1500, itemCount: 1500, doneSlots: 0 });
  });

  it("give an id both files claim to exactly one of them; the other is refused whole", async () => {
    const project = await createProject(pgA, { name: "clash" });
    const fileA = writeJsonl([...Array.from({ length: 600 }, (_, i) => pairItem(i)), pairItem(99_999)], tempDir());
    const fileB = writeJsonl([pairItem(99_999), ...Array.from({ length: 600 }, (_, i) => pairItem(20_000 + i))], tempDir());
    const results = await Promise.all([
      importItems(pgA, { projectId: project.id, file: fileA }),
      importItems(pgB, { projectId: project.id, file: fileB }),
    ]);
    const won = results.filter((r) => r.errorCount === 0);
    const lost = results.filter((r) => r.errorCount > 0);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.errors[0]?.message).toBe('an item with id "item-99999" is already in this project');
    expect((await getProjectStatus(pgA, project.id)).items).toBe(won[0]?.items);
  });
});
