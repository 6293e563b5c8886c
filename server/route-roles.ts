/**
 * Who may call each HTTP endpoint that is not a tRPC procedure: every Next route handler
 * (app/**\/route.ts, one entry per exported method) and the endpoints server/main.ts answers itself.
 * server/main.ts enforces this table before a request reaches Next, so a handler that forgets its own
 * check is still covered; server/api/authorization.test.ts fails when a route handler or method exists
 * that this table does not name (deny by default, as for tRPC's `meta.roles`).
 */
import type { Role } from "@/db/schema";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** `public`: anyone, signed in or not (said explicitly, never by default). */
export type RouteAccess = readonly Role[] | "public";

export type RouteRule = {
  /** The route as the app folder spells it: `/api/exports/[id]`, `/api/auth/[...nextauth]`. */
  route: string;
  /** Who answers: a Next route handler under app/, or server/main.ts itself. */
  servedBy: "next" | "main";
  methods: Partial<Record<HttpMethod, RouteAccess>>;
};

export const ROUTE_RULES: readonly RouteRule[] = [
  // Sign-in, sign-out, session and CSRF token: next-auth's own endpoints must be reachable signed out.
  { route: "/api/auth/[...nextauth]", servedBy: "next", methods: { GET: "public", POST: "public" } },
  { route: "/api/exports/[id]", servedBy: "next", methods: { GET: ["admin", "researcher"] } },
  // A turn's two answers, streamed (NDJSON) to the annotator who owns the conversation (checked in the handler).
  { route: "/api/conversations/turns/[id]/stream", servedBy: "next", methods: { POST: ["annotator", "admin", "researcher"] } },
  { route: "/api/health", servedBy: "main", methods: { GET: "public" } },
  // Each procedure declares its own roles (tRPC meta); the router refuses the rest.
  { route: "/api/trpc/[...procedure]", servedBy: "main", methods: { GET: "public", POST: "public" } },
];

function segmentsMatch(pattern: string[], path: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i] as string;
    if (seg.startsWith("[...")) return path.length > i; // a catch-all takes one segment or more
    if (i >= path.length) return false;
    if (!(seg.startsWith("[") && seg.endsWith("]")) && seg !== path[i]) return false;
  }
  return pattern.length === path.length;
}

/** The rule whose route matches a request path (no query string), or null. */
export function findRouteRule(pathname: string, rules: readonly RouteRule[] = ROUTE_RULES): RouteRule | null {
  const path = pathname.split("/").filter(Boolean);
  return rules.find((r) => segmentsMatch(r.route.split("/").filter(Boolean), path)) ?? null;
}

/**
 * The path a request's URL names, in the form rules are matched against: no query, repeated slashes
 * collapsed, percent-escapes decoded, `.`/`..` segments resolved, so `//api/%65xports/./1` cannot
 * slip past the table as something else. null for a URL that does not decode.
 */
export function requestPath(url: string): string | null {
  const q = url.indexOf("?");
  const raw = (q === -1 ? url : url.slice(0, q)).replace(/\/+/g, "/");
  try {
    return new URL(decodeURIComponent(raw).replace(/\/+/g, "/"), "http://localhost").pathname;
  } catch {
    return null;
  }
}

export type RouteDecision = { allow: true } | { allow: false; status: 401 | 403 | 404 | 405; message: string };

/**
 * Whether `role` (null: signed out) may call `method` on `pathname`. Paths under /api/ that no rule
 * names are refused (404): an API endpoint exists only once it is in the table. Other paths are
 * pages, whose data comes through tRPC (role-checked there).
 */
export function authorizeRoute(
  pathname: string,
  method: string,
  role: Role | null,
  rules: readonly RouteRule[] = ROUTE_RULES,
): RouteDecision {
  const rule = findRouteRule(pathname, rules);
  if (!rule) {
    return pathname === "/api" || pathname.startsWith("/api/")
      ? { allow: false, status: 404, message: "no such endpoint" }
      : { allow: true };
  }
  // HEAD is answered like GET.
  const access = rule.methods[method as HttpMethod] ?? (method === "HEAD" ? rule.methods.GET : undefined);
  if (!access) return { allow: false, status: 405, message: `${method} is not allowed here` };
  if (access === "public") return { allow: true };
  if (!role) return { allow: false, status: 401, message: "sign in first" };
  if (!access.includes(role)) return { allow: false, status: 403, message: "your role cannot do this" };
  return { allow: true };
}
