import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/server/db";
import { childProcessEnv } from "@/server/env";
import { tempDir } from "@/server/testing/fixtures";
import { freePort, request, startApiServer, stopServer, type TestServer } from "@/server/testing/http-server";
import { contentSecurityPolicy, securityHeaders } from "./security-headers";

const directive = (csp: string, name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `)) ?? "";

describe("contentSecurityPolicy", () => {
  it("lets a page run only scripts that carry its nonce (no inline script from anywhere else)", () => {
    const csp = contentSecurityPolicy(false, "abc123==");
    expect(directive(csp, "script-src")).toBe("script-src 'nonce-abc123==' 'strict-dynamic'");
    expect(directive(csp, "frame-ancestors")).toBe("frame-ancestors 'none'");
    expect(directive(csp, "object-src")).toBe("object-src 'none'");
    expect(directive(csp, "img-src")).toBe("img-src 'self' data:");
  });

  it("runs no script at all in API answers, and adds eval only in dev", () => {
    expect(directive(contentSecurityPolicy(false), "script-src")).toBe("script-src 'none'");
    expect(directive(contentSecurityPolicy(true, "n"), "script-src")).toBe("script-src 'nonce-n' 'strict-dynamic' 'unsafe-eval'");
    expect(directive(contentSecurityPolicy(true, "n"), "connect-src")).toBe("connect-src 'self' ws:");
  });

  it("securityHeaders leaves the CSP to server/main.ts (next.config.ts would overwrite the per-request one)", () => {
    const keys = securityHeaders(false).map((h) => h.key.toLowerCase());
    expect(keys).not.toContain("content-security-policy");
    expect(keys).toEqual(expect.arrayContaining(["x-frame-options", "x-content-type-options", "referrer-policy"]));
  });
});

describe("the server's own answers (security round 2)", () => {
  let server: TestServer | null = null;
  let dir = "";
  beforeAll(async () => {
    dir = tempDir("arbiter-headers-");
    server = await startApiServer(path.join(dir, "data", "headers.db"), await freePort());
  }, 60_000);
  afterAll(async () => {
    if (server) await stopServer(server);
  });
  const port = () => (server as TestServer).port;

  it("every answer carries the security headers: /api/health, refusals, unknown endpoints and tRPC", async () => {
    const answers = [
      await request(port(), "GET", "/api/health"),
      await request(port(), "GET", "/api/exports/1"), // 401: signed out
      await request(port(), "GET", "/api/nothing-here"), // 404
      await request(port(), "POST", "/api/health", { body: "{}", headers: { origin: "http://evil.example" } }), // 403 cross-site
      await request(port(), "GET", "/api/trpc/me.whoami"), // tRPC's UNAUTHORIZED
    ];
    for (const r of answers) {
      expect(r.headers["x-frame-options"], `${r.status}`).toBe("DENY");
      expect(r.headers["x-content-type-options"], `${r.status}`).toBe("nosniff");
      expect(r.headers["content-security-policy"], `${r.status}`).toContain("frame-ancestors 'none'");
      expect(r.headers["referrer-policy"], `${r.status}`).toBe("same-origin");
    }
    expect(answers.map((r) => r.status)).toEqual([200, 401, 404, 403, 401]);
  });

  it("bodies outside tRPC are capped before they are read: 413 over the cap, 411 without a length", async () => {
    const big = "x".repeat(200 * 1024);
    const tooBig = await request(port(), "POST", "/api/auth/callback/credentials", {
      body: big,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(tooBig.status).toBe(413);
    const signout = await request(port(), "POST", "/api/auth/signout", { body: big });
    expect(signout.status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: port(),
          method: "POST",
          path: "/api/auth/signout",
          agent: false,
          headers: { "transfer-encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write("a=1");
      req.end();
    });
    expect(chunked).toBe(411);
    // The server stays up and never logged the body.
    expect((await request(port(), "GET", "/api/health")).status).toBe(200);
    expect((server as TestServer).log()).not.toContain("xxxxxxxx");
  });

  it("creates the database, its WAL and SHM files 0600 in a 0700 folder", () => {
    const file = path.join(dir, "data", "headers.db");
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(fs.statSync(f).mode & 0o777, f).toBe(0o600);
  });

  it("refuses an ARBITER_DB URL of an engine this build does not have, and creates nothing", async () => {
    expect(fs.existsSync("mysql:")).toBe(false);
    const child = spawnSync(process.execPath, ["--import", "tsx", "server/main.ts"], {
      env: { ...process.env, ARBITER_DB: "mysql://arbiter:secret@db.example/arbiter", ARBITER_API_ONLY: "1", PORT: "1" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.status).toBe(1);
    expect(child.stderr).toMatch(/ARBITER_DB: mysql:\/\/ is not a database Arbiter knows/);
    expect(child.stderr).not.toContain("secret");
    expect(fs.existsSync("mysql:")).toBe(false);
    // PostgreSQL is opened by server/db-pg.ts; the SQLite opener never takes its URL for a file path.
    expect(() => openDb("postgres://x/y")).toThrow(/postgres:\/\/ databases are not supported here: this opens a SQLite file/);
    expect(fs.existsSync("postgres:")).toBe(false);
  });
});

describe("childProcessEnv (security round 2)", () => {
  it("passes the allow-list to workers and trainers and never a secret", () => {
    const env = childProcessEnv(
      { PYTHONPATH: "/t" },
      {
        PATH: "/usr/bin",
        HOME: "/root",
        LANG: "C.UTF-8",
        HF_HOME: "/hf",
        HF_TOKEN: "hf_abc",
        CUDA_VISIBLE_DEVICES: "0",
        TORCH_HOME: "/torch",
        ARBITER_TRAIN_NPROC: "2",
        NEXTAUTH_SECRET: "s3cret",
        OPENAI_API_KEY: "sk-1",
        ARBITER_PSEUDONYM_KEY: "pk",
        ARBITER_ADMIN_PASSWORD: "pw",
        ARBITER_API_KEY: "k",
        AWS_SECRET_ACCESS_KEY: "aws",
        DATABASE_URL: "postgres://u:p@h/d",
        NODE_OPTIONS: "--inspect",
      },
    );
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/root",
      LANG: "C.UTF-8",
      HF_HOME: "/hf",
      HF_TOKEN: "hf_abc",
      CUDA_VISIBLE_DEVICES: "0",
      TORCH_HOME: "/torch",
      ARBITER_TRAIN_NPROC: "2",
      PYTHONPATH: "/t",
    });
  });

  it("is what the trainer, scoring and generation workers are spawned with", () => {
    for (const file of ["server/jobs/runner.ts", "server/jobs/scoring.ts", "server/jobs/doctor.ts", "server/generation/worker-pool.ts"]) {
      const src = fs.readFileSync(file, "utf8");
      expect(src, file).not.toMatch(/\.\.\.process\.env/);
      for (const call of src.match(/spawn\([^;]*?\{[\s\S]*?\}\s*\)/g) ?? []) expect(call, file).toMatch(/env: childProcessEnv\(/);
    }
  });
});
