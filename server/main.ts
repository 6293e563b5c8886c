/**
 * The Arbiter server: one Node process, one port. tRPC is served by tRPC's own Node adapter on
 * /api/trpc/ (the annotate hot path: about 3x the throughput of the same router inside Next's
 * route handlers, see docs/decisions.md); every other request, pages and next-auth included,
 * goes to Next.js. Usage: `tsx server/main.ts [--dev]` (npm start / npm run dev).
 */
import http from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import next from "next";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { getDb } from "@/server/db";
import { readEnv, resolveAuthSecret } from "@/server/env";
import { JobRunner } from "@/server/jobs/runner";
import { securityHeaders } from "@/server/security-headers";

const TRPC_PREFIX = "/api/trpc/";
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/**
 * CSRF defence in depth (session cookies are already SameSite=Lax): a state-changing API request
 * whose Origin header names another site is refused. Browsers always send Origin on cross-site POSTs.
 */
function isCrossSiteWrite(req: http.IncomingMessage): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  const origin = req.headers.origin;
  if (!origin) return false; // not a browser cross-site request (CLI, server-to-server)
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

async function main() {
  const dev = process.argv.includes("--dev");
  const env = readEnv();
  process.env.NEXTAUTH_SECRET = resolveAuthSecret(env);
  process.env.NEXTAUTH_URL ??= `http://localhost:${env.PORT}`;
  const db = getDb(); // opens and migrates before the first request
  // Marks jobs a dead process left "running" failed, then trains queued jobs one at a time.
  const runner = new JobRunner(db);
  runner.start();

  const app = next({ dev, dir: process.cwd(), hostname: "localhost", port: env.PORT });
  await app.prepare();
  const handleNext = app.getRequestHandler();

  const apiHeaders: [string, string][] = [
    ["cache-control", "no-store"],
    ...securityHeaders(dev).map((h): [string, string] => [h.key, h.value]),
  ];
  const handleTrpc = createHTTPHandler({
    router: appRouter,
    basePath: TRPC_PREFIX,
    maxBodySize: MAX_UPLOAD_BYTES,
    createContext: ({ req }) => createContext(db, req.headers),
    responseMeta: () => ({ headers: new Headers(apiHeaders) }),
  });

  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (url.startsWith(TRPC_PREFIX)) {
      if (isCrossSiteWrite(req)) {
        res.writeHead(403, { "content-type": "application/json" });
        return res.end('{"error":"cross-site request refused"}');
      }
      return handleTrpc(req, res);
    }
    if (url === "/api/health") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end('{"ok":true}');
    }
    return handleNext(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(env.PORT, env.HOST, () => {
    console.log(`Arbiter ${dev ? "(dev) " : ""}listening on http://localhost:${env.PORT} — database ${env.ARBITER_DB}`);
  });

  const shutdown = () => {
    // The trainer checkpoints and the runner records it before the database closes.
    void runner.stop().then(() =>
      server.close(() => {
        db.$client.close();
        process.exit(0);
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
