/**
 * The route-handler half of the authorization matrix (the tRPC half is server/api/authorization.test.ts).
 * Every app/**\/route.ts is found on disk, every HTTP method it exports must be named in
 * server/route-roles.ts, and each is called directly, as anonymous, annotator, admin and researcher,
 * with a real next-auth session cookie: the handler itself must refuse exactly whom the table refuses
 * (server/main.ts refuses them too, before Next: defence in depth). No `next build` is needed: the
 * handlers run in-process with Next's request-scoped `cookies()`/`headers()` answered from the request.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { NextRequest } from "next/server";
import { encode } from "next-auth/jwt";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Role } from "@/db/schema";
import { DEMO_ONLY_MESSAGE, getRequestUser } from "@/server/auth";
import type { Db } from "@/server/db";
import { createUser } from "@/server/domain/users";
import {
  authorizeRoute,
  findRouteRule,
  HTTP_METHODS,
  type HttpMethod,
  ROUTE_RULES,
  type RouteRule,
  requestPath,
} from "@/server/route-roles";
import { memoryDb } from "@/server/testing/fixtures";

const ORIGIN = "http://localhost:3000";
process.env.NEXTAUTH_SECRET = "route-roles-test-secret-0123456789abcdef";
process.env.NEXTAUTH_URL = ORIGIN;

// The handlers reach the database through getDb(): give them this test's in-memory one.
const state = vi.hoisted(() => ({ db: null as unknown }));
vi.mock("@/server/db", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/server/db")>()),
  getDb: () => state.db,
}));

// next-auth's handlers read the request through next/headers, which only works inside Next's request
// scope; outside it, answer from the request being handled (CommonJS, so through require's cache).
let current: Request | null = null;
const require = createRequire(import.meta.url);
const nextHeaders = require.resolve("next/headers", { paths: [path.dirname(require.resolve("next-auth"))] });
require.cache[nextHeaders] = {
  id: nextHeaders,
  filename: nextHeaders,
  loaded: true,
  exports: {
    headers: async () => new Headers(current?.headers),
    cookies: async () => ({
      getAll: () =>
        (current?.headers.get("cookie") ?? "")
          .split(";")
          .filter((c) => c.includes("="))
          .map((c) => {
            const eq = c.indexOf("=");
            // Next's RequestCookies hands out decoded values.
            return { name: c.slice(0, eq).trim(), value: decodeURIComponent(c.slice(eq + 1).trim()) };
          }),
    }),
  },
} as unknown as NodeModule;

type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;
type RouteFile = { file: string; route: string; handlers: Partial<Record<HttpMethod, Handler>> };

/** `app/api/exports/[id]/route.ts` → `/api/exports/[id]` (route groups `(x)` are not in the URL). */
function routeOf(file: string): string {
  const segments = path.dirname(file).split(path.sep).slice(1);
  return `/${segments.filter((s) => !(s.startsWith("(") && s.endsWith(")"))).join("/")}`;
}

function findRouteFiles(): string[] {
  return (fs.readdirSync("app", { recursive: true }) as string[])
    .filter((f) => /(^|[/\\])route\.(ts|tsx|js|mjs)$/.test(f))
    .map((f) => path.join("app", f))
    .sort();
}

/** A concrete URL and params for a route: `[id]` → `1`, a catch-all → `session`. */
function sample(route: string): { url: string; params: Record<string, string | string[]> } {
  const params: Record<string, string | string[]> = {};
  const parts = route.split("/").map((seg) => {
    const m = /^\[{1,2}(\.\.\.)?([^\]]+)\]{1,2}$/.exec(seg);
    if (!m) return seg;
    const name = m[2] as string;
    params[name] = m[1] ? ["session"] : "1";
    return m[1] ? "session" : "1";
  });
  return { url: `${ORIGIN}${parts.join("/")}`, params };
}

const ROLES: readonly (Role | null)[] = [null, "annotator", "admin", "researcher"];
const cookies = new Map<Role, string>();
let routeFiles: RouteFile[] = [];

async function call(handler: Handler, route: string, method: HttpMethod, cookie?: string, body?: BodyInit): Promise<Response> {
  const { url, params } = sample(route);
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  current = new NextRequest(url, { method, headers, body });
  try {
    return await handler(current, { params: Promise.resolve(params) });
  } finally {
    current = null;
  }
}

beforeAll(async () => {
  const db = memoryDb();
  state.db = db;
  for (const role of ["annotator", "admin", "researcher"] as const) {
    const user = await createUser(db as Db, { email: `${role}@routes.test`, password: "correct horse battery staple", role });
    const token = await encode({ token: { uid: user.id, role, sub: String(user.id) }, secret: process.env.NEXTAUTH_SECRET as string });
    cookies.set(role, `next-auth.session-token=${token}`);
  }
  routeFiles = await Promise.all(
    findRouteFiles().map(async (file) => {
      const mod = (await import(path.resolve(file))) as Record<string, unknown>;
      const handlers: Partial<Record<HttpMethod, Handler>> = {};
      for (const m of HTTP_METHODS) if (typeof mod[m] === "function") handlers[m] = mod[m] as Handler;
      return { file, route: routeOf(file), handlers };
    }),
  );
});

