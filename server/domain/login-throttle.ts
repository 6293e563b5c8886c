/**
 * Slows password guessing: after MAX_FAILURES failed sign-ins for one account within WINDOW_S
 * (counted since its last successful sign-in), further attempts are refused until the window has
 * passed. Counted from the audit log, so every app instance sees the same number.
 */
import { and, eq, gt, sql } from "drizzle-orm";
import { auditEvents } from "@/db/schema";
import type { Db } from "@/server/db";

export const MAX_FAILURES = 10;
export const WINDOW_S = 15 * 60;

export function isLoginLocked(db: Db, email: string, nowS: number = Math.floor(Date.now() / 1000)): boolean {
  const since = nowS - WINDOW_S;
  const forEmail = sql`json_extract(${auditEvents.detail}, '$.email') = ${email.toLowerCase()}`;
  const lastSuccess =
    db
      .select({ at: sql<number | null>`max(${auditEvents.createdAt})` })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "auth.login"), gt(auditEvents.createdAt, since), forEmail))
      .get()?.at ?? since;
  const failures =
    db
      .select({ n: sql<number>`count(*)` })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "auth.login_failed"), gt(auditEvents.createdAt, Math.max(since, lastSuccess)), forEmail))
      .get()?.n ?? 0;
  return failures >= MAX_FAILURES;
}
