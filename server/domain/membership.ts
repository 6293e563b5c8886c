/**
 * Teams: members-only projects, annotator groups and self-described attributes.
 *
 * A project is `open` (every annotator) or `members` (its members only), and may require an
 * annotator group. Staff (admins, researchers) reach every project. For anyone else a project they
 * may not work on does not exist: `assertProjectAccess` answers NOT_FOUND, exactly as for a missing
 * id, so a non-member cannot even learn that it is there. The tRPC layer calls it once, in one
 * middleware, for every procedure whose input names a project (server/api/trpc.ts).
 *
 * Each annotator belongs to at most one group, so statistics and exports split judgments into
 * disjoint groups ("whose preferences does this dataset hold?"). Every change is audited.
 */
import { type AnyColumn, and, asc, count, eq, inArray, isNotNull, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { annotatorGroups, PROJECT_ACCESS, type ProjectAccess, projectMembers, projects, type Role, users } from "@/db/schema";
import { type Conn, domainOp, type Op, statements } from "@/server/database";
import { recordAuditEvent } from "./audit";
import { AppError, parseInput } from "./errors";
import { normalizeEmail } from "./login-throttle";
import { zId } from "./schemas";

export type AccessUser = { id: number; role: Role };

export function isStaff(role: Role): boolean {
  return role === "admin" || role === "researcher";
}

/**
 * Text in code point order on both engines: SQLite compares bytes (BINARY); PostgreSQL would use the
 * database's collation (en_US and the like ignore punctuation and case), so it is told "C".
 */
function textOrder(c: Conn, column: AnyColumn): SQL {
  return c.engine === "postgres" ? sql`${column} collate "C"` : sql`${column}`;
}

/** The access check runs for every procedure that names a project: prepared once. */
const membershipStatements = statements("membership", {
  project: (q) =>
    q
      .select({ access: projects.access, requiredGroupId: projects.requiredGroupId })
      .from(projects)
      .where(eq(projects.id, sql.placeholder("projectId"))),
  member: (q) =>
    q
      .select({ userId: projectMembers.userId })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, sql.placeholder("projectId")), eq(projectMembers.userId, sql.placeholder("userId")))),
  group: (q) =>
    q
      .select({ groupId: users.groupId })
      .from(users)
      .where(eq(users.id, sql.placeholder("userId"))),
});

/** Whether `user` may see and work on the project; false for a project that does not exist. */
export const canAccessProject = domainOp(function* canAccessProject(c: Conn, user: AccessUser, projectId: number): Op<boolean> {
  const s = c.prepared(membershipStatements);
  const p = yield* s.project.first({ projectId });
  if (!p) return false;
  if (isStaff(user.role)) return true;
  if (p.access === "members" && !(yield* s.member.first({ projectId, userId: user.id }))) return false;
  if (p.requiredGroupId !== null && (yield* s.group.first({ userId: user.id }))?.groupId !== p.requiredGroupId) return false;
  return true;
});

/** NOT_FOUND (the same answer as for a missing project) unless `user` may work on the project. */
export const assertProjectAccess = domainOp(function* assertProjectAccess(c: Conn, user: AccessUser, projectId: number): Op<void> {
  if (!(yield* canAccessProject.op(c, user, projectId))) {
    throw new AppError("NOT_FOUND", `project ${projectId} does not exist`, [{ field: "projectId", message: "no such project" }]);
  }
});

function* groupByName(c: Conn, name: string): Op<typeof annotatorGroups.$inferSelect> {
  const g = yield* c.first(c.q.select().from(annotatorGroups).where(eq(annotatorGroups.name, name)));
  if (!g) throw new AppError("NOT_FOUND", `group: no annotator group named "${name}"`, [{ field: "group", message: "no such group" }]);
  return g;
}

export const zGroupInput = z.object({
  name: z.string().trim().min(1, "a group needs a name").max(80),
  description: z.string().trim().max(500).default(""),
});

/**
 * Creates an annotator group (names are unique). Two instances creating one name at once collide on
 * the unique index; PostgreSQL's retry of the loser then answers CONFLICT from the check.
 */
export const createGroup = domainOp(function* createGroup(
  c: Conn,
  input: z.input<typeof zGroupInput> & { actorId?: number | null },
): Op<{ id: number; name: string }> {
  const { name, description } = parseInput(zGroupInput, input, "group");
  return yield* c.transaction(function* (tx): Op<{ id: number; name: string }> {
    if (yield* tx.first(tx.q.select({ id: annotatorGroups.id }).from(annotatorGroups).where(eq(annotatorGroups.name, name)))) {
      throw new AppError("CONFLICT", `a group named "${name}" already exists`, [{ field: "name", message: "already exists" }]);
    }
    const row = yield* tx.first(
      tx.q
        .insert(annotatorGroups)
        .values({ name, description, createdBy: input.actorId ?? null })
        .returning({ id: annotatorGroups.id, name: annotatorGroups.name }),
    );
    if (!row) throw new Error("the new group's row did not come back");
    yield* recordAuditEvent.op(tx, { actorId: input.actorId, action: "group.create", detail: { group: row.id, name } });
    return row;
  });
});