describe("route handlers declare their roles", () => {
  it("every route handler and every method it exports is in server/route-roles.ts, and nothing else is", () => {
    expect(routeFiles.length).toBeGreaterThanOrEqual(2);
    for (const { file, route, handlers } of routeFiles) {
      const rule = ROUTE_RULES.find((r) => r.route === route);
      expect(rule, `${file}: add ${route} to ROUTE_RULES in server/route-roles.ts`).toBeDefined();
      expect(rule?.servedBy, file).toBe("next");
      expect(Object.keys(handlers).sort(), `${file}: methods exported vs declared`).toEqual(Object.keys(rule?.methods ?? {}).sort());
    }
    const onDisk = new Set(routeFiles.map((r) => r.route));
    for (const rule of ROUTE_RULES.filter((r) => r.servedBy === "next"))
      expect(onDisk.has(rule.route), `stale rule ${rule.route}`).toBe(true);
  });

  it("each handler, called directly, refuses exactly the callers the table refuses", async () => {
    let calls = 0;
    for (const { file, route, handlers } of routeFiles) {
      for (const [method, handler] of Object.entries(handlers) as [HttpMethod, Handler][]) {
        for (const role of ROLES) {
          const decision = authorizeRoute(new URL(sample(route).url).pathname, method, role);
          const res = await call(handler, route, method, role ? cookies.get(role) : undefined);
          const who = `${method} ${file} as ${role ?? "anonymous"}`;
          if (decision.allow) expect(res.status, who).not.toBeOneOf([401, 403]);
          else expect(res.status, who).toBe(decision.status);
          calls++;
        }
      }
    }
    expect(calls).toBe(routeFiles.reduce((n, r) => n + Object.keys(r.handlers).length, 0) * ROLES.length);
  });

  it("exports are for staff only: annotators and anonymous callers are refused", () => {
    expect(authorizeRoute("/api/exports/7", "GET", null)).toMatchObject({ allow: false, status: 401 });
    expect(authorizeRoute("/api/exports/7", "GET", "annotator")).toMatchObject({ allow: false, status: 403 });
    expect(authorizeRoute("/api/exports/7", "GET", "researcher")).toEqual({ allow: true });
  });
});

describe("requestPath", () => {
  it("canonicalizes what the table is matched against", () => {
    expect(requestPath("/api/exports/1?x=1")).toBe("/api/exports/1");
    expect(requestPath("//api//exports/1")).toBe("/api/exports/1");
    expect(requestPath("/%61pi/exports/1")).toBe("/api/exports/1");
    expect(requestPath("/api/./exports/1")).toBe("/api/exports/1");
    expect(requestPath("/x/../api/exports/1")).toBe("/api/exports/1");
    expect(requestPath("/api/%2e%2e/api/exports/1")).toBe("/api/exports/1");
    expect(requestPath("/api/%E0%A4%A")).toBeNull();
  });
});

describe("authorizeRoute", () => {
  const rules: RouteRule[] = [
    { route: "/api/things/[id]", servedBy: "next", methods: { GET: ["admin"], DELETE: ["admin"] } },
    { route: "/api/open/[...rest]", servedBy: "next", methods: { POST: "public" } },
  ];

  it("matches dynamic segments and catch-alls", () => {
    expect(findRouteRule("/api/things/3", rules)?.route).toBe("/api/things/[id]");
    expect(findRouteRule("/api/things/3/more", rules)).toBeNull();
    expect(findRouteRule("/api/things", rules)).toBeNull();
    expect(findRouteRule("/api/open/a/b/c", rules)?.route).toBe("/api/open/[...rest]");
    expect(findRouteRule("/api/open", rules)).toBeNull();
  });

  it("refuses API paths no rule names and methods a rule does not declare; pages pass to tRPC's checks", () => {
    expect(authorizeRoute("/api/secret", "GET", "admin", rules)).toMatchObject({ allow: false, status: 404 });
    expect(authorizeRoute("/api/things/3", "POST", "admin", rules)).toMatchObject({ allow: false, status: 405 });
    expect(authorizeRoute("/api/open/x", "GET", null, rules)).toMatchObject({ allow: false, status: 405 });
    expect(authorizeRoute("/admin/users", "GET", null, rules)).toEqual({ allow: true });
  });

  it("answers HEAD like GET, and anonymous with 401, a wrong role with 403", () => {
    expect(authorizeRoute("/api/things/3", "HEAD", "admin", rules)).toEqual({ allow: true });
    expect(authorizeRoute("/api/things/3", "HEAD", null, rules)).toMatchObject({ allow: false, status: 401 });
    expect(authorizeRoute("/api/things/3", "DELETE", "researcher", rules)).toMatchObject({ allow: false, status: 403 });
    expect(authorizeRoute("/api/open/x", "POST", null, rules)).toEqual({ allow: true });
  });
});

