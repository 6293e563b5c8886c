import { auditEvents } from "@/db/schema";
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
