/**
 * Slows password guessing, counted from the audit log so every app instance sees the same numbers:
 * - per account: after MAX_FAILURES failed sign-ins for one email within WINDOW_S (counted since its
 *   last successful sign-in), further attempts are refused until the window has passed. The key is
 *   the email as the user lookup normalizes it (`normalizeEmail`), so " User@x.org" and
 *   "user@x.org\u00a0" share one budget with "user@x.org";
 * - per address of origin: after MAX_FAILURES_PER_ADDRESS failures from one client address within
 *   WINDOW_S, whatever the emails, that address is refused too (spraying one password over many
 *   accounts).
 *
 * Check and count are one step (`openLoginAttempt`): in one transaction the lockout is checked and
 * the attempt is written as an `auth.login_failed` event, before the slow password check; a password
 * that matches turns that event into `auth.login` (`markLoginSucceeded`). So parallel guesses, on one
 * instance or on several sharing a PostgreSQL database, are each counted before the next is checked:
 * at most MAX_FAILURES passwords are tried per window, however many arrive at once. SQLite serializes
 * the transaction with its writer lock; PostgreSQL with advisory locks on the email and the address
 * (taken in that order by every attempt).
 */
import { and, eq, gt, sql } from "drizzle-orm";
import { auditEvents } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { recordAuditEvent } from "./audit";

export const MAX_FAILURES = 10;
export const MAX_FAILURES_PER_ADDRESS = 50;
export const WINDOW_S = 15 * 60;

/** Advisory lock namespaces on PostgreSQL (the second key is hashtext of the email or the address). */
const LOGIN_EMAIL_LOCK = 0x4c4f4745; // "LOGE"
const LOGIN_ADDRESS_LOCK = 0x4c4f4741; // "LOGA"

// Unicode whitespace (\s covers NBSP, the U+2000 spaces, ideographic space, BOM) plus the zero-width
// characters \s leaves out.
const EDGE_SPACE = /^[\s\u200b-\u200d\u2060]+|[\s\u200b-\u200d\u2060]+$/gu;

/** The one normalization of an email for lookup, storage and lockout: NFKC, edge whitespace trimmed, lower case. */
export function normalizeEmail(email: string): string {
  return email.normalize("NFKC").replace(EDGE_SPACE, "").toLowerCase();
}

export type LoginLock = { locked: false } | { locked: true; by: "account" | "address" };

function* countFailures(c: Conn, since: number, key: "email" | "ip", value: string): Op<number> {
  // The detail is JSON text on both engines; `key` is one of two constants.
  const field =
    c.engine === "postgres"
      ? sql`(${auditEvents.detail}::json ->> ${sql.raw(`'${key}'`)})`
      : sql`json_extract(${auditEvents.detail}, ${`$.${key}`})`;
  const match = sql`${field} = ${value}`;
  // Per account, a successful sign-in resets the count; per address it does not (one good account
  // must not reopen the address for spraying others).
  const lastSuccess =
    key === "email"
      ? ((yield* c.first(
          c.q
            .select({ at: sql<number | null>`max(${auditEvents.createdAt})` })
            .from(auditEvents)
            .where(and(eq(auditEvents.action, "auth.login"), gt(auditEvents.createdAt, since), match)),
        ))?.at ?? since)
      : since;
  const row = yield* c.first(
    c.q
      .select({ n: sql<number>`count(*)` })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "auth.login_failed"), gt(auditEvents.createdAt, Math.max(since, Number(lastSuccess))), match)),
  );
  return Number(row?.n ?? 0);
}

/** Whether a sign-in for `email` from `ip` (null: unknown) is refused right now, and why. */
export const checkLoginLock = domainOp(function* checkLoginLock(
  c: Conn,
  params: { email: string; ip?: string | null },
  nowS: number = Math.floor(Date.now() / 1000),
): Op<LoginLock> {
  const since = nowS - WINDOW_S;
  if ((yield* countFailures(c, since, "email", normalizeEmail(params.email))) >= MAX_FAILURES) return { locked: true, by: "account" };
  if (params.ip && (yield* countFailures(c, since, "ip", params.ip)) >= MAX_FAILURES_PER_ADDRESS) return { locked: true, by: "address" };
  return { locked: false };
});

export const isLoginLocked = domainOp(function* isLoginLocked(
  c: Conn,
  email: string,
  nowS: number = Math.floor(Date.now() / 1000),
): Op<boolean> {
  return (yield* checkLoginLock.op(c, { email }, nowS)).locked;
});

export type LoginAttempt = { locked: true; by: "account" | "address" } | { locked: false; attemptId: number };

/**
 * Starts a sign-in attempt: refused (and audited as `auth.login_locked`) while the email or the
 * address is locked out, else counted at once as `auth.login_failed` (with `reason`, if given) and
 * its event id returned, for `markLoginSucceeded` when the password matches.
 */
export const openLoginAttempt = domainOp(function* openLoginAttempt(
  c: Conn,
  params: { email: string; ip?: string | null; reason?: string },
  nowS: number = Math.floor(Date.now() / 1000),
): Op<LoginAttempt> {
  const email = normalizeEmail(params.email);
  const ip = params.ip ?? null;
  return yield* c.transaction(function* (tx): Op<LoginAttempt> {
    if (tx.engine === "postgres") {
      // One attempt per email, then per address, at a time across instances: each counts what the
      // one before it wrote (READ COMMITTED reads what committed before the count started).
      yield* tx.exec(sql`SELECT pg_advisory_xact_lock(${LOGIN_EMAIL_LOCK}::int, hashtext(${email}))`);
      if (ip) yield* tx.exec(sql`SELECT pg_advisory_xact_lock(${LOGIN_ADDRESS_LOCK}::int, hashtext(${ip}))`);
    }
    const lock = yield* checkLoginLock.op(tx, { email, ip }, nowS);
    if (lock.locked) {
      yield* recordAuditEvent.op(tx, { action: "auth.login_locked", detail: { email, ip, by: lock.by } });
      return lock;
    }
    const row = yield* tx.first(
      tx.q
        .insert(auditEvents)
        .values({ action: "auth.login_failed", detail: params.reason === undefined ? { email, ip } : { email, ip, reason: params.reason } })
        .returning({ id: auditEvents.id }),
    );
    if (!row) throw new Error("the sign-in attempt's event did not come back");
    return { locked: false, attemptId: row.id };
  });
});

/** The password matched: the attempt's event becomes `auth.login` by the user (which resets the account's count). */
export const markLoginSucceeded = domainOp(function* markLoginSucceeded(c: Conn, attemptId: number, userId: number): Op<void> {
  yield* c.run(
    c.q
      .update(auditEvents)
      .set({ action: "auth.login", actorId: userId })
      .where(and(eq(auditEvents.id, attemptId), eq(auditEvents.action, "auth.login_failed"))),
  );
});