describe("next-auth's own endpoints", () => {
  function nextAuth(method: "GET" | "POST"): Handler {
    const h = routeFiles.find((r) => r.route === "/api/auth/[...nextauth]")?.handlers[method];
    if (!h) throw new Error(`no ${method} handler for /api/auth/[...nextauth]`);
    return h;
  }
  async function postCredentials(
    csrf: { cookie: string; token: string } | null,
    password: string,
    email = "admin@routes.test",
    extra: Record<string, string> = {},
  ) {
    const body = new URLSearchParams({ email, password, ...(csrf ? { csrfToken: csrf.token } : {}), json: "true", ...extra });
    current = new NextRequest(`${ORIGIN}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(csrf ? { cookie: csrf.cookie } : {}) },
      body,
    });
    try {
      return await nextAuth("POST")(current, { params: Promise.resolve({ nextauth: ["callback", "credentials"] }) });
    } finally {
      current = null;
    }
  }
  async function csrfToken() {
    current = new NextRequest(`${ORIGIN}/api/auth/csrf`);
    const res = await nextAuth("GET")(current, { params: Promise.resolve({ nextauth: ["csrf"] }) });
    current = null;
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("next-auth.csrf-token=")) ?? "";
    return { setCookie, cookie: setCookie.split(";")[0] as string, token: ((await res.json()) as { csrfToken: string }).csrfToken };
  }
  const sessionCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith("next-auth.session-token="));

  it("sign-in sets an httpOnly, SameSite=Lax session cookie; the CSRF cookie is httpOnly too", async () => {
    const csrf = await csrfToken();
    expect(csrf.setCookie).toMatch(/; HttpOnly/i);
    expect(csrf.setCookie).toMatch(/; SameSite=Lax/i);
    const res = await postCredentials(csrf, "correct horse battery staple");
    const cookie = sessionCookie(res);
    expect(cookie, `status ${res.status}`).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
  });

  it("a sign-in POST without next-auth's CSRF token is refused even with the right password", async () => {
    const res = await postCredentials(null, "correct horse battery staple");
    expect(sessionCookie(res)).toBeUndefined();
    expect(JSON.stringify(await res.json())).toContain("csrf=true");
  });
  it("a demo account's public password signs in only in demo mode", async () => {
    delete process.env.ARBITER_DEMO;
    await createUser(state.db as Db, { email: "demo@routes.test", password: "demo-admin-pass", role: "admin" }, { demo: true });
    const outside = await postCredentials(await csrfToken(), "demo-admin-pass", "demo@routes.test");
    expect(sessionCookie(outside)).toBeUndefined();
    expect(decodeURIComponent(JSON.stringify(await outside.json()))).toContain(DEMO_ONLY_MESSAGE);
    process.env.ARBITER_DEMO = "1";
    try {
      const inDemo = await postCredentials(await csrfToken(), "demo-admin-pass", "demo@routes.test");
      expect(sessionCookie(inDemo)).toBeDefined();
    } finally {
      delete process.env.ARBITER_DEMO;
    }
  });

  it("after sign-in, goes only to a same-origin callbackUrl: backslash, tab and encoded variants go home", async () => {
    const destination = async (callbackUrl: string) => {
      const res = await postCredentials(await csrfToken(), "correct horse battery staple", "admin@routes.test", { callbackUrl });
      expect(sessionCookie(res), callbackUrl).toBeDefined();
      return new URL(((await res.json()) as { url: string }).url);
    };
    expect((await destination("/admin/users?tab=1")).href).toBe(`${ORIGIN}/admin/users?tab=1`);
    for (const evil of [
      "/%5Cevil.example/landing",
      "/\\evil.example/landing",
      "/%09/evil.example/landing",
      "/\t/evil.example/landing",
      "/%255Cevil.example/landing",
      "//evil.example/landing",
      "https://evil.example/landing",
      "http://localhost:3000@evil.example/",
    ]) {
      const url = await destination(evil);
      expect(url.origin, evil).toBe(ORIGIN);
      expect(url.href, evil).not.toContain("evil.example");
    }
  });

  it("signing out revokes the session on the server: a copy of the old cookie no longer works", async () => {
    const db = state.db as Db;
    await createUser(db, { email: "leaver@routes.test", password: "correct horse battery staple", role: "annotator" });
    const signedIn = await postCredentials(await csrfToken(), "correct horse battery staple", "leaver@routes.test");
    const session = (sessionCookie(signedIn) ?? "").split(";")[0] as string;
    expect((await getRequestUser(db, { cookie: session }))?.email).toBe("leaver@routes.test");
    const csrf = await csrfToken();
    current = new NextRequest(`${ORIGIN}/api/auth/signout`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: `${csrf.cookie}; ${session}` },
      body: new URLSearchParams({ csrfToken: csrf.token, json: "true" }),
    });
    try {
      await nextAuth("POST")(current, { params: Promise.resolve({ nextauth: ["signout"] }) });
    } finally {
      current = null;
    }
    expect(await getRequestUser(db, { cookie: session })).toBeNull();
  });
});
