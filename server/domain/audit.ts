import { and, desc, eq, ilike, inArray, like, lt } from "drizzle-orm";
import { auditEvents, projects, users } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";

export type AuditInput = {
  actorId?: number | null;
  action: string;
  projectId?: number | null;
  detail?: Record<string, unknown>;
};

/** Appends an audit event; call it inside the transaction of the action it records (either engine). */
export const recordAuditEvent = domainOp(function* recordAuditEvent(c: Conn, event: AuditInput): Op<void> {
  yield* c.run(
    c.q.insert(auditEvents).values({
      actorId: event.actorId ?? null,
      action: event.action,
      projectId: event.projectId ?? null,
      detail: event.detail ?? {},
    }),
  );
});

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

/**
 * Newest first, `limit` rows older than `beforeId` (keyset paging), optionally one action prefix (e.g.
 * "auth."), matched without regard to ASCII case on both engines (SQLite's LIKE; PostgreSQL's ILIKE).
 */
export const listAuditEvents = domainOp(function* listAuditEvents(
  c: Conn,
  params: { limit: number; beforeId?: number; actionPrefix?: string },
): Op<AuditRow[]> {
  // The wildcards and PostgreSQL's escape character are taken out: the prefix is literal text.
  const prefix = params.actionPrefix ? `${params.actionPrefix.replace(/[%_\\]/g, "")}%` : undefined;
  const conditions = [
    params.beforeId !== undefined ? lt(auditEvents.id, params.beforeId) : undefined,
    prefix === undefined ? undefined : c.engine === "postgres" ? ilike(auditEvents.action, prefix) : like(auditEvents.action, prefix),
  ].filter((x) => x !== undefined);
  const rows = (yield* c.all(
    c.q
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
      .limit(params.limit),
  )).map(({ actorName, ...r }) => ({ ...r, actor: r.actor ?? actorName }));
  return yield* namePeople(c, rows);
});

/** Detail keys that hold user ids (one or a list): the reader sees people, not numbers. */
const PERSON_KEYS: Record<string, string> = { user: "user", userId: "user", added: "added", removed: "removed" };

/** Replaces the user ids in each event's detail by the person's email (or name); "user #7" for one since deleted. */
function* namePeople(c: Conn, rows: AuditRow[]): Op<AuditRow[]> {
  const ids = new Set<number>();
  const eachId = (v: unknown): number[] => (Array.isArray(v) ? v : [v]).filter((x): x is number => Number.isInteger(x));
  for (const r of rows)
    for (const [k, v] of Object.entries(r.detail)) if (Object.hasOwn(PERSON_KEYS, k)) for (const id of eachId(v)) ids.add(id);
  if (ids.size === 0) return rows;
  const people = new Map(
    (yield* c.all(
      c.q
        .select({ id: users.id, email: users.email, name: users.name })
        .from(users)
        .where(inArray(users.id, [...ids])),
    )).map((u) => [u.id, u.email ?? u.name] as const),
  );
  const person = (v: unknown) => (Number.isInteger(v) ? (people.get(v as number) ?? `user #${v}`) : v);
  return rows.map((r) => {
    if (!Object.keys(r.detail).some((k) => Object.hasOwn(PERSON_KEYS, k))) return r;
    const detail: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.detail)) {
      const key = PERSON_KEYS[k];
      if (key === undefined) detail[k] = v;
      else detail[key] = Array.isArray(v) ? v.map(person) : person(v);
    }
    return { ...r, detail };
  });
}
