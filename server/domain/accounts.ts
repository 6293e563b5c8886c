/**
 * Account administration: invite links (the way new annotators join), role changes and disabling.
 * Every change is an audit event. An invite token is 32 random bytes shown once; only its sha256
 * is stored, so a database leak does not leak usable links.
 */
import crypto from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { invites, type Role, users } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { recordAuditEvent } from "./audit";
import { AppError, parseInput } from "./errors";
import { normalizeEmail } from "./login-throttle";
import { assertPasswordAllowed, minPasswordLength, passwordRequirements } from "./password-policy";
import { hashPassword } from "./passwords";
import { zRole } from "./schemas";
import { revokeSessions, type SessionUser, zNewUser } from "./users";

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

/** Creates an invite; returns the token (shown once) and when it expires (unix seconds). */
export function createInvite(db: Db, input: z.input<typeof zInviteInput>, actorId: number, nowS = Math.floor(Date.now() / 1000)) {
  const { role, email, expiresInHours } = parseInput(zInviteInput, input, "invite");
  const token = crypto.randomBytes(32).toString("base64url");
  const expiresAt = nowS + expiresInHours * 3600;
  return transaction(db, () => {
    const row = db
      .insert(invites)
      .values({ tokenHash: hashToken(token), role, email: email ?? null, createdBy: actorId, createdAt: nowS, expiresAt })
      .returning({ id: invites.id })
      .get();
    recordAuditEvent(db, { actorId, action: "user.invite", detail: { invite: row.id, role, email: email ?? null, expiresAt } });
    return { id: row.id, token, role, expiresAt };
  });
}

/** What the invite page shows before the person chooses a password. */
export function describeInvite(db: Db, token: string, nowS = Math.floor(Date.now() / 1000)) {
  const row = db
    .select()
    .from(invites)
    .where(eq(invites.tokenHash, hashToken(token)))
    .get();
  if (!row) throw new AppError("NOT_FOUND", "this invite link is not valid");
  if (row.usedAt !== null) throw new AppError("CONFLICT", "this invite link was already used");
  if (row.expiresAt <= nowS) throw new AppError("CONFLICT", "this invite link has expired; ask for a new one");
  return {
    role: row.role,
    email: row.email,
    password: { minLength: minPasswordLength(row.role), requirements: passwordRequirements(row.role) },
  };
}

/** Creates the invited account, once, before the link expires. */
export async function acceptInvite(
  db: Db,
  params: { token: string; email: string; password: string; name?: string },
  nowS = Math.floor(Date.now() / 1000),
): Promise<SessionUser> {
  const invite = describeInvite(db, params.token, nowS);
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
  return transaction(db, () => {
    const claimed = db
      .update(invites)
      .set({ usedAt: nowS })
      .where(and(eq(invites.tokenHash, hashToken(params.token)), isNull(invites.usedAt)))
      .run().changes;
    if (!claimed) throw new AppError("CONFLICT", "this invite link was already used");
    if (db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get()) {
      throw new AppError("CONFLICT", `a user with email ${input.email} already exists`);
    }
    const user = db
      .insert(users)
      .values({ email: input.email, name: input.name ?? input.email.split("@")[0] ?? input.email, passwordHash, role: input.role })
      .returning({ id: users.id, email: users.email, name: users.name, role: users.role })
      .get();
    db.update(invites)
      .set({ usedBy: user.id })
      .where(eq(invites.tokenHash, hashToken(params.token)))
      .run();
    recordAuditEvent(db, { actorId: user.id, action: "user.join", detail: { email: user.email, role: user.role } });
    return user;
  });
}

export function listUsers(db: Db) {
  return db
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
    .orderBy(asc(users.id))
    .all()
    .map((u) => ({ ...u, disabled: u.disabled !== null }));
}

function changeUser(
  db: Db,
  actorId: number,
  userId: number,
  action: string,
  set: Partial<typeof users.$inferInsert>,
  detail: Record<string, unknown>,
) {
  if (userId === actorId) throw new AppError("FORBIDDEN", "you cannot change your own account here; ask another admin");
  transaction(db, () => {
    const found = db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, userId), eq(users.external, false)))
      .get();
    if (!found) throw new AppError("NOT_FOUND", `user ${userId} does not exist`);
    db.update(users).set(set).where(eq(users.id, userId)).run();
    recordAuditEvent(db, { actorId, action, detail: { user: userId, ...detail } });
  });
}

export function setUserRole(db: Db, actorId: number, userId: number, role: Role): void {
  changeUser(db, actorId, userId, "user.role", { role }, { role });
}

/**
 * A disabled user's sessions are revoked on the server (the session version goes up), so they stay
 * dead when the account is enabled again; each request re-reads the user row.
 */
export function setUserDisabled(db: Db, actorId: number, userId: number, disabled: boolean, nowS = Math.floor(Date.now() / 1000)): void {
  transaction(db, () => {
    changeUser(db, actorId, userId, disabled ? "user.disable" : "user.enable", { disabledAt: disabled ? nowS : null }, {});
    if (disabled) revokeSessions(db, { userId, actorId, reason: "disabled" });
  });
}
