import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { type Role, users } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { type Db, statementsFor } from "@/server/db";
import { recordAuditEvent } from "./audit";
import { AppError, parseInput } from "./errors";
import { checkLoginLock, normalizeEmail } from "./login-throttle";
import { assertPasswordAllowed, DEMO_PASSWORDS, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password-policy";
import { burnPasswordVerify, hashPassword, verifyPassword } from "./passwords";
import { zRole } from "./schemas";

/** The shape of a new account; the password policy (password-policy.ts) is checked after it. */
export const zNewUser = z.object({
  email: z.string().transform(normalizeEmail).pipe(z.string().email("not a valid email address")),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `use at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(MAX_PASSWORD_LENGTH, `use at most ${MAX_PASSWORD_LENGTH} characters`),
  role: zRole,
  name: z.string().trim().min(1).max(120).optional(),
});
export type NewUser = z.input<typeof zNewUser>;

/** The user as the session and every procedure see it: never the password hash. */
export type SessionUser = { id: number; email: string | null; name: string; role: Role };

/**
 * Creates an account whose password passes the policy. `demo: true` (only the demo seed, only in
 * demo mode) instead requires one of the demo's public passwords, which sign-in accepts only in demo mode.
 */
export async function createUser(db: Db, input: NewUser, opts: { demo?: boolean } = {}): Promise<SessionUser> {
  const user = parseInput(zNewUser, input, "user");
  const { email, password, role } = user;
  if (!opts.demo) assertPasswordAllowed(password, { email, role });
  else if (!DEMO_PASSWORDS.includes(password)) throw new AppError("BAD_INPUT", "password: a demo account takes a demo password");
  const existing = db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
  if (existing) throw new AppError("CONFLICT", `a user with email ${email} already exists`);
  const passwordHash = await hashPassword(password);
  const name = user.name ?? email.split("@")[0] ?? email;
  const row = db
    .insert(users)
    .values({ email, name, passwordHash, role })
    .returning({ id: users.id, email: users.email, name: users.name, role: users.role })
    .get();
  return row;
}

/**
 * Checks an email and password; returns the user, or null for any mismatch (no hint which part was
 * wrong). An unknown, disabled or external account costs one argon2id verify too, so the answer's
 * timing does not tell which accounts exist.
 */
export async function verifyCredentials(db: Db, email: string, password: string): Promise<SessionUser | null> {
  const row = db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .get();
  if (!row || row.external || row.disabledAt !== null || !row.passwordHash) {
    await burnPasswordVerify(password);
    return null;
  }
  if (!(await verifyPassword(row.passwordHash, password))) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

export type SignInResult = { ok: true; user: SessionUser; sessionVersion: number } | { ok: false; reason: "locked" | "demo" | "invalid" };

/**
 * One sign-in attempt, as the credentials provider makes it: refused while the account (by its
 * normalized email) or the client address is locked out, refused for a demo password outside demo
 * mode, else the password is checked. Every outcome is an audit event keyed by the normalized email
 * and the address, which is what the lockout counts.
 */
export async function signInWithPassword(
  db: Db,
  params: { email: string; password: string; ip?: string | null; demoMode?: boolean },
): Promise<SignInResult> {
  const email = normalizeEmail(params.email);
  const ip = params.ip ?? null;
  const lock = checkLoginLock(db, { email, ip });
  if (lock.locked) {
    recordAuditEvent(db, { action: "auth.login_locked", detail: { email, ip, by: lock.by } });
    return { ok: false, reason: "locked" };
  }
  // No default password outside demo mode: a demo seed's public password never signs in there.
  if (!params.demoMode && DEMO_PASSWORDS.includes(params.password)) {
    recordAuditEvent(db, { action: "auth.login_failed", detail: { email, ip, reason: "demo password" } });
    return { ok: false, reason: "demo" };
  }
  const user = await verifyCredentials(db, email, params.password);
  recordAuditEvent(db, { actorId: user?.id ?? null, action: user ? "auth.login" : "auth.login_failed", detail: { email, ip } });
  if (!user) return { ok: false, reason: "invalid" };
  return { ok: true, user, sessionVersion: statements(db).sessionUser.get({ id: user.id })?.sessionVersion ?? 0 };
}

const statements = statementsFor((db) => ({
  sessionUser: db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      external: users.external,
      disabledAt: users.disabledAt,
      sessionVersion: users.sessionVersion,
    })
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
}));

/**
 * The live user behind a session, or null when deleted, disabled or external, or when the session
 * was issued before the account's sessions were revoked (sign-out, disabling): `sessionVersion` is
 * the version the session token carries (tokens from before versions existed carry none: 0).
 */
export function getSessionUser(db: Db, id: number, sessionVersion = 0): SessionUser | null {
  const row = statements(db).sessionUser.get({ id });
  if (!row || row.external || row.disabledAt !== null || row.sessionVersion !== sessionVersion) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

/** Finds or creates the login-less annotator an imported judgment names (an AI judge, another tool's rater). */
export const ensureExternalAnnotator = domainOp(function* ensureExternalAnnotator(c: Conn, name: string): Op<number> {
  const found = (yield* c.all(c.q.select({ id: users.id, external: users.external }).from(users).where(eq(users.name, name)))).find(
    (u) => u.external,
  );
  if (found) return found.id;
  const row = yield* c.first(c.q.insert(users).values({ name, role: "annotator", external: true }).returning({ id: users.id }));
  if (!row) throw new Error("the new annotator's row did not come back");
  return row.id;
});

/**
 * Ends every session of a user on the server: the session version goes up, so tokens issued before
 * stop working on their next request. Audited (`session.revoke`, with the reason).
 */
export function revokeSessions(db: Db, params: { userId: number; actorId?: number | null; reason: string }): void {
  const changed = db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, params.userId))
    .run().changes;
  if (changed) {
    recordAuditEvent(db, {
      actorId: params.actorId ?? params.userId,
      action: "session.revoke",
      detail: { user: params.userId, reason: params.reason },
    });
  }
}
