/**
 * Crash safety at the HTTP level (#8.4): the real server process (server/main.ts, API-only mode)
 * serves several annotators judging over tRPC with idempotent client submission ids; it is killed
 * with SIGKILL mid-run and restarted on the same database file. The annotators retry what was never
 * answered; then every acknowledged judgment must be stored exactly once, nothing stored may be
 * unacknowledged after the retries, and the leases the dead server had handed out must return to
 * the pool once they expire (the test moves their deadlines into the past instead of waiting).
 */
import net from "node:net";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "@/db/schema";
import { openDb } from "@/server/db";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
import { freePort, killHard, request, sessionCookie, startApiServer, stopServer, type TestServer } from "@/server/testing/http-server";

const ITEMS = 150;
const WORKERS = 6;
const KILL_AFTER = 60; // acknowledged judgments before the kill

type Lease = { status: "item"; item: { assignmentId: number } } | { status: "empty" };
type Annotator = { userId: number; cookie: string; lease: Lease | null; pending: { id: string; body: string } | null; n: number };

function trpcData<T>(body: string): T {
  return (JSON.parse(body) as { result: { data: T } }).result.data;
}

async function next(port: number, a: Annotator, projectId: number): Promise<void> {
  // annotate.next leases: a mutation, POSTed.
  const r = await request(port, "POST", "/api/trpc/annotate.next", { body: JSON.stringify({ projectId }), headers: { cookie: a.cookie } });
  if (r.status !== 200) throw new Error(`annotate.next: ${r.status} ${r.body}`);
  a.lease = trpcData<{ lease: Lease }>(r.body).lease;
}

function submission(a: Annotator, projectId: number): { id: string; body: string } | null {
  if (a.lease?.status !== "item") return null;
  const id = `http-crash-${a.userId}-${a.n++}`;
  const body = JSON.stringify({
    projectId,
    submission: { assignmentId: a.lease.item.assignmentId, clientSubmissionId: id, outcome: "tie" },
  });
  return { id, body };
}

