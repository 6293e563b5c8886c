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
import { and, asc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { z } from "zod";
import { annotatorGroups, PROJECT_ACCESS, projectMembers, projects, type Role, users } from "@/db/schema";
import { type Db, statementsFor, transaction } from "@/server/db";
import { recordAuditEvent } from "./audit";
import { AppError, parseInput } from "./errors";
import { normalizeEmail } from "./login-throttle";
import { zId } from "./schemas";

export type AccessUser = { id: number; role: Role };

export function isStaff(role: Role): boolean {
  return role === "admin" || role === "researcher";
}

const statements = statementsFor((db) => ({
  project: db
    .select({ access: projects.access, requiredGroupId: projects.requiredGroupId })
    .from(projects)
    .where(eq(projects.id, sql.placeholder("projectId")))
    .prepare(),
  member: db
    .select({ userId: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, sql.placeholder("projectId")), eq(projectMembers.userId, sql.placeholder("userId"))))
    .prepare(),
  group: db
    .select({ groupId: users.groupId })
    .from(users)
    .where(eq(users.id, sql.placeholder("userId")))
    .prepare(),
}));

/** Whether `user` may see and work on the project; false for a project that does not exist. */
export function canAccessProject(db: Db, user: AccessUser, projectId: number): boolean {
  const s = statements(db);
  const p = s.project.get({ projectId });
  if (!p) return false;
  if (isStaff(user.role)) return true;
  if (p.access === "members" && !s.member.get({ projectId, userId: user.id })) return false;
  if (p.requiredGroupId !== null && s.group.get({ userId: user.id })?.groupId !== p.requiredGroupId) return false;
  return true;
}

/** NOT_FOUND (the same answer as for a missing project) unless `user` may work on the project. */
export function assertProjectAccess(db: Db, user: AccessUser, projectId: number): void {
  if (!canAccessProject(db, user, projectId)) {
    throw new AppError("NOT_FOUND", `project ${projectId} does not exist`, [{ field: "projectId", message: "no such project" }]);
  }
}

function groupByName(db: Db, name: string) {
  const g = db.select().from(annotatorGroups).where(eq(annotatorGroups.name, name)).get();
  if (!g) throw new AppError("NOT_FOUND", `group: no annotator group named "${name}"`, [{ field: "group", message: "no such group" }]);
  return g;
}

export const zGroupInput = z.object({
  name: z.string().trim().min(1, "a group needs a name").max(80),
  description: z.string().trim().max(500).default(""),
});

/** Creates an annotator group (names are unique). */
export function createGroup(db: Db, input: z.input<typeof zGroupInput> & { actorId?: number | null }) {
  const { name, description } = parseInput(zGroupInput, input, "group");
  return transaction(db, () => {
    if (db.select({ id: annotatorGroups.id }).from(annotatorGroups).where(eq(annotatorGroups.name, name)).get()) {
      throw new AppError("CONFLICT", `a group named "${name}" already exists`, [{ field: "name", message: "already exists" }]);
    }
    const row = db
      .insert(annotatorGroups)
      .values({ name, description, createdBy: input.actorId ?? null })
      .returning({ id: annotatorGroups.id, name: annotatorGroups.name })
      .get();
    recordAuditEvent(db, { actorId: input.actorId, action: "group.create", detail: { group: row.id, name } });
    return row;
  });
}

export function listGroups(db: Db) {
  const counts = new Map(
    db
      .select({ groupId: users.groupId, n: sql<number>`count(*)` })
      .from(users)
      .where(isNotNull(users.groupId))
      .groupBy(users.groupId)
      .all()
      .map((r) => [r.groupId, r.n]),
  );
  return db
    .select({ id: annotatorGroups.id, name: annotatorGroups.name, description: annotatorGroups.description })
    .from(annotatorGroups)
    .orderBy(asc(annotatorGroups.name))
    .all()
    .map((g) => ({ ...g, members: counts.get(g.id) ?? 0 }));
}

/** Puts a user in a group (by name), or in none (`group: null`); audited. */
export function setUserGroup(db: Db, params: { userId: number; group: string | null; actorId?: number | null }): void {
  transaction(db, () => {
    const user = db.select({ id: users.id, groupId: users.groupId }).from(users).where(eq(users.id, params.userId)).get();
    if (!user) throw new AppError("NOT_FOUND", `user ${params.userId} does not exist`, [{ field: "userId", message: "no such user" }]);
    const groupId = params.group === null ? null : groupByName(db, params.group).id;
    if (user.groupId === groupId) return;
    db.update(users).set({ groupId }).where(eq(users.id, params.userId)).run();
    recordAuditEvent(db, { actorId: params.actorId, action: "user.group", detail: { user: params.userId, group: params.group } });
  });
}

export const zAttributes = z.object({
  language: z.string().trim().max(80).nullable().optional(),
  expertise: z.string().trim().max(200).nullable().optional(),
  region: z.string().trim().max(80).nullable().optional(),
});
export type Attributes = z.input<typeof zAttributes>;

/** The caller's own optional, self-described attributes (empty text clears one). */
export function setMyAttributes(db: Db, userId: number, input: Attributes) {
  const a = parseInput(zAttributes, input, "attributes");
  const clean = (v: string | null | undefined) => (v === undefined ? undefined : v === null || v === "" ? null : v);
  const set = { language: clean(a.language), expertise: clean(a.expertise), region: clean(a.region) };
  if (Object.values(set).some((v) => v !== undefined)) db.update(users).set(set).where(eq(users.id, userId)).run();
  return getMyProfile(db, userId);
}

