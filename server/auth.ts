/**
 * next-auth: a credentials provider checked against argon2id hashes, JWT sessions that carry the
 * user id and role. `getRequestUser` reads the same session cookie for the tRPC server, and always
 * re-reads the user row, so a disabled user or a role change takes effect on the next request.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { NextAuthOptions } from "next-auth";
import { decode } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import type { Role } from "@/db/schema";
import { type Db, getDb } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { isLoginLocked, WINDOW_S } from "@/server/domain/login-throttle";
import { DEMO_PASSWORDS } from "@/server/domain/password-policy";
import { getSessionUser, type SessionUser, verifyCredentials } from "@/server/domain/users";

const zCredentials = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(200) });

export const SESSION_MAX_AGE_S = 12 * 60 * 60;
export const LOCKED_MESSAGE = `Too many failed sign-ins for this account. Try again in ${WINDOW_S / 60} minutes.`;
export const DEMO_ONLY_MESSAGE = "Demo accounts and their public passwords work only in demo mode (npm run demo).";

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials) {
        const parsed = zCredentials.safeParse(credentials);
        if (!parsed.success) return null;
        const db = getDb();
        if (isLoginLocked(db, parsed.data.email)) {
          recordAuditEvent(db, { action: "auth.login_locked", detail: { email: parsed.data.email.toLowerCase() } });
          // next-auth hands this message to the sign-in form as `error`.
          throw new Error(LOCKED_MESSAGE);
        }
        // No default password outside demo mode: a demo seed's public password never signs in there.
        if (process.env.ARBITER_DEMO !== "1" && DEMO_PASSWORDS.includes(parsed.data.password)) {
          recordAuditEvent(db, {
            action: "auth.login_failed",
            detail: { email: parsed.data.email.toLowerCase(), reason: "demo password" },
          });
          throw new Error(DEMO_ONLY_MESSAGE);
        }
        const user = await verifyCredentials(db, parsed.data.email, parsed.data.password);
        recordAuditEvent(db, {
          actorId: user?.id ?? null,
          action: user ? "auth.login" : "auth.login_failed",
          detail: { email: parsed.data.email.toLowerCase() },
        });
        return user ? { id: String(user.id), email: user.email, name: user.name, role: user.role } : null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = Number(user.id);
        token.role = (user as { role?: Role }).role;
      }
      return token;
    },
    session({ session, token }) {
      return { ...session, user: { ...session.user, id: token.uid, role: token.role } };
    },
  },
};

/** next-auth's cookie name: `__Secure-` prefixed when the app is served over https. */
export function sessionCookieName(): string {
  return process.env.NEXTAUTH_URL?.startsWith("https://") ? "__Secure-next-auth.session-token" : "next-auth.session-token";
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

// Decoding a session JWE costs a key derivation and an AES-GCM decrypt: remember recent tokens.
// The cache is a pure memo of (token, secret) → claims, so several app instances never disagree.
const decoded = new Map<string, { uid: number; exp: number }>();
const MAX_CACHED = 20_000;

async function decodeSession(token: string): Promise<number | null> {
  const now = Date.now() / 1000;
  const hit = decoded.get(token);
  if (hit) return hit.exp > now ? hit.uid : null;
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) return null;
  const claims = await decode({ token, secret }).catch(() => null);
  const uid = Number(claims?.uid);
  const exp = Number(claims?.exp);
  if (!claims || !Number.isInteger(uid) || !(exp > now)) return null;
  if (decoded.size >= MAX_CACHED) decoded.clear();
  decoded.set(token, { uid, exp });
  return uid;
}

/** The signed-in user behind a request's cookies, or null. */
export async function getRequestUser(db: Db, headers: IncomingHttpHeaders): Promise<SessionUser | null> {
  const token = readCookie(headers.cookie, sessionCookieName());
  if (!token) return null;
  const uid = await decodeSession(token);
  return uid === null ? null : getSessionUser(db, uid);
}

declare module "next-auth" {
  interface Session {
    user: { id?: number; role?: Role; name?: string | null; email?: string | null };
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    uid?: number;
    role?: Role;
  }
}
