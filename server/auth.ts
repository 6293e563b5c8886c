/**
 * next-auth: a credentials provider checked against argon2id hashes, JWT sessions that carry the
 * user id and the account's session version. `getRequestUser` reads the same session cookie for the
 * tRPC server, route handlers and page guards, and always re-reads the user row: a role change takes
 * effect at once, and a disabled account or a session revoked on the server (sign-out raises the
 * session version) stops working on its next request.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { NextAuthOptions } from "next-auth";
import { decode } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import type { Role } from "@/db/schema";
import { getAppDb } from "@/server/app-db";
import type { AnyDb } from "@/server/database";
import { WINDOW_S } from "@/server/domain/login-throttle";
import { getSessionUser, revokeSessions, type SessionUser, signInWithPassword } from "@/server/domain/users";

const zCredentials = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(200) });

export const SESSION_MAX_AGE_S = 12 * 60 * 60;
export const LOCKED_MESSAGE = `Too many failed sign-ins for this account or from this address. Try again in ${WINDOW_S / 60} minutes.`;
/** The client address server/main.ts stamps on every request it hands to Next (any value a client sent is replaced). */
export const CLIENT_ADDRESS_HEADER = "x-arbiter-client-address";

function clientAddress(headers: Record<string, unknown> | undefined): string | null {
  const value = headers?.[CLIENT_ADDRESS_HEADER];
  return typeof value === "string" && value ? value : null;
}
export const DEMO_ONLY_MESSAGE = "Demo accounts and their public passwords work only in demo mode (npm run demo).";

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const parsed = zCredentials.safeParse(credentials);
        if (!parsed.success) return null;
        const result = await signInWithPassword(await getAppDb(), {
          ...parsed.data,
          ip: clientAddress(req?.headers),
          demoMode: process.env.ARBITER_DEMO === "1",
        });
        if (result.ok) {
          const { user } = result;
          return { id: String(user.id), email: user.email, name: user.name, role: user.role, sv: result.sessionVersion };
        }
        // next-auth hands a thrown message to the sign-in form as `error`.
        if (result.reason === "locked") throw new Error(LOCKED_MESSAGE);
        if (result.reason === "demo") throw new Error(DEMO_ONLY_MESSAGE);
        return null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = Number(user.id);
        token.role = (user as { role?: Role }).role;
        token.sv = (user as { sv?: number }).sv ?? 0;
      }
      return token;
    },
    /** After sign-in, only a same-origin destination; anything else goes home. */
    redirect({ url, baseUrl }) {
      return safeCallbackUrl(url, baseUrl) ?? baseUrl;
    },
    session({ session, token }) {
      return { ...session, user: { ...session.user, id: token.uid, role: token.role } };
    },
  },
  events: {
    // Sign-out ends the session on the server too: a copy of the token stops working.
    async signOut({ token }) {
      const uid = Number(token?.uid);
      if (Number.isInteger(uid) && uid > 0) await revokeSessions(await getAppDb(), { userId: uid, reason: "sign-out" });
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
// Revocation is not cached: the session version is compared with the user row on every request.
type Claims = { uid: number; sv: number; exp: number };
const decoded = new Map<string, Claims>();
const MAX_CACHED = 20_000;

async function decodeSession(token: string): Promise<Claims | null> {
  const now = Date.now() / 1000;
  const hit = decoded.get(token);
  if (hit) return hit.exp > now ? hit : null;
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) return null;
  const claims = await decode({ token, secret }).catch(() => null);
  const uid = Number(claims?.uid);
  const sv = Number(claims?.sv ?? 0);
  const exp = Number(claims?.exp);
  if (!claims || !Number.isInteger(uid) || !Number.isInteger(sv) || !(exp > now)) return null;
  if (decoded.size >= MAX_CACHED) decoded.clear();
  const entry = { uid, sv, exp };
  decoded.set(token, entry);
  return entry;
}

/** The signed-in user behind a request's cookies, or null (also when the session was revoked). */
export async function getRequestUser(db: AnyDb, headers: IncomingHttpHeaders | Headers): Promise<SessionUser | null> {
  const cookie = headers instanceof Headers ? (headers.get("cookie") ?? undefined) : headers.cookie;
  const token = readCookie(cookie, sessionCookieName());
  if (!token) return null;
  const claims = await decodeSession(token);
  return claims === null ? null : await getSessionUser(db, claims.uid, claims.sv);
}

function hasBackslashOrControl(s: string): boolean {
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (c === "\\" || code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * The callback URL after sign-in, as an absolute URL on `origin`, or null when it would leave it.
 * Browsers read `\` as `/` and drop tabs and newlines, so `/\evil.example` and `/\t/evil.example`
 * are protocol-relative URLs to another host: anything with a backslash or control character (also
 * percent-encoded, up to twice) is refused before resolving.
 */
export function safeCallbackUrl(url: string, origin: string): string | null {
  let decoded = url;
  for (let i = 0; i < 3; i++) {
    if (hasBackslashOrControl(decoded)) return null;
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      return null;
    }
  }
  if (hasBackslashOrControl(decoded)) return null;
  try {
    const base = new URL(origin);
    const resolved = new URL(url, base);
    return resolved.origin === base.origin ? resolved.href : null;
  } catch {
    return null;
  }
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
    /** The account's session version when this token was issued (server/domain/users.ts revokeSessions). */
    sv?: number;
  }
}