export function getMyProfile(db: Db, userId: number) {
  const row = db
    .select({ language: users.language, expertise: users.expertise, region: users.region, group: annotatorGroups.name })
    .from(users)
    .leftJoin(annotatorGroups, eq(annotatorGroups.id, users.groupId))
    .where(eq(users.id, userId))
    .get();
  if (!row) throw new AppError("NOT_FOUND", `user ${userId} does not exist`);
  return row;
}

export type ProjectMember = { userId: number; email: string | null; name: string; group: string | null };

export function listProjectMembers(db: Db, projectId: number): ProjectMember[] {
  return db
    .select({ userId: users.id, email: users.email, name: users.name, group: annotatorGroups.name })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .leftJoin(annotatorGroups, eq(annotatorGroups.id, users.groupId))
    .where(eq(projectMembers.projectId, projectId))
    .orderBy(asc(users.email))
    .all();
}

export const zMembersInput = z.object({
  projectId: zId,
  add: z.array(z.string().max(320)).max(1000).default([]),
  remove: z.array(z.string().max(320)).max(1000).default([]),
  /** With `add`: the added people join this group too. Without: every member of the group is added. */
  group: z.string().trim().min(1).max(80).optional(),
});

/**
 * Adds and removes members of a project by email, in one transaction (an unknown email adds no one
 * and names itself in the error). Returns the members afterwards. Audited as `project.members`.
 */
export function updateProjectMembers(
  db: Db,
  input: z.input<typeof zMembersInput> & { actorId?: number | null },
): { members: ProjectMember[] } {
  const params = parseInput(zMembersInput, input, "members");
  return transaction(db, () => {
    if (!statements(db).project.get({ projectId: params.projectId })) {
      throw new AppError("NOT_FOUND", `project ${params.projectId} does not exist`, [{ field: "project", message: "no such project" }]);
    }
    const resolve = (field: "add" | "remove", emails: string[]) => {
      const wanted = [...new Set(emails.map(normalizeEmail).filter(Boolean))];
      if (wanted.length === 0) return [];
      const found = db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(and(inArray(users.email, wanted), eq(users.external, false)))
        .all();
      const missing = wanted.filter((e) => !found.some((u) => u.email === e));
      if (missing.length) {
        throw new AppError("BAD_INPUT", `${field}: no user with email ${missing.join(", ")}`, [
          { field, message: `no user with email ${missing.join(", ")}` },
        ]);
      }
      return found.map((u) => u.id);
    };
    const group = params.group === undefined ? null : groupByName(db, params.group);
    let toAdd = resolve("add", params.add);
    if (group && params.add.length === 0) {
      toAdd = db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.groupId, group.id), eq(users.external, false)))
        .all()
        .map((u) => u.id);
    } else if (group) {
      for (const userId of toAdd) setUserGroup(db, { userId, group: group.name, actorId: input.actorId });
    }
    const toRemove = resolve("remove", params.remove);
    for (const userId of toAdd) {
      db.insert(projectMembers)
        .values({ projectId: params.projectId, userId, addedBy: input.actorId ?? null })
        .onConflictDoNothing()
        .run();
    }
    if (toRemove.length) {
      db.delete(projectMembers)
        .where(and(eq(projectMembers.projectId, params.projectId), inArray(projectMembers.userId, toRemove)))
        .run();
    }
    recordAuditEvent(db, {
      actorId: input.actorId,
      action: "project.members",
      projectId: params.projectId,
      detail: { added: toAdd, removed: toRemove, group: params.group ?? null },
    });
    return { members: listProjectMembers(db, params.projectId) };
  });
}

export const zAccessInput = z.object({
  projectId: zId,
  access: z.enum(PROJECT_ACCESS),
  /** Group name an annotator must be in; null: none required. */
  requiredGroup: z.string().trim().min(1).max(80).nullable().default(null),
});

/** Sets who may work on a project: open or members-only, and an optional required group; audited. */
export function setProjectAccess(db: Db, input: z.input<typeof zAccessInput> & { actorId?: number | null }) {
  const params = parseInput(zAccessInput, input, "access");
  return transaction(db, () => {
    const requiredGroupId = params.requiredGroup === null ? null : groupByName(db, params.requiredGroup).id;
    const row = db
      .update(projects)
      .set({ access: params.access, requiredGroupId })
      .where(eq(projects.id, params.projectId))
      .returning({ id: projects.id, access: projects.access, requiredGroupId: projects.requiredGroupId })
      .get();
    if (!row)
      throw new AppError("NOT_FOUND", `project ${params.projectId} does not exist`, [{ field: "project", message: "no such project" }]);
    recordAuditEvent(db, {
      actorId: input.actorId,
      action: "project.access",
      projectId: row.id,
      detail: { access: row.access, requiredGroup: params.requiredGroup },
    });
    return { id: row.id, access: row.access, requiredGroup: params.requiredGroup };
  });
}

/** A project's access settings as the admin page shows them. */
export function getProjectAccess(db: Db, projectId: number) {
  const row = db
    .select({ access: projects.access, requiredGroup: annotatorGroups.name })
    .from(projects)
    .leftJoin(annotatorGroups, eq(annotatorGroups.id, projects.requiredGroupId))
    .where(eq(projects.id, projectId))
    .get();
  if (!row) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  return { access: row.access, requiredGroup: row.requiredGroup ?? null, members: listProjectMembers(db, projectId) };
}
