/**
 * Slows password guessing, counted from the audit log so every app instance sees the same numbers:
 * - per account: after MAX_FAILURES failed sign-ins for one email within WINDOW_S (counted since its
 *   last successful sign-in), further attempts are refused until the window has passed. The key is
 *   the email as the user lookup normalizes it (`normalizeEmail`), so " User@x.org" and
 *   "user@x.org\u00a0" share one budget with "user@x.org";
 * - per address of origin: after MAX_FAILURES_PER_ADDRESS failures from one client address within
 *   WINDOW_S, whatever the emails, that address is refused too (spraying one password over many
 *   accounts).
 */
import { and, eq, gt, sql } from "drizzle-orm";
import { auditEvents } from "@/db/schema";
import type { Db } from "@/server/db";

export const MAX_FAILURES = 10;
export const MAX_FAILURES_PER_ADDRESS = 50;
export const WINDOW_S = 15 * 60;

// Unicode whitespace (\s covers NBSP, the U+2000 spaces, ideographic space, BOM) plus the zero-width
// characters \s leaves out.
const EDGE_SPACE = /^[\s\u200b-\u200d\u2060]+|[\s\u200b-\u200d\u2060]+$/gu;

/** The one normalization of an email for lookup, storage and lockout: NFKC, edge whitespace trimmed, lower case. */
export function normalizeEmail(email: string): string {
  return email.normalize("NFKC").replace(EDGE_SPACE, "").toLowerCase();
}

export type LoginLock = { locked: false } | { locked: true; by: "account" | "address" };

function countFailures(db: Db, since: number, key: "email" | "ip", value: string): number {
  const match = sql`json_extract(${auditEvents.detail}, ${`$.${key}`}) = ${value}`;
  // Per account, a successful sign-in resets the count; per address it does not (one good account
  // must not reopen the address for spraying others).
  const lastSuccess =
    key === "email"
      ? (db
          .select({ at: sql<number | null>`max(${auditEvents.createdAt})` })
          .from(auditEvents)
          .where(and(eq(auditEvents.action, "auth.login"), gt(auditEvents.createdAt, since), match))
          .get()?.at ?? since)
      : since;
  return (
    db
      .select({ n: sql<number>`count(*)` })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "auth.login_failed"), gt(auditEvents.createdAt, Math.max(since, lastSuccess)), match))
      .get()?.n ?? 0
  );
}

/** Whether a sign-in for `email` from `ip` (null: unknown) is refused right now, and why. */
export function checkLoginLock(db: Db, params: { email: string; ip?: string | null }, nowS = Math.floor(Date.now() / 1000)): LoginLock {
  const since = nowS - WINDOW_S;
  if (countFailures(db, since, "email", normalizeEmail(params.email)) >= MAX_FAILURES) return { locked: true, by: "account" };
  if (params.ip && countFailures(db, since, "ip", params.ip) >= MAX_FAILURES_PER_ADDRESS) return { locked: true, by: "address" };
  return { locked: false };
}

export function isLoginLocked(db: Db, email: string, nowS: number = Math.floor(Date.now() / 1000)): boolean {
  return checkLoginLock(db, { email }, nowS).locked;
}
