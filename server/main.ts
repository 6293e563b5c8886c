/**
 * The Arbiter server: one Node process, one port. tRPC is served by tRPC's own Node adapter on
 * /api/trpc/ (the annotate hot path: about 3x the throughput of the same router inside Next's
 * route handlers, see docs/decisions.md); every other request, pages and next-auth included,
 * goes to Next.js. Usage: `tsx server/main.ts [--dev]` (npm start / npm run dev).
 *
 * Before any handler runs, two gates: a cross-site write (Origin names another host) is refused,
 * and an endpoint that server/route-roles.ts does not allow for the caller's role is refused.
 * ARBITER_API_ONLY=1 serves the API (tRPC, /api/health) without loading Next: the HTTP-level tests
 * start it that way, so they need no `next build`.
 * ARBITER_MEMORY_LOG=FILE appends the process's memory use as one JSON line every 5 s, and after a
 * full GC on SIGUSR2 (node --expose-gc): bench:soak reads it to tell a leak from allocator growth.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { closeAppDb, getAppDb } from "@/server/app-db";
import { CLIENT_ADDRESS_HEADER, getRequestUser } from "@/server/auth";
import type { AnyDb } from "@/server/database";
import { restrictFileModes } from "@/server/db";
import { redactDbUrl } from "@/server/db-url";
import { readEnv, resolveAuthSecret } from "@/server/env";
import { GenerateRunner } from "@/server/jobs/generate";
import { JobRunner } from "@/server/jobs/runner";
import { authorizeRoute, findRouteRule, requestPath } from "@/server/route-roles";
import { contentSecurityPolicy, securityHeaders } from "@/server/security-headers";

const TRPC_PREFIX = "/api/trpc/";
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
/**
 * tRPC reads a request's whole body before any procedure checks roles, so a body limit is the only
 * guard against a stranger making the server buffer it: 8 MB for everyone, more only for admins
 * (file uploads), whose role is checked from the cookie before a byte of the body is read.
 */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/**
 * Everything outside tRPC (next-auth's sign-in, sign-out and CSRF posts) takes small form bodies, and
 * Next would buffer whatever arrives (and log a failed parse with the body's first bytes). So a body
 * there must declare its length (chunked bodies are refused: 411) and stay under this cap (413, before
 * a byte is read); Node's HTTP parser then delivers no more than the declared length, which makes the
 * cap hold while the body streams in.
 */
const MAX_OTHER_BODY_BYTES = 64 * 1024;

/**
 * CSRF defence in depth (session cookies are already SameSite=Lax, next-auth's own POSTs carry its
 * CSRF token): a state-changing request whose Origin header names another site is refused, whatever
 * the path. Browsers always send Origin on cross-site POSTs.
 */
function isCrossSiteWrite(req: http.IncomingMessage, publicHost: string | null): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  const origin = req.headers.origin;
  if (!origin) return false; // not a browser cross-site request (CLI, server-to-server)
  try {
    // Same host as the request, or the public host NEXTAUTH_URL names (a proxy may rewrite Host).
    const host = new URL(origin).host;
    return host !== req.headers.host && host !== publicHost;
  } catch {
    return true;
  }
}

/** The server's own answers (refusals included): JSON, never cached, with the security headers set at the top of the handler. */
function refuse(res: http.ServerResponse, status: number, message: string, close = false) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...(close ? { connection: "close" } : {}) });
  res.end(JSON.stringify({ error: message }));
}

/** 411/413 for a body outside tRPC that is chunked or over MAX_OTHER_BODY_BYTES; null when it may be read. */
function otherBodyProblem(req: http.IncomingMessage): { status: 411 | 413; message: string } | null {
  if (req.headers["transfer-encoding"] !== undefined) return { status: 411, message: "send a Content-Length" };
  if (Number(req.headers["content-length"] ?? 0) > MAX_OTHER_BODY_BYTES) {
    return { status: 413, message: `request bodies here are limited to ${MAX_OTHER_BODY_BYTES / 1024} kB` };
  }
  return null;
}

