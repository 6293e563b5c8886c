/**
 * Account administration: invite links (the way new annotators join), role changes and disabling.
 * Every change is an audit event. An invite token is 32 random bytes shown once; only its sha256
 * is stored, so a database leak does not leak usable links.
 */
import crypto from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { invites, type Role, users } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, type Op } from "@/server/database";
import { recordAuditEvent } from "./audit";
import { AppError, parseInput } from "./errors";
import { normalizeEmail } from "./login-throttle";
import { assertPasswordAllowed, minPasswordLength, passwordRequirements } from "./password-policy";
import { hashPassword } from "./passwords";
import { zRole } from "./schemas";
import { assertEmailFree, revokeSessions, type SessionUser, zNewUser } from "./users";

export const zInviteInput = z.object({
  role: zRole.default("annotator"),
  email: z.string().transform(normalizeEmail).pipe(z.string().email()).optional(),
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(72),
});

function hashToken(token: string): string {
  return crypto.createHash("sha256").update(token).digest("hex");
}

export type CreatedInvite = { id: number; token: string; role: Role; expiresAt: number };

/** Creates an invite; returns the token (shown once) and when it expires (unix seconds). */
export const createInvite = domainOp(function* createInvite(
  c: Conn,
  input: z.input<typeof zInviteInput>,
  actorId: number,
  nowS: number = Math.floor(Date.now() / 1000),
): Op<CreatedInvite> {
  const { role, email, expiresInHours } = parseInput(zInviteInput, input, "invite");
  const token = crypto.randomBytes(32).toString("base64url"); // drawn once, outside a transaction that may be retried
  const expiresAt = nowS + expiresInHours * 3600;
  return yield* c.transaction(function* (tx): Op<CreatedInvite> {
    const row = yield* tx.first(
      tx.q
        .insert(invites)
        .values({ tokenHash: hashToken(token), role, email: email ?? null, createdBy: actorId, createdAt: nowS, expiresAt })
        .returning({ id: invites.id }),
    );
    if (!row) throw new Error("the new invite's row did not come back");
    yield* recordAuditEvent.op(tx, { actorId, action: "user.invite", detail: { invite: row.id, role, email: email ?? null, expiresAt } });
    return { id: row.id, token, role, expiresAt };
  });
});

export type InviteDescription = {
  role: Role;
  email: string | null;
  password: { minLength: number; requirements: string };
};

/** What the invite page shows before the person chooses a password. */
export const describeInvite = domainOp(function* describeInvite(
  c: Conn,
  token: string,
  nowS: number = Math.floor(Date.now() / 1000),
): Op<InviteDescription> {
  const row = yield* c.first(
    c.q
      .select()
      .from(invites)
      .where(eq(invites.tokenHash, hashToken(token))),
  );
  if (!row) throw new AppError("NOT_FOUND", "this invite link is not valid");
  if (row.usedAt !== null) throw new AppError("CONFLICT", "this invite link was already used");
  if (row.expiresAt <= nowS) throw new AppError("CONFLICT", "this invite link has expired; ask for a new one");
  return {
    role: row.role,
    email: row.email,
    password: { minLength: minPasswordLength(row.role), requirements: passwordRequirements(row.role) },
  };
});

/**
 * Uses an invite once and creates its account, in one transaction. Two instances accepting one link
 * at once: the claim (`used_at IS NULL`) lets one through; the other waits for its row and finds it used.
 */