export type GroupRow = { id: number; name: string; description: string; members: number };

/** Groups by name (code point order on both engines), with how many people each holds. */
export const listGroups = domainOp(function* listGroups(c: Conn): Op<GroupRow[]> {
  const counts = new Map(
    (yield* c.all(
      c.q.select({ groupId: users.groupId, n: count() }).from(users).where(isNotNull(users.groupId)).groupBy(users.groupId),
    )).map((r) => [r.groupId, r.n]),
  );
  const groups = yield* c.all(
    c.q
      .select({ id: annotatorGroups.id, name: annotatorGroups.name, description: annotatorGroups.description })
      .from(annotatorGroups)
      .orderBy(asc(textOrder(c, annotatorGroups.name)), asc(annotatorGroups.id)),
  );
  return groups.map((g) => ({ ...g, members: counts.get(g.id) ?? 0 }));
});

/** Puts a user in a group (by name), or in none (`group: null`); audited. */
export const setUserGroup = domainOp(function* setUserGroup(
  c: Conn,
  params: { userId: number; group: string | null; actorId?: number | null },
): Op<void> {
  yield* c.transaction(function* (tx): Op<void> {
    const user = yield* tx.first(tx.q.select({ id: users.id, groupId: users.groupId }).from(users).where(eq(users.id, params.userId)));
    if (!user) throw new AppError("NOT_FOUND", `user ${params.userId} does not exist`, [{ field: "userId", message: "no such user" }]);
    const groupId = params.group === null ? null : (yield* groupByName(tx, params.group)).id;
    if (user.groupId === groupId) return;
    yield* tx.run(tx.q.update(users).set({ groupId }).where(eq(users.id, params.userId)));
    yield* recordAuditEvent.op(tx, { actorId: params.actorId, action: "user.group", detail: { user: params.userId, group: params.group } });
  });
});

export const zAttributes = z.object({
  language: z.string().trim().max(80).nullable().optional(),
  expertise: z.string().trim().max(200).nullable().optional(),
  region: z.string().trim().max(80).nullable().optional(),
});
export type Attributes = z.input<typeof zAttributes>;

export type MyProfile = { language: string | null; expertise: string | null; region: string | null; group: string | null };

/** The caller's own optional, self-described attributes (empty text clears one). */
export const setMyAttributes = domainOp(function* setMyAttributes(c: Conn, userId: number, input: Attributes): Op<MyProfile> {
  const a = parseInput(zAttributes, input, "attributes");
  const clean = (v: string | null | undefined) => (v === undefined ? undefined : v === null || v === "" ? null : v);
  const set = { language: clean(a.language), expertise: clean(a.expertise), region: clean(a.region) };
  if (Object.values(set).some((v) => v !== undefined)) yield* c.run(c.q.update(users).set(set).where(eq(users.id, userId)));
  return yield* getMyProfile.op(c, userId);
});

export const getMyProfile = domainOp(function* getMyProfile(c: Conn, userId: number): Op<MyProfile> {
  const row = yield* c.first(
    c.q
      .select({ language: users.language, expertise: users.expertise, region: users.region, group: annotatorGroups.name })
      .from(users)
      .leftJoin(annotatorGroups, eq(annotatorGroups.id, users.groupId))
      .where(eq(users.id, userId)),
  );
  if (!row) throw new AppError("NOT_FOUND", `user ${userId} does not exist`);
  return row;
});

export type ProjectMember = { userId: number; email: string | null; name: string; group: string | null };

/** A project's members by email (code point order on both engines). */
export const listProjectMembers = domainOp(function* listProjectMembers(c: Conn, projectId: number): Op<ProjectMember[]> {
  return yield* c.all(
    c.q
      .select({ userId: users.id, email: users.email, name: users.name, group: annotatorGroups.name })
      .from(projectMembers)
      .innerJoin(users, eq(users.id, projectMembers.userId))
      .leftJoin(annotatorGroups, eq(annotatorGroups.id, users.groupId))
      .where(eq(projectMembers.projectId, projectId))
      .orderBy(asc(textOrder(c, users.email)), asc(users.id)),
  );
});

export const zMembersInput = z.object({
  projectId: zId,
  add: z.array(z.string().max(320)).max(1000).default([]),
  remove: z.array(z.string().max(320)).max(1000).default([]),
  /** With `add`: the added people join this group too. Without: every member of the group is added. */
  group: z.string().trim().min(1).max(80).optional(),
});

/**
 * Adds and removes members of a project by email, in one transaction (an unknown email adds no one
 * and names itself in the error). Returns the members afterwards. Audited as `project.members`,
 * with the ids added and removed in email order (the whole group's: in id order).
 */
