import { and, desc, eq, like, lt } from "drizzle-orm";
import { auditEvents, projects, users } from "@/db/schema";
import type { Db } from "@/server/db";

export type AuditInput = {
  actorId?: number | null;
  action: string;
  projectId?: number | null;
  detail?: Record<string, unknown>;
};

/** Appends an audit event; call it inside the transaction of the action it records. */
export function recordAuditEvent(db: Db, event: AuditInput): void {
  db.insert(auditEvents)
    .values({
      actorId: event.actorId ?? null,
      action: event.action,
      projectId: event.projectId ?? null,
      detail: event.detail ?? {},
    })
    .run();
}

export type AuditRow = {
  id: number;
  at: number;
  action: string;
  actor: string | null;
  projectId: number | null;
  /** The project's name, for people reading the log (null for events outside a project). */
  project: string | null;
  detail: Record<string, unknown>;
};

/** Newest first, `limit` rows older than `beforeId` (keyset paging), optionally one action prefix (e.g. "auth."). */
export function listAuditEvents(db: Db, params: { limit: number; beforeId?: number; actionPrefix?: string }): AuditRow[] {
  const conditions = [
    params.beforeId !== undefined ? lt(auditEvents.id, params.beforeId) : undefined,
    params.actionPrefix ? like(auditEvents.action, `${params.actionPrefix.replace(/[%_]/g, "")}%`) : undefined,
  ].filter((c) => c !== undefined);
  return db
    .select({
      id: auditEvents.id,
      at: auditEvents.createdAt,
      action: auditEvents.action,
      actor: users.email,
      actorName: users.name,
      projectId: auditEvents.projectId,
      project: projects.name,
      detail: auditEvents.detail,
    })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorId))
    .leftJoin(projects, eq(projects.id, auditEvents.projectId))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(params.limit)
    .all()
    .map(({ actorName, ...r }) => ({ ...r, actor: r.actor ?? actorName }));
}