describe("the HTTP server killed with SIGKILL mid-run", () => {
  let server: TestServer | null = null;
  afterAll(async () => {
    if (server) await stopServer(server);
  });

  it("loses no acknowledged judgment, stores none twice, and returns the dead server's leases to the pool", async () => {
    const file = `${tempDir("arbiter-http-crash-")}/crash.db`;
    const db = openDb(file);
    const project = seedProject(db, ITEMS, { overlap: 1, leaseSeconds: 60 });
    const annotators: Annotator[] = await Promise.all(
      Array.from({ length: WORKERS + 1 }, async (_, i) => {
        const userId = addAnnotator(db, `http-${i}`);
        return { userId, cookie: await sessionCookie(userId, "annotator"), lease: null, pending: null, n: 0 };
      }),
    );
    db.$client.close();
    const workers = annotators.slice(0, WORKERS);
    const rescuer = annotators[WORKERS] as Annotator;
    const acknowledged = new Set<string>();

    // 1. Load, then SIGKILL once KILL_AFTER judgments were acknowledged; requests in flight are cut.
    const first = await startApiServer(file, await freePort());
    server = first;
    let killed: Promise<void> | null = null;
    let walkedAway: Annotator | null = null; // the one whose answer triggered the kill: it never comes back
    for (const w of workers) await next(first.port, w, project.id);
    await Promise.all(
      workers.map(async (w) => {
        while (!killed) {
          w.pending = submission(w, project.id);
          if (!w.pending) return;
          const r = await request(first.port, "POST", "/api/trpc/annotate.submit", {
            body: w.pending.body,
            headers: { cookie: w.cookie },
          }).catch(() => null);
          if (!r) return; // the connection died with the server: the answer never came
          expect(r.status, r.body).toBe(200);
          acknowledged.add(w.pending.id);
          w.pending = null;
          w.lease = trpcData<{ lease: Lease }>(r.body).lease;
          if (acknowledged.size >= KILL_AFTER && !killed) {
            walkedAway = w;
            killed = killHard(first);
          }
        }
      }),
    );
    await killed;
    expect(first.child.signalCode).toBe("SIGKILL");
    const acknowledgedBeforeKill = acknowledged.size;
    expect(acknowledgedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER);

    // 2. While the server is down its leases run out (deadlines moved into the past, not waited for).
    const raw = new Database(file);
    const heldAtKill = raw.prepare("SELECT id, item_id AS itemId, user_id AS userId FROM assignments WHERE state = 'active'").all() as {
      id: number;
      itemId: number;
      userId: number;
    }[];
    expect(heldAtKill.length).toBeGreaterThan(0);
    raw.prepare("UPDATE assignments SET deadline = ? WHERE state = 'active'").run(Date.now() - 1000);
    raw.close();

    // 3. Restart on the same file; every annotator retries its unanswered submit with the same id.
    const second = await startApiServer(file, await freePort());
    server = second;
    const retried = workers.filter((w) => w.pending);
    expect(retried.length).toBeGreaterThan(0); // the others had a submit in flight when the server died
    for (const w of retried) {
      const pending = w.pending as { id: string; body: string };
      const r = await request(second.port, "POST", "/api/trpc/annotate.submit", { body: pending.body, headers: { cookie: w.cookie } });
      if (r.status === 200) {
        acknowledged.add(pending.id);
        w.lease = trpcData<{ lease: Lease }>(r.body).lease;
      } else {
        // Its lease ran out and the slot went to someone else first: refused, so never stored (checked below).
        expect(r.status, r.body).toBe(409);
        expect(JSON.parse(r.body).error.data.appCode).toBe("LEASE_EXPIRED");
        await next(second.port, w, project.id);
      }
      w.pending = null;
    }

    // 4. The one who triggered the kill walked away for good; everyone else, and a newcomer, judge
    //    until the queue is empty (a lease that ran out while the server was down may have gone to
    //    someone else meanwhile: that submit is refused and the annotator takes the next item).
    const gone = walkedAway as Annotator | null;
    if (!gone) throw new Error("no worker triggered the kill");
    const remaining = [rescuer, ...workers.filter((w) => w !== gone)];
    await next(second.port, rescuer, project.id);
    await Promise.all(
      remaining.map(async (a) => {
        for (;;) {
          const s = submission(a, project.id);
          if (!s) return;
          const r = await request(second.port, "POST", "/api/trpc/annotate.submit", { body: s.body, headers: { cookie: a.cookie } });
          if (r.status === 409 && JSON.parse(r.body).error.data.appCode === "LEASE_EXPIRED") {
            await next(second.port, a, project.id);
            continue;
          }
          expect(r.status, r.body).toBe(200);
          acknowledged.add(s.id);
          a.lease = trpcData<{ lease: Lease }>(r.body).lease;
        }
      }),
    );
    await stopServer(second);
    server = null;

    const after = new Database(file, { readonly: true });
    const stored = (after.prepare("SELECT client_submission_id AS id FROM judgments").all() as { id: string }[]).map((r) => r.id);
    const perItem = after
      .prepare("SELECT i.id, count(j.id) AS n FROM items i LEFT JOIN judgments j ON j.item_id = i.id GROUP BY i.id")
      .all() as {
      id: number;
      n: number;
    }[];
    const leaseStates = new Map(
      (after.prepare("SELECT id, state FROM assignments").all() as { id: number; state: string }[]).map((r) => [r.id, r.state]),
    );
    const judgedBy = new Map(
      (after.prepare("SELECT item_id AS itemId, annotator_id AS userId FROM judgments").all() as { itemId: number; userId: number }[]).map(
        (r) => [r.itemId, r.userId],
      ),
    );
    after.close();

    // Every acknowledged judgment is stored, once; nothing is stored that nobody acknowledged.
    expect(new Set(stored).size).toBe(stored.length);
    expect([...acknowledged].filter((id) => !stored.includes(id))).toEqual([]);
    expect(stored.filter((id) => !acknowledged.has(id))).toEqual([]);
    // Every item got exactly its one judgment: the dead server's leases went back to the pool.
    expect(perItem).toHaveLength(ITEMS);
    expect(perItem.filter((i) => i.n !== 1)).toEqual([]);
    for (const lease of heldAtKill) expect(["expired", "submitted"]).toContain(leaseStates.get(lease.id));
    // The walked-away worker's lease expired and its item was judged by someone else.
    const abandoned = heldAtKill.filter((l) => l.userId === gone.userId);
    expect(abandoned).toHaveLength(1);
    for (const l of abandoned) {
      expect(leaseStates.get(l.id)).toBe("expired");
      expect(judgedBy.get(l.itemId)).not.toBe(l.userId);
    }
  }, 120_000);
});