export const updateProjectMembers = domainOp(function* updateProjectMembers(
  c: Conn,
  input: z.input<typeof zMembersInput> & { actorId?: number | null },
): Op<{ members: ProjectMember[] }> {
  const params = parseInput(zMembersInput, input, "members");
  return yield* c.transaction(function* (tx): Op<{ members: ProjectMember[] }> {
    if (!(yield* tx.prepared(membershipStatements).project.first({ projectId: params.projectId }))) {
      throw new AppError("NOT_FOUND", `project ${params.projectId} does not exist`, [{ field: "project", message: "no such project" }]);
    }
    function* resolve(field: "add" | "remove", emails: string[]): Op<number[]> {
      const wanted = [...new Set(emails.map(normalizeEmail).filter(Boolean))];
      if (wanted.length === 0) return [];
      const found = yield* tx.all(
        tx.q
          .select({ id: users.id, email: users.email })
          .from(users)
          .where(and(inArray(users.email, wanted), eq(users.external, false)))
          .orderBy(asc(textOrder(tx, users.email)), asc(users.id)),
      );
      const missing = wanted.filter((e) => !found.some((u) => u.email === e));
      if (missing.length) {
        throw new AppError("BAD_INPUT", `${field}: no user with email ${missing.join(", ")}`, [
          { field, message: `no user with email ${missing.join(", ")}` },
        ]);
      }
      return found.map((u) => u.id);
    }
    const group = params.group === undefined ? null : yield* groupByName(tx, params.group);
    let toAdd = yield* resolve("add", params.add);
    if (group && params.add.length === 0) {
      toAdd = (yield* tx.all(
        tx.q
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.groupId, group.id), eq(users.external, false)))
          .orderBy(asc(users.id)),
      )).map((u) => u.id);
    } else if (group) {
      for (const userId of toAdd) yield* setUserGroup.op(tx, { userId, group: group.name, actorId: input.actorId });
    }
    const toRemove = yield* resolve("remove", params.remove);
    for (const userId of toAdd) {
      yield* tx.run(
        tx.q
          .insert(projectMembers)
          .values({ projectId: params.projectId, userId, addedBy: input.actorId ?? null })
          .onConflictDoNothing(),
      );
    }
    if (toRemove.length) {
      yield* tx.run(
        tx.q.delete(projectMembers).where(and(eq(projectMembers.projectId, params.projectId), inArray(projectMembers.userId, toRemove))),
      );
    }
    yield* recordAuditEvent.op(tx, {
      actorId: input.actorId,
      action: "project.members",
      projectId: params.projectId,
      detail: { added: toAdd, removed: toRemove, group: params.group ?? null },
    });
    return { members: yield* listProjectMembers.op(tx, params.projectId) };
  });
});

export const zAccessInput = z.object({
  projectId: zId,
  access: z.enum(PROJECT_ACCESS),
  /** Group name an annotator must be in; null: none required. */
  requiredGroup: z.string().trim().min(1).max(80).nullable().default(null),
});

export type ProjectAccessSettings = { id: number; access: ProjectAccess; requiredGroup: string | null };

/** Sets who may work on a project: open or members-only, and an optional required group; audited. */
export const setProjectAccess = domainOp(function* setProjectAccess(
  c: Conn,
  input: z.input<typeof zAccessInput> & { actorId?: number | null },
): Op<ProjectAccessSettings> {
  const params = parseInput(zAccessInput, input, "access");
  return yield* c.transaction(function* (tx): Op<ProjectAccessSettings> {
    const requiredGroupId = params.requiredGroup === null ? null : (yield* groupByName(tx, params.requiredGroup)).id;
    const row = yield* tx.first(
      tx.q
        .update(projects)
        .set({ access: params.access, requiredGroupId })
        .where(eq(projects.id, params.projectId))
        .returning({ id: projects.id, access: projects.access, requiredGroupId: projects.requiredGroupId }),
    );
    if (!row)
      throw new AppError("NOT_FOUND", `project ${params.projectId} does not exist`, [{ field: "project", message: "no such project" }]);
    yield* recordAuditEvent.op(tx, {
      actorId: input.actorId,
      action: "project.access",
      projectId: row.id,
      detail: { access: row.access, requiredGroup: params.requiredGroup },
    });
    return { id: row.id, access: row.access, requiredGroup: params.requiredGroup };
  });
});

/** A project's access settings as the admin page shows them. */
export const getProjectAccess = domainOp(function* getProjectAccess(
  c: Conn,
  projectId: number,
): Op<{ access: ProjectAccess; requiredGroup: string | null; members: ProjectMember[] }> {
  const row = yield* c.first(
    c.q
      .select({ access: projects.access, requiredGroup: annotatorGroups.name })
      .from(projects)
      .leftJoin(annotatorGroups, eq(annotatorGroups.id, projects.requiredGroupId))
      .where(eq(projects.id, projectId)),
  );
  if (!row) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  return { access: row.access, requiredGroup: row.requiredGroup ?? null, members: yield* listProjectMembers.op(c, projectId) };
});