/** The role check of server/route-roles.ts, before Next or tRPC see the request. */
async function routeAllowed(db: AnyDb, req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<boolean> {
  const rule = findRouteRule(pathname);
  const needsUser = rule && Object.values(rule.methods).some((access) => access !== "public");
  const user = needsUser ? await getRequestUser(db, req.headers) : null;
  const decision = authorizeRoute(pathname, req.method ?? "GET", user?.role ?? null);
  if (decision.allow) return true;
  refuse(res, decision.status, decision.message);
  return false;
}

/**
 * bench:soak's window into the server: memory use every 5 s, and on SIGUSR2 a sample taken right
 * after a full GC (when node runs with --expose-gc), whose heapUsed is the live heap alone.
 */
function startMemoryLog(file: string) {
  const gc = (globalThis as { gc?: () => void }).gc;
  const write = (kind: "sample" | "after-gc") =>
    fs.appendFileSync(file, `${JSON.stringify({ t: Date.now(), kind, ...process.memoryUsage() })}\n`);
  write("sample");
  setInterval(() => write("sample"), 5000).unref();
  process.on("SIGUSR2", () => {
    gc?.();
    write(gc ? "after-gc" : "sample");
  });
}

async function main() {
  const dev = process.argv.includes("--dev");
  restrictFileModes();
  const env = readEnv();
  process.env.NEXTAUTH_SECRET = resolveAuthSecret(env);
  process.env.NEXTAUTH_URL ??= `http://localhost:${env.PORT}`;
  const db = await getAppDb(); // opens and migrates before the first request
  // Marks jobs a dead process left "running" failed, then trains queued jobs one at a time.
  const runner = new JobRunner(db);
  // Sampling jobs (issue #14): their own runner, so generating never waits for a training job.
  const generation = new GenerateRunner(db);
  // ARBITER_JOB_RUNNER=0: jobs run elsewhere (run-worker.ts on a GPU host sharing the database).
  if (env.ARBITER_JOB_RUNNER === "1") {
    runner.start();
    generation.start();
  }

  let handleNext: (req: http.IncomingMessage, res: http.ServerResponse) => unknown = (_req, res) =>
    refuse(res, 404, "this server runs in API-only mode (ARBITER_API_ONLY=1): no pages");
  if (env.ARBITER_API_ONLY === "0") {
    const { default: next } = await import("next");
    const app = next({ dev, dir: process.cwd(), hostname: "localhost", port: env.PORT });
    await app.prepare();
    handleNext = app.getRequestHandler();
  }

  const apiHeaders: [string, string][] = [
    ["cache-control", "no-store"],
    ["content-security-policy", contentSecurityPolicy(dev)],
    ...securityHeaders(dev).map((h): [string, string] => [h.key, h.value]),
  ];
  const trpcHandler = (maxBodySize: number) =>
    createHTTPHandler({
      router: appRouter,
      basePath: TRPC_PREFIX,
      maxBodySize,
      createContext: ({ req }) => createContext(db, req.headers),
      responseMeta: () => ({ headers: new Headers(apiHeaders) }),
    });
  const handleTrpc = trpcHandler(MAX_BODY_BYTES);
  const handleTrpcUpload = trpcHandler(MAX_UPLOAD_BYTES);
  const handleLargeTrpc = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const user = await getRequestUser(db, req.headers);
    if (!user) return refuse(res, 401, "sign in first");
    if (user.role !== "admin") return refuse(res, 413, `request bodies over ${MAX_BODY_BYTES / 2 ** 20} MB are for admins' uploads`);
    return handleTrpcUpload(req, res);
  };

  const publicUrl = new URL(process.env.NEXTAUTH_URL);
  const publicHost = publicUrl.host;
  // Served over https (behind a TLS proxy): browsers must never fall back to plain http.
  const hsts = publicUrl.protocol === "https:" ? "max-age=63072000; includeSubDomains" : null;
  const server = http.createServer(async (req, res) => {
    const url = req.url ?? "/";
    // Every answer carries the security headers: pages, the API, /api/health and our own refusals.
    for (const [key, value] of apiHeaders) res.setHeader(key, value);
    if (hsts) res.setHeader("Strict-Transport-Security", hsts);
    // Sign-in's per-address lockout reads it (server/auth.ts); whatever a client sent is replaced.
    req.headers[CLIENT_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
    if (isCrossSiteWrite(req, publicHost)) return refuse(res, 403, "cross-site request refused");
    // tRPC checks each procedure's roles itself: skip the table lookup on the hot path.
    if (url.startsWith(TRPC_PREFIX)) {
      if (Number(req.headers["content-length"] ?? 0) <= MAX_BODY_BYTES) return handleTrpc(req, res);
      return handleLargeTrpc(req, res).catch((e) => {
        console.error("[http] upload check:", e);
        refuse(res, 500, "Something went wrong on the server.");
      });
    }
    const tooBig = otherBodyProblem(req);
    if (tooBig) return refuse(res, tooBig.status, tooBig.message, true);
    const pathname = requestPath(url);
    if (pathname === null) return refuse(res, 400, "malformed URL");
    try {
      if (!(await routeAllowed(db, req, res, pathname))) return;
    } catch (e) {
      console.error("[http] route check:", e);
      return refuse(res, 500, "Something went wrong on the server.");
    }
    if (pathname === "/api/health") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end('{"ok":true}');
    }
    // A fresh script nonce per page: Next reads it from the request's CSP header and stamps its scripts.
    const csp = contentSecurityPolicy(dev, crypto.randomBytes(16).toString("base64"));
    req.headers["content-security-policy"] = csp;
    res.setHeader("Content-Security-Policy", csp);
    return handleNext(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(env.PORT, env.HOST, () => {
    const mode = dev ? "(dev) " : env.ARBITER_API_ONLY === "1" ? "(API only) " : "";
    console.log(`Arbiter ${mode}listening on http://localhost:${env.PORT} — database ${redactDbUrl(env.ARBITER_DB)}`);
    if (env.ARBITER_DEMO === "1") {
      console.warn("ARBITER_DEMO=1: DEMO MODE — the demo accounts' public passwords sign in. Never run a real campaign like this.");
    }
  });
  if (env.ARBITER_MEMORY_LOG) startMemoryLog(env.ARBITER_MEMORY_LOG);

  const shutdown = () => {
    // The trainer checkpoints and the runner records it before the database closes.
    void Promise.all([runner.stop(), generation.stop()]).then(() =>
      server.close(() => {
        void closeAppDb().finally(() => process.exit(0));
      }),
    );
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
