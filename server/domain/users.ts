import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { type Role, users } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, type Op, statements } from "@/server/database";
import { recordAuditEvent } from "./audit";
import { AppError, parseInput } from "./errors";
import { markLoginSucceeded, normalizeEmail, openLoginAttempt } from "./login-throttle";
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

const sessionUserColumns = { id: users.id, email: users.email, name: users.name, role: users.role };

/** CONFLICT when an account already has this (normalized) email. */
export function* assertEmailFree(c: Conn, email: string): Op<void> {
  if (yield* c.first(c.q.select({ id: users.id }).from(users).where(eq(users.email, email)))) {
    throw new AppError("CONFLICT", `a user with email ${email} already exists`);
  }
}
const checkEmailFree = domainOp(assertEmailFree);

/**
 * Inserts an account whose password is already hashed. The email is checked in the same
 * transaction; two instances creating one email at once collide on the unique index, and
 * PostgreSQL's retry of the loser then answers CONFLICT from the check.
 */
const insertUser = domainOp(function* insertUser(
  c: Conn,
  values: { email: string; name: string; passwordHash: string; role: Role },
): Op<SessionUser> {
  return yield* c.transaction(function* (tx): Op<SessionUser> {
    yield* assertEmailFree(tx, values.email);
    const row = yield* tx.first(tx.q.insert(users).values(values).returning(sessionUserColumns));
    if (!row) throw new Error("the new user's row did not come back");
    return row;
  });
});

/**
 * Creates an account whose password passes the policy. `demo: true` (only the demo seed, only in
 * demo mode) instead requires one of the demo's public passwords, which sign-in accepts only in demo mode.
 */
export async function createUser(db: AnyDb, input: NewUser, opts: { demo?: boolean } = {}): Promise<SessionUser> {
  const user = parseInput(zNewUser, input, "user");
  const { email, password, role } = user;
  if (!opts.demo) assertPasswordAllowed(password, { email, role });
  else if (!DEMO_PASSWORDS.includes(password)) throw new AppError("BAD_INPUT", "password: a demo account takes a demo password");
  // Refused before the slow hash; checked again where the row is written.
  await checkEmailFree(db, email);
  const passwordHash = await hashPassword(password);
  const name = user.name ?? email.split("@")[0] ?? email;
  return insertUser(db, { email, name, passwordHash, role });
}

const userByEmail = domainOp(function* userByEmail(c: Conn, email: string) {
  return yield* c.first(c.q.select().from(users).where(eq(users.email, email)));
});

/**
 * Checks an email and password; returns the user, or null for any mismatch (no hint which part was
 * wrong). An unknown, disabled or external account costs one argon2id verify too, so the answer's
 * timing does not tell which accounts exist.
 */
export async function verifyCredentials(db: AnyDb, email: string, password: string): Promise<SessionUser | null> {
  const row = await userByEmail(db, normalizeEmail(email));
  if (!row || row.external || row.disabledAt !== null || !row.passwordHash) {
    await burnPasswordVerify(password);
    return null;
  }
  if (!(await verifyPassword(row.passwordHash, password))) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

export type SignInResult = { ok: true; user: SessionUser; sessionVersion: number } | { ok: false; reason: "locked" | "demo" | "invalid" };

/** The hot statement: every request reads its session's user by id. */
const userStatements = statements("users", {
  sessionUser: (q) =>
    q
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
      .where(eq(users.id, sql.placeholder("id"))),
});

/** A matched password: its attempt becomes the `auth.login` event; returns the session version to issue. */
const finishSignIn = domainOp(function* finishSignIn(c: Conn, attemptId: number, userId: number): Op<number> {
  yield* markLoginSucceeded.op(c, attemptId, userId);
  return (yield* c.prepared(userStatements).sessionUser.first({ id: userId }))?.sessionVersion ?? 0;
});

/**
 * One sign-in attempt, as the credentials provider makes it: refused while the account (by its
 * normalized email) or the client address is locked out, refused for a demo password outside demo
 * mode, else the password is checked. Every outcome is an audit event keyed by the normalized email
 * and the address, which is what the lockout counts. The attempt is counted (as a failure) in the
 * same transaction that checks the lockout, before the slow password check, so parallel guesses on
 * one or several instances cannot all pass the check (login-throttle.ts).
 */
export async function signInWithPassword(
  db: AnyDb,
  params: { email: string; password: string; ip?: string | null; demoMode?: boolean },
): Promise<SignInResult> {
  const email = normalizeEmail(params.email);
  const ip = params.ip ?? null;
  // No default password outside demo mode: a demo seed's public password never signs in there.
  const demo = !params.demoMode && DEMO_PASSWORDS.includes(params.password);
  const attempt = await openLoginAttempt(db, { email, ip, reason: demo ? "demo password" : undefined });
  if (attempt.locked) return { ok: false, reason: "locked" };
  if (demo) return { ok: false, reason: "demo" };
  const user = await verifyCredentials(db, email, params.password);
  if (!user) return { ok: false, reason: "invalid" };
  return { ok: true, user, sessionVersion: await finishSignIn(db, attempt.attemptId, user.id) };
}

/**
 * The live user behind a session, or null when deleted, disabled or external, or when the session
 * was issued before the account's sessions were revoked (sign-out, disabling): `sessionVersion` is
 * the version the session token carries (tokens from before versions existed carry none: 0).
 * One prepared statement: this runs on every request.
 */
export const getSessionUser = domainOp(function* getSessionUser(c: Conn, id: number, sessionVersion = 0): Op<SessionUser | null> {
  const row = yield* c.prepared(userStatements).sessionUser.first({ id });
  if (!row || row.external || row.disabledAt !== null || row.sessionVersion !== sessionVersion) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
});

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
export const revokeSessions = domainOp(function* revokeSessions(
  c: Conn,
  params: { userId: number; actorId?: number | null; reason: string },
): Op<void> {
  yield* c.transaction(function* (tx): Op<void> {
    const changed = yield* tx.run(
      tx.q
        .update(users)
        .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
        .where(eq(users.id, params.userId)),
    );
    if (changed) {
      yield* recordAuditEvent.op(tx, {
        actorId: params.actorId ?? params.userId,
        action: "session.revoke",
        detail: { user: params.userId, reason: params.reason },
      });
    }
  });
});
