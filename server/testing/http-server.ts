/**
 * Test helpers for the real HTTP server: starts server/main.ts as a child process in API-only mode
 * (ARBITER_API_ONLY=1: tRPC and /api/health, no Next, so no build is needed) on a given database,
 * mints next-auth session cookies the way a signed-in browser holds them, and sends requests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import type { Role } from "@/db/schema";

export const TEST_SECRET = "http-test-secret-0123456789abcdef-0123456789";

export type TestServer = { child: ChildProcess; port: number; log: () => string };

/** A free TCP port on localhost. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export type Reply = { status: number; body: string; headers: http.IncomingHttpHeaders };

/** One request on a fresh connection (no keep-alive: a killed server leaves no pooled socket behind). */
export function request(
  port: number,
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) {
      headers["content-type"] ??= "application/json";
      headers["content-length"] = Buffer.byteLength(opts.body);
    }
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Starts the server on `db` and resolves once /api/health answers. */
export async function startApiServer(db: string, port: number, env: Record<string, string> = {}): Promise<TestServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    env: {
      ...process.env,
      ARBITER_DB: db,
      ARBITER_API_ONLY: "1",
      PORT: String(port),
      HOST: "127.0.0.1",
      NEXTAUTH_SECRET: TEST_SECRET,
      NEXTAUTH_URL: `http://localhost:${port}`,
      NODE_ENV: "production",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    let gone = false;
    const onExit = (code: number | null, signal: string | null) => {
      gone = true;
      reject(new Error(`server exited (${code ?? signal}) before it answered: ${out}`));
    };
    child.once("exit", onExit);
    void (async () => {
      while (!gone) {
        const r = await request(port, "GET", "/api/health").catch(() => null);
        if (r?.status === 200) {
          child.off("exit", onExit);
          return resolve();
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  });
  return { child, port, log: () => out };
}

/** SIGKILL: no shutdown handler runs, whatever was in flight is cut. Resolves when the process is gone. */
export function killHard(server: TestServer): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    server.child.kill("SIGKILL");
  });
}

export function stopServer(server: TestServer): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    server.child.kill("SIGTERM");
  });
}

/** The session cookie a browser holds after signing in as this user. */
export async function sessionCookie(userId: number, role: Role): Promise<string> {
  const { encode } = await import("next-auth/jwt");
  const token = await encode({ token: { uid: userId, role, sub: String(userId) }, secret: TEST_SECRET, maxAge: 3600 });
  return `next-auth.session-token=${token}`;
}