const joinByInvite = domainOp(function* joinByInvite(
  c: Conn,
  params: { token: string; email: string; name: string; passwordHash: string; role: Role },
  nowS: number,
): Op<SessionUser> {
  return yield* c.transaction(function* (tx): Op<SessionUser> {
    const tokenHash = hashToken(params.token);
    const claimed = yield* tx.run(
      tx.q
        .update(invites)
        .set({ usedAt: nowS })
        .where(and(eq(invites.tokenHash, tokenHash), isNull(invites.usedAt))),
    );
    if (!claimed) throw new AppError("CONFLICT", "this invite link was already used");
    yield* assertEmailFree(tx, params.email);
    const user = yield* tx.first(
      tx.q
        .insert(users)
        .values({ email: params.email, name: params.name, passwordHash: params.passwordHash, role: params.role })
        .returning({ id: users.id, email: users.email, name: users.name, role: users.role }),
    );
    if (!user) throw new Error("the new user's row did not come back");
    yield* tx.run(tx.q.update(invites).set({ usedBy: user.id }).where(eq(invites.tokenHash, tokenHash)));
    yield* recordAuditEvent.op(tx, { actorId: user.id, action: "user.join", detail: { email: user.email, role: user.role } });
    return user;
  });
});

/** Creates the invited account, once, before the link expires. */
export async function acceptInvite(
  db: AnyDb,
  params: { token: string; email: string; password: string; name?: string },
  nowS = Math.floor(Date.now() / 1000),
): Promise<SessionUser> {
  const invite = await describeInvite(db, params.token, nowS);
  const input = parseInput(
    zNewUser,
    { email: invite.email ?? params.email, password: params.password, role: invite.role, name: params.name },
    "user",
  );
  if (invite.email && invite.email !== normalizeEmail(params.email)) {
    throw new AppError("BAD_INPUT", `email: this invite is for ${invite.email}`, [
      { field: "email", message: `this invite is for ${invite.email}` },
    ]);
  }
  assertPasswordAllowed(input.password, { email: input.email, role: input.role });
  const passwordHash = await hashPassword(input.password); // before the transaction: hashing is slow
  return joinByInvite(
    db,
    {
      token: params.token,
      email: input.email,
      name: input.name ?? input.email.split("@")[0] ?? input.email,
      passwordHash,
      role: input.role,
    },
    nowS,
  );
}

export type UserListRow = { id: number; email: string | null; name: string; role: Role; disabled: boolean; createdAt: number };

export const listUsers = domainOp(function* listUsers(c: Conn): Op<UserListRow[]> {
  const rows = yield* c.all(
    c.q
      .select({
        id: users.id,
        email: users.email,
        name: users.name,
        role: users.role,
        disabled: users.disabledAt,
        createdAt: users.createdAt,
      })
      .from(users)
      .where(eq(users.external, false))
      .orderBy(asc(users.id)),
  );
  return rows.map((u) => ({ ...u, disabled: u.disabled !== null }));
});

function* changeUser(
  c: Conn,
  actorId: number,
  userId: number,
  action: string,
  set: Partial<typeof users.$inferInsert>,
  detail: Record<string, unknown>,
): Op<void> {
  if (userId === actorId) throw new AppError("FORBIDDEN", "you cannot change your own account here; ask another admin");
  yield* c.transaction(function* (tx): Op<void> {
    const found = yield* tx.first(
      tx.q
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, userId), eq(users.external, false))),
    );
    if (!found) throw new AppError("NOT_FOUND", `user ${userId} does not exist`);
    yield* tx.run(tx.q.update(users).set(set).where(eq(users.id, userId)));
    yield* recordAuditEvent.op(tx, { actorId, action, detail: { user: userId, ...detail } });
  });
}

export const setUserRole = domainOp(function* setUserRole(c: Conn, actorId: number, userId: number, role: Role): Op<void> {
  yield* changeUser(c, actorId, userId, "user.role", { role }, { role });
});

/**
 * A disabled user's sessions are revoked on the server (the session version goes up), so they stay
 * dead when the account is enabled again; each request re-reads the user row.
 */
export const setUserDisabled = domainOp(function* setUserDisabled(
  c: Conn,
  actorId: number,
  userId: number,
  disabled: boolean,
  nowS: number = Math.floor(Date.now() / 1000),
): Op<void> {
  yield* c.transaction(function* (tx): Op<void> {
    yield* changeUser(tx, actorId, userId, disabled ? "user.disable" : "user.enable", { disabledAt: disabled ? nowS : null }, {});
    if (disabled) yield* revokeSessions.op(tx, { userId, actorId, reason: "disabled" });
  });
});
