import { and, asc, count, countDistinct, eq, gte, sql } from "drizzle-orm";
import { items, judgments, projects, responses } from "@/db/schema";
import { type Conn, domainOp, type Op, statements } from "@/server/database";
import { recordAuditEvent } from "./audit";
import { AppError, parseInput } from "./errors";
import { type AccessUser, canAccessProject } from "./membership";
import { type ProjectSettingsInput, zProjectSettings } from "./schemas";

export type Project = typeof projects.$inferSelect;

/** Creates a project; names are unique so the CLI and admins can refer to them unambiguously. */
export const createProject = domainOp(function* createProject(c: Conn, input: ProjectSettingsInput, actorId?: number): Op<Project> {
  const settings = parseInput(zProjectSettings, input, "project");
  return yield* c.transaction(function* (tx): Op<Project> {
    const clash = yield* tx.first(tx.q.select({ id: projects.id }).from(projects).where(eq(projects.name, settings.name)));
    if (clash) throw new AppError("CONFLICT", `a project named "${settings.name}" already exists`);
    const row = yield* tx.first(
      tx.q
        .insert(projects)
        .values({ ...settings, createdBy: actorId ?? null })
        .returning(),
    );
    if (!row) throw new Error("the new project's row did not come back");
    yield* recordAuditEvent.op(tx, { actorId, action: "project.create", projectId: row.id, detail: { name: row.name } });
    return row;
  });
});

const projectStatements = statements("projects", {
  project: (q) =>
    q
      .select()
      .from(projects)
      .where(eq(projects.id, sql.placeholder("id"))),
});

export const getProject = domainOp(function* getProject(c: Conn, id: number): Op<Project> {
  const row = yield* c.prepared(projectStatements).project.first({ id });
  if (!row) throw new AppError("NOT_FOUND", `project ${id} does not exist`);
  return row;
});

/** The settings an annotator needs to judge: no counters, no authorship. */
export const getAnnotatorProject = domainOp(function* getAnnotatorProject(c: Conn, id: number) {
  const p = yield* getProject.op(c, id);
  return {
    id: p.id,
    name: p.name,
    instructions: p.instructions,
    criteria: p.criteria,
    rationalePolicy: p.rationalePolicy,
    strengthScale: p.strengthScale,
  };
});

export type ProjectProgress = {
  id: number;
  name: string;
  overlap: number;
  items: number;
  doneSlots: number;
  targetSlots: number;
};

function toProgress(p: Project): ProjectProgress {
  return {
    id: p.id,
    name: p.name,
    overlap: p.overlap,
    items: p.itemCount,
    doneSlots: Math.min(p.doneSlots, p.itemCount * p.overlap),
    targetSlots: p.itemCount * p.overlap,
  };
}

export const listProjects = domainOp(function* listProjects(c: Conn): Op<ProjectProgress[]> {
  return (yield* c.all(c.q.select().from(projects).orderBy(asc(projects.id)))).map(toProgress);
});

/** A project by its id (digits) or its name, as the CLI's --project takes it. */
export const resolveProjectRef = domainOp(function* resolveProjectRef(c: Conn, ref: string): Op<number> {
  if (/^\d+$/.test(ref)) return Number(ref);
  const found = yield* c.first(c.q.select({ id: projects.id }).from(projects).where(eq(projects.name, ref)));
  if (!found) throw new AppError("NOT_FOUND", `no project named "${ref}"`);
  return found.id;
});

/** The CLI `status` numbers: counts straight from the tables, not from the counters. */
export const getProjectStatus = domainOp(function* getProjectStatus(c: Conn, projectId: number) {
  const project = yield* getProject.op(c, projectId);
  const q = c.q;
  const itemCount = (yield* c.first(q.select({ n: count() }).from(items).where(eq(items.projectId, projectId))))?.n ?? 0;
  const responseCount =
    (yield* c.first(
      q.select({ n: count() }).from(responses).innerJoin(items, eq(items.id, responses.itemId)).where(eq(items.projectId, projectId)),
    ))?.n ?? 0;
  const judged = (yield* c.first(
    q
      .select({ n: count(), annotators: countDistinct(judgments.annotatorId) })
      .from(judgments)
      .where(eq(judgments.projectId, projectId)),
  )) ?? { n: 0, annotators: 0 };
  const doneItems =
    (yield* c.first(
      q
        .select({ n: count() })
        .from(items)
        .where(and(eq(items.projectId, projectId), gte(items.doneCount, project.overlap))),
    ))?.n ?? 0;
  return {
    items: itemCount,
    responses: responseCount,
    judgments: judged.n,
    annotators: judged.annotators,
    done_items: doneItems,
  };
});

/**
 * Projects the user can work on (open ones, members-only ones they are a member of, and only those
 * whose required group they are in; staff: all), with how much of each they and everyone have done.
 */
export const listAnnotatorProjects = domainOp(function* listAnnotatorProjects(c: Conn, user: AccessUser) {
  const mine = new Map(
    (yield* c.all(
      c.q
        .select({ projectId: judgments.projectId, n: count() })
        .from(judgments)
        .where(eq(judgments.annotatorId, user.id))
        .groupBy(judgments.projectId),
    )).map((r) => [r.projectId, r.n]),
  );
  const out: (ProjectProgress & { mine: number })[] = [];
  for (const p of yield* listProjects.op(c)) {
    if (p.items > 0 && (yield* canAccessProject.op(c, user, p.id))) out.push({ ...p, mine: mine.get(p.id) ?? 0 });
  }
  return out;
});

/** Allocates `n` consecutive queue positions at the tail of a project's queue; returns the first. */
export const allocateQueuePositions = domainOp(function* allocateQueuePositions(c: Conn, projectId: number, n: number): Op<number> {
  const row = yield* c.first(
    c.q
      .update(projects)
      .set({ queueSeq: sql`${projects.queueSeq} + ${n}` })
      .where(eq(projects.id, projectId))
      .returning({ seq: projects.queueSeq }),
  );
  if (!row) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  return row.seq - n + 1;
});
