import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { type Role, users } from "@/db/schema";
import { type Db, statementsFor } from "@/server/db";
import { AppError, parseInput } from "./errors";
import { assertPasswordAllowed, DEMO_PASSWORDS, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password-policy";
import { hashPassword, verifyPassword } from "./passwords";
import { zRole } from "./schemas";

/** The shape of a new account; the password policy (password-policy.ts) is checked after it. */
export const zNewUser = z.object({
  email: z.string().trim().toLowerCase().email("not a valid email address"),
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

/** Checks an email and password; returns the user, or null for any mismatch (no hint which part was wrong). */
export async function verifyCredentials(db: Db, email: string, password: string): Promise<SessionUser | null> {
  const row = db.select().from(users).where(eq(users.email, email.trim().toLowerCase())).get();
  if (!row || row.external || row.disabledAt !== null || !row.passwordHash) return null;
  if (!(await verifyPassword(row.passwordHash, password))) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

/** The live user behind a session, or null when deleted, disabled or external. */
const statements = statementsFor((db) => ({
  sessionUser: db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      external: users.external,
      disabledAt: users.disabledAt,
    })
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
}));

export function getSessionUser(db: Db, id: number): SessionUser | null {
  const row = statements(db).sessionUser.get({ id });
  if (!row || row.external || row.disabledAt !== null) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

/** Finds or creates the login-less annotator an imported judgment names (an AI judge, another tool's rater). */
export function ensureExternalAnnotator(db: Db, name: string): number {
  const found = db
    .select({ id: users.id, external: users.external })
    .from(users)
    .where(eq(users.name, name))
    .all()
    .find((u) => u.external);
  if (found) return found.id;
  return db.insert(users).values({ name, role: "annotator", external: true }).returning({ id: users.id }).get().id;
}