describe("server/main.ts's own endpoints, as every role", () => {
  let server: TestServer;
  const cookies = new Map<Role, string>();
  beforeAll(async () => {
    const file = `${tempDir("arbiter-http-roles-")}/roles.db`;
    const db = openDb(file);
    for (const role of ["annotator", "admin", "researcher"] as const) {
      const id = addAnnotator(db, `main-${role}`);
      db.$client.prepare("UPDATE users SET role = ? WHERE id = ?").run(role, id);
      cookies.set(role, await sessionCookie(id, role));
    }
    db.$client.close();
    server = await startApiServer(file, await freePort());
  }, 60_000);
  afterAll(async () => {
    await stopServer(server);
  });

  const ROLES = [null, "annotator", "admin", "researcher"] as const;
  const headersFor = (role: Role | null): Record<string, string> => {
    const cookie = role ? cookies.get(role) : undefined;
    return cookie ? { cookie } : {};
  };

  it("/api/health answers everyone; /api/trpc/* needs a session; unknown /api paths are 404", async () => {
    for (const role of ROLES) {
      const headers = headersFor(role);
      expect((await request(server.port, "GET", "/api/health", { headers })).status).toBe(200);
      const whoami = await request(server.port, "GET", "/api/trpc/me.whoami", { headers });
      expect(whoami.status, `me.whoami as ${role}`).toBe(role ? 200 : 401);
      if (role) expect(trpcData<{ role: string }>(whoami.body).role).toBe(role);
      const audit = await request(server.port, "GET", "/api/trpc/audit.list?input=%7B%7D", { headers });
      expect(audit.status, `audit.list as ${role}`).toBe(role === null ? 401 : role === "annotator" ? 403 : 200);
      expect((await request(server.port, "GET", "/api/not-an-endpoint", { headers })).status).toBe(404);
    }
  });

  it("the route table is enforced before Next: exports refuse anonymous callers and annotators", async () => {
    const status = async (role: Role | null) => (await request(server.port, "GET", "/api/exports/1", { headers: headersFor(role) })).status;
    expect(await status(null)).toBe(401);
    expect(await status("annotator")).toBe(403);
    // Spelled differently, it is still the same endpoint.
    for (const path of ["//api/exports/1", "/%61pi/exports/1", "/api/./exports/1?x=1"]) {
      expect((await request(server.port, "GET", path)).status, path).toBe(401);
    }
    // Staff pass the gate; in API-only mode there is no Next behind it to serve the file.
    expect(await status("admin")).toBe(404);
    expect(await status("researcher")).toBe(404);
  });

  it("refuses cross-site writes on every path, next-auth's included, and lets same-site ones through", async () => {
    const cookie = cookies.get("annotator") as string;
    const body = JSON.stringify({ projectId: 1, assignmentId: 1 });
    for (const path of ["/api/trpc/annotate.skip", "/api/auth/callback/credentials", "/api/auth/signout"]) {
      const r = await request(server.port, "POST", path, { body, headers: { cookie, origin: "https://evil.example" } });
      expect(r.status, path).toBe(403);
      expect(r.body).toContain("cross-site");
    }
    const same = await request(server.port, "POST", "/api/trpc/annotate.skip", {
      body,
      headers: { cookie, origin: `http://localhost:${server.port}`, host: `localhost:${server.port}` },
    });
    expect(same.status).toBe(404); // reached the procedure: there is no assignment 1
    // Behind a proxy that rewrites Host, the public origin (NEXTAUTH_URL) is still same-site.
    const proxied = await request(server.port, "POST", "/api/trpc/annotate.skip", {
      body,
      headers: { cookie, origin: `http://localhost:${server.port}`, host: "10.0.0.5:8080" },
    });
    expect(proxied.status).toBe(404);
  });

  it("only admins may send a body over 8 MB: the role is checked before the body is read", async () => {
    // Announce 100 MB, send none of it: the answer must come anyway, from the headers alone.
    const statusFor = (role: Role | null) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(server.port, "127.0.0.1");
        const cookie = role ? `cookie: ${cookies.get(role)}\r\n` : "";
        socket.on("error", reject);
        socket.setEncoding("utf8");
        let answer = "";
        socket.on("data", (d) => {
          answer += d;
          if (answer.includes("\r\n")) {
            resolve(answer.slice(0, answer.indexOf("\r\n")));
            socket.destroy();
          }
        });
        socket.write(
          `POST /api/trpc/projects.import HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\n${cookie}content-type: multipart/form-data; boundary=x\r\ncontent-length: ${100 * 2 ** 20}\r\n\r\n`,
        );
      });
    expect(await statusFor(null)).toBe("HTTP/1.1 401 Unauthorized");
    expect(await statusFor("annotator")).toBe("HTTP/1.1 413 Payload Too Large");
    expect(await statusFor("researcher")).toBe("HTTP/1.1 413 Payload Too Large");
    // An admin's 9 MB upload is read and reaches the procedure (which finds no project 999).
    const boundary = "arbiter-test-boundary";
    const part = (name: string, value: string, file = "") =>
      `--${boundary}\r\ncontent-disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ""}\r\n\r\n${value}\r\n`;
    const line = `${JSON.stringify({ id: "x", prompt: "p", responses: [{ model: "m", text: "a".repeat(1000) }] })}\n`;
    const body = `${part("projectId", "999")}${part("format", "arbiter")}${part("file", line.repeat(9 * 1024), "big.jsonl")}--${boundary}--\r\n`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(9 * 2 ** 20);
    const r = await request(server.port, "POST", "/api/trpc/projects.import", {
      body,
      headers: { cookie: cookies.get("admin") as string, "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    expect(r.status, r.body).toBe(404);
    expect(r.body).toContain("999");
  });

  it("API answers carry the security headers (CSP, no framing, no sniffing)", async () => {
    const r = await request(server.port, "GET", "/api/trpc/me.whoami", { headers: headersFor("admin") });
    expect(r.headers["strict-transport-security"]).toBeUndefined(); // plain http here: HSTS would be a lie
    expect(r.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(r.headers["content-security-policy"]).toContain("script-src 'none'"); // JSON runs no script
    expect(r.headers["x-frame-options"]).toBe("DENY");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
  });
});

describe("a server whose public URL is https", () => {
  it("sends HSTS on every answer", async () => {
    const file = `${tempDir("arbiter-http-hsts-")}/hsts.db`;
    openDb(file).$client.close();
    const server = await startApiServer(file, await freePort(), { NEXTAUTH_URL: "https://arbiter.example.org" });
    try {
      for (const path of ["/api/health", "/api/trpc/me.whoami", "/api/nothing"]) {
        const r = await request(server.port, "GET", path);
        expect(r.headers["strict-transport-security"], path).toBe("max-age=63072000; includeSubDomains");
      }
    } finally {
      await stopServer(server);
    }
  }, 60_000);
});
