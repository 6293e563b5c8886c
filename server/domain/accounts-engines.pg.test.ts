/**
 * Accounts, sessions, the sign-in throttle, membership, the audit listing and browser import runs are
 * written once and must behave the same on both engines: the same calls on a seeded SQLite file and
 * on its PostgreSQL copy give the same answers, the same errors and the same rows. Then the checks
 * that only several instances on one PostgreSQL database can break: parallel password guesses from
 * two pools are each counted before the next is checked (no more than MAX_FAILURES tried), and two
 * instances creating one group, one email or using one invite at once leave exactly one of each.
 */
import fs from "node:fs";
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { annotatorGroups, auditEvents, invites, projectMembers, projects, users } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import type { Db } from "@/server/db";
import { openPg, type PgDb } from "@/server/db-pg";
import { expectSameOnBoth, type Twins, twinDatabases } from "@/server/testing/engines";
import { addAnnotator, pairItem, seedProject, writeJsonl } from "@/server/testing/fixtures";
import { acceptInvite, createInvite, describeInvite, listUsers, setUserDisabled, setUserRole } from "./accounts";
import { listAuditEvents } from "./audit";
import { isAppError } from "./errors";
import { getImportRun, type ImportRun, startImportRun } from "./import/import-runs";
import { checkLoginLock, isLoginLocked, MAX_FAILURES, MAX_FAILURES_PER_ADDRESS, WINDOW_S } from "./login-throttle";
import {
  assertProjectAccess,
  canAccessProject,
  createGroup,
  getMyProfile,
  getProjectAccess,
  listGroups,
  listProjectMembers,
  setMyAttributes,
  setProjectAccess,
  setUserGroup,
  updateProjectMembers,
} from "./membership";
import { hashPassword } from "./passwords";
import { createUser, getSessionUser, revokeSessions, signInWithPassword, verifyCredentials } from "./users";

const PASSWORD = "tidal-orchid-42";
const NOW = 1_800_000_000;

type Seed = {
  admin: number;
  researcher: number;
  ann: number[];
  external: number;
  disabled: number;
  open: number;
  closed: number;
  grouped: number;
  inviteToken: string;
  usedToken: string;
  expiredToken: string;
};

function seedWith(passwordHash: string) {
  return (db: Db): Seed => {
    const person = (email: string, role: "admin" | "researcher" | "annotator", extra: Partial<typeof users.$inferInsert> = {}) =>
      db
        .insert(users)
        .values({ email, name: email.split("@")[0] as string, role, passwordHash, ...extra })
        .returning({ id: users.id })
        .get().id;
    const admin = person("boss@test.local", "admin");
    const researcher = person("res@test.local", "researcher");
    // Emails that sort differently by code point and by a natural-language collation.
    const ann = ["ab@test.local", "a.b@test.local", "a-c@test.local", "zed@test.local"].map((e) => person(e, "annotator"));
    const external = db.insert(users).values({ name: "judge-x", role: "annotator", external: true }).returning({ id: users.id }).get().id;
    const disabled = person("gone@test.local", "annotator", { disabledAt: NOW - 10 });
    addAnnotator(db, "plain"); // no password
    const open = seedProject(db, 2, { name: "open" }).id;
    const closed = seedProject(db, 2, { name: "closed" }).id;
    const grouped = seedProject(db, 2, { name: "grouped" }).id;
    for (const name of ["zh-native", "Zeta", "alpha", "a.b", "ab", "a-c"])
      createGroup(db, { name, description: `the ${name} group`, actorId: admin });
    setUserGroup(db, { userId: ann[0] as number, group: "zh-native", actorId: admin });
    setUserGroup(db, { userId: ann[1] as number, group: "Zeta", actorId: admin });
    setProjectAccess(db, { projectId: closed, access: "members", actorId: admin });
    setProjectAccess(db, { projectId: grouped, access: "open", requiredGroup: "zh-native", actorId: admin });
    updateProjectMembers(db, { projectId: closed, add: ["zed@test.local", "a.b@test.local", "ab@test.local"], actorId: admin });
    const inviteToken = createInvite(db, { role: "annotator", email: "new@test.local" }, admin, NOW).token;
    const usedToken = createInvite(db, { role: "researcher" }, admin, NOW).token;
    db.update(invites).set({ usedAt: NOW }).where(eq(invites.role, "researcher")).run();
    const expiredToken = createInvite(db, { role: "annotator", expiresInHours: 1 }, admin, NOW - 7200).token;
    // Sign-in history for the throttle: failures by email and by address, one success, one older than the window.
    const event = (action: string, detail: Record<string, unknown>, at: number) =>
      db.insert(auditEvents).values({ action, detail, createdAt: at }).run();
    for (let i = 0; i < MAX_FAILURES; i++) event("auth.login_failed", { email: "ab@test.local", ip: "198.51.100.1" }, NOW - 100 + i);
    for (let i = 0; i < MAX_FAILURES; i++) event("auth.login_failed", { email: "zed@test.local", ip: null }, NOW - 100);
    event("auth.login", { email: "zed@test.local", ip: null }, NOW - 50);
    for (let i = 0; i < MAX_FAILURES; i++) event("auth.login_failed", { email: "a-c@test.local" }, NOW - WINDOW_S - 1);
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++)
      event("auth.login_failed", { email: `spray-${i}@x.org`, ip: "203.0.113.9" }, NOW - 10);
    return { admin, researcher, ann, external, disabled, open, closed, grouped, inviteToken, usedToken, expiredToken };
  };
}

let t: Twins<Seed>;
let s: Seed;

beforeAll(async () => {
  t = await twinDatabases("accounts", seedWith(await hashPassword(PASSWORD)));
  s = t.seed;
  // As in a database created with a natural-language collation (en_US and the like), where ORDER BY
  // text differs from SQLite's code point order. Before any statement is prepared on the pool.
  await t.pg.execute(sql`ALTER TABLE annotator_groups ALTER COLUMN name TYPE text COLLATE "en-US-x-icu"`);
  await t.pg.execute(sql`ALTER TABLE users ALTER COLUMN email TYPE text COLLATE "en-US-x-icu"`);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

/** A call's answer, or its error as code and message (the same on both engines). */
async function outcome<T>(f: () => T | Promise<T>): Promise<T | { error: string; message: string }> {
  try {
    return await f();
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { error: e.code, message: e.message };
  }
}

/** Runs `f` on SQLite, then on PostgreSQL; expects the same outcome; returns it. */
async function same<T>(f: (db: AnyDb) => T | Promise<T>): Promise<T | { error: string; message: string }> {
  const lite = await outcome(() => f(t.lite));
  const pg = await outcome(() => f(t.pg));
  expectSameOnBoth(pg, lite);
  return lite;
}

/** The rows the functions under test write, without times, hashes and audit ids. */
async function rows(db: AnyDb) {
  return runOp(db, function* (c) {
    const u = yield* c.all(
      c.q
        .select({
          id: users.id,
          email: users.email,
          name: users.name,
          role: users.role,
          external: users.external,
          disabled: sql<number>`${users.disabledAt} is not null`.mapWith(Boolean),
          sessionVersion: users.sessionVersion,
          groupId: users.groupId,
          language: users.language,
          expertise: users.expertise,
          region: users.region,
        })
        .from(users)
        .orderBy(asc(users.id)),
    );
    const inv = yield* c.all(
      c.q
        .select({ id: invites.id, role: invites.role, email: invites.email, used: invites.usedAt, usedBy: invites.usedBy })
        .from(invites)
        .orderBy(asc(invites.id)),
    );
    const groups = yield* c.all(c.q.select().from(annotatorGroups).orderBy(asc(annotatorGroups.id)));
    const members = yield* c.all(
      c.q
        .select({ projectId: projectMembers.projectId, userId: projectMembers.userId, addedBy: projectMembers.addedBy })
        .from(projectMembers)
        .orderBy(asc(projectMembers.projectId), asc(projectMembers.userId)),
    );
    const access = yield* c.all(
      c.q
        .select({ id: projects.id, access: projects.access, requiredGroupId: projects.requiredGroupId })
        .from(projects)
        .orderBy(asc(projects.id)),
    );
    const audit = yield* c.all(
      c.q
        .select({ action: auditEvents.action, actorId: auditEvents.actorId, projectId: auditEvents.projectId, detail: auditEvents.detail })
        .from(auditEvents)
        .orderBy(asc(auditEvents.id)),
    );
    return {
      users: u,
      invites: inv,
      groups: groups.map(({ createdAt: _, ...g }) => g),
      members,
      access,
      audit: audit.map((a) => ({ ...a, detail: { ...a.detail, ...("expiresAt" in a.detail ? { expiresAt: "…" } : {}) } })),
    };
  });
}

describe("reads on SQLite and PostgreSQL", () => {
  it("sessions, credentials and the user list", async () => {
    for (const [id, version] of [
      [s.admin, 0],
      [s.admin, 1],
      [s.disabled, 0],
      [s.external, 0],
      [999, 0],
    ] as const) {
      await same((db) => getSessionUser(db, id, version));
    }
    expect(await same((db) => getSessionUser(db, s.ann[0] as number))).toMatchObject({ email: "ab@test.local", role: "annotator" });
    expect(await same((db) => verifyCredentials(db, " AB@test.local", PASSWORD))).toMatchObject({ id: s.ann[0] });
    for (const [email, password] of [
      ["ab@test.local", "wrong-guess-1"],
      ["gone@test.local", PASSWORD],
      ["nobody@test.local", PASSWORD],
      ["plain@test.local", PASSWORD],
    ] as const) {
      expect(await same((db) => verifyCredentials(db, email, password))).toBeNull();
    }
    const list = await same((db) => listUsers(db));
    expect(Array.isArray(list) && list.map((u) => [u.email, u.disabled])).toContainEqual(["gone@test.local", true]);
  });

  it("invites as the invite page shows them", async () => {
    expect(await same((db) => describeInvite(db, s.inviteToken, NOW))).toMatchObject({ role: "annotator", email: "new@test.local" });
    expect(await same((db) => describeInvite(db, s.usedToken, NOW))).toMatchObject({ error: "CONFLICT" });
    expect(await same((db) => describeInvite(db, s.expiredToken, NOW))).toMatchObject({ error: "CONFLICT" });
    expect(await same((db) => describeInvite(db, "not-a-token-at-all", NOW))).toMatchObject({ error: "NOT_FOUND" });
  });

  it("the throttle counts failures from the JSON detail alike (by email, by address, reset by a success, within the window)", async () => {
    const cases = [
      { email: "ab@test.local" },
      { email: " AB@test.local " },
      { email: "zed@test.local" },
      { email: "a-c@test.local" },
      { email: "victim@x.org", ip: "203.0.113.9" },
      { email: "victim@x.org", ip: "198.51.100.1" },
      { email: "victim@x.org", ip: null },
    ];
    const locks = [];
    for (const p of cases) locks.push(await same((db) => checkLoginLock(db, p, NOW)));
    expect(locks).toEqual([
      { locked: true, by: "account" },
      { locked: true, by: "account" },
      { locked: false },
      { locked: false },
      { locked: true, by: "address" },
      { locked: false },
      { locked: false },
    ]);
    expect(await same((db) => isLoginLocked(db, "ab@test.local", NOW + WINDOW_S))).toBe(false);
  });

  it("project access for every role, membership and required group", async () => {
    const who = [
      { id: s.admin, role: "admin" as const },
      { id: s.researcher, role: "researcher" as const },
      ...s.ann.map((id) => ({ id, role: "annotator" as const })),
    ];
    const seen = [];
    for (const user of who) {
      for (const projectId of [s.open, s.closed, s.grouped, 999]) {
        seen.push(await same((db) => canAccessProject(db, user, projectId)));
        await same((db) => assertProjectAccess(db, user, projectId));
      }
    }
    // ab (zh-native, member), a.b (Zeta, member), a-c (no group, no member), zed (member).
    expect(seen.slice(8)).toEqual([true, true, true, false, true, true, false, false, true, false, false, false, true, true, false, false]);
  });

  it("groups, members and profiles in the same order, also where the database's collation is not code point order", async () => {
    const natural = await t.pg.execute<{ name: string }>(sql`SELECT name FROM annotator_groups ORDER BY name`);
    const groups = await same((db) => listGroups(db));
    expect(Array.isArray(groups) && groups.map((g) => [g.name, g.members])).toEqual([
      ["Zeta", 1],
      ["a-c", 0],
      ["a.b", 0],
      ["ab", 0],
      ["alpha", 0],
      ["zh-native", 1],
    ]);
    expect(natural.rows.map((r) => r.name)).not.toEqual(Array.isArray(groups) && groups.map((g) => g.name)); // the trap is real
    const members = await same((db) => listProjectMembers(db, s.closed));
    expect(Array.isArray(members) && members.map((m) => [m.email, m.group])).toEqual([
      ["a.b@test.local", "Zeta"],
      ["ab@test.local", "zh-native"],
      ["zed@test.local", null],
    ]);
    for (const projectId of [s.open, s.closed, s.grouped, 999]) await same((db) => getProjectAccess(db, projectId));
    for (const id of [s.ann[0] as number, s.ann[2] as number, 999]) await same((db) => getMyProfile(db, id));
  });

  it("the audit log: pages, action prefixes (any ASCII case, wildcards literal) and people named", async () => {
    const all = await same((db) => listAuditEvents(db, { limit: 500 }));
    if (!Array.isArray(all)) throw new Error("no audit rows");
    expect(all.length).toBeGreaterThan(MAX_FAILURES_PER_ADDRESS);
    expect(all.find((r) => r.action === "project.members")?.detail).toEqual({
      added: ["a.b@test.local", "ab@test.local", "zed@test.local"],
      removed: [],
      group: null,
    });
    const page1 = await same((db) => listAuditEvents(db, { limit: 7, actionPrefix: "user." }));
    if (!Array.isArray(page1)) throw new Error("no page");
    expect(page1.map((r) => r.action)).toEqual(["user.invite", "user.invite", "user.invite", "user.group", "user.group"]);
    await same((db) => listAuditEvents(db, { limit: 3, beforeId: page1[2]?.id }));
    for (const actionPrefix of ["AUTH.", "auth.login_", "auth.login%", "Group", "project\\", "_", ""]) {
      await same((db) => listAuditEvents(db, { limit: 500, actionPrefix }));
    }
    const upper = await same((db) => listAuditEvents(db, { limit: 500, actionPrefix: "AUTH.LOGIN" }));
    expect(Array.isArray(upper) && upper.length).toBe(3 * MAX_FAILURES + 1 + MAX_FAILURES_PER_ADDRESS);
    // Wildcards are taken out, not matched: "auth_" is the prefix "auth".
    expect(await same((db) => listAuditEvents(db, { limit: 500, actionPrefix: "auth_" }))).toEqual(upper);
  });
});

describe("writes on SQLite and PostgreSQL", () => {
  it("accounts, invites, roles, disabling, sessions, groups, attributes, members and access leave the same rows", async () => {
    await same(async (db) => (await createUser(db, { email: " New.Person@Test.local", password: PASSWORD, role: "annotator" })).email);
    await same((db) => createUser(db, { email: "new.person@test.local", password: PASSWORD, role: "annotator" }));
    await same((db) => createUser(db, { email: "weak@test.local", password: "password", role: "annotator" }));
    await same(async (db) => {
      const { token: _, ...rest } = await createInvite(db, { role: "researcher", email: "r2@test.local" }, s.admin, NOW);
      return rest;
    });
    await same((db) => acceptInvite(db, { token: s.inviteToken, email: "someone@test.local", password: PASSWORD }, NOW));
    await same((db) =>
      acceptInvite(db, { token: s.inviteToken, email: "NEW@test.local", password: "violet tractor sings", name: "Newt" }, NOW),
    );
    await same((db) => acceptInvite(db, { token: s.inviteToken, email: "new@test.local", password: "violet tractor sings" }, NOW));
    await same((db) => acceptInvite(db, { token: s.usedToken, email: "x@test.local", password: "violet tractor sings" }, NOW));
    await same((db) => setUserRole(db, s.admin, s.ann[3] as number, "researcher"));
    await same((db) => setUserRole(db, s.admin, s.admin, "annotator"));
    await same((db) => setUserRole(db, s.admin, s.external, "admin"));
    await same((db) => setUserDisabled(db, s.admin, s.ann[2] as number, true, NOW));
    await same((db) => setUserDisabled(db, s.admin, s.ann[2] as number, false, NOW));
    await same((db) => revokeSessions(db, { userId: s.researcher, reason: "sign-out" }));
    await same((db) => revokeSessions(db, { userId: 999, reason: "sign-out" }));
    await same((db) => getSessionUser(db, s.researcher, 1));
    await same((db) => createGroup(db, { name: "medical", description: "  doctors  ", actorId: s.admin }));
    await same((db) => createGroup(db, { name: "medical", actorId: s.admin }));
    await same((db) => createGroup(db, { name: "  " }));
    await same((db) => setUserGroup(db, { userId: s.ann[2] as number, group: "medical", actorId: s.admin }));
    await same((db) => setUserGroup(db, { userId: s.ann[2] as number, group: "medical", actorId: s.admin }));
    await same((db) => setUserGroup(db, { userId: s.ann[0] as number, group: null, actorId: s.admin }));
    await same((db) => setUserGroup(db, { userId: s.ann[0] as number, group: "nope" }));
    await same((db) => setUserGroup(db, { userId: 999, group: null }));
    await same((db) => setMyAttributes(db, s.ann[1] as number, { language: " de ", expertise: "law", region: null }));
    await same((db) => setMyAttributes(db, s.ann[1] as number, { language: "" }));
    await same((db) => setMyAttributes(db, s.ann[1] as number, {}));
    await same((db) =>
      updateProjectMembers(db, { projectId: s.closed, add: [" A-C@test.local"], remove: ["zed@test.local"], actorId: s.admin }),
    );
    await same((db) => updateProjectMembers(db, { projectId: s.open, group: "medical", actorId: s.admin }));
    await same((db) =>
      updateProjectMembers(db, { projectId: s.open, add: ["ab@test.local", "a.b@test.local"], group: "Zeta", actorId: s.admin }),
    );
    await same((db) => updateProjectMembers(db, { projectId: s.closed, add: ["nobody@test.local", "judge-x"] }));
    await same((db) => updateProjectMembers(db, { projectId: 999, add: ["ab@test.local"] }));
    await same((db) => setProjectAccess(db, { projectId: s.open, access: "members", requiredGroup: "medical", actorId: s.admin }));
    await same((db) => setProjectAccess(db, { projectId: s.open, access: "open", requiredGroup: "nope" }));
    await same((db) => setProjectAccess(db, { projectId: 999, access: "open" }));
    expectSameOnBoth(await rows(t.pg), await rows(t.lite));
  });

  it("sign-ins: the same outcomes, session versions and audit events", async () => {
    const attempts: { email: string; password: string; ip?: string | null; demoMode?: boolean }[] = [
      { email: "res@test.local", password: PASSWORD, ip: "192.0.2.1" },
      { email: " RES@test.local", password: "wrong-guess-1", ip: "192.0.2.1" },
      { email: "res@test.local", password: "demo-research-pass", ip: "192.0.2.1" },
      { email: "res@test.local", password: "demo-research-pass", ip: "192.0.2.1", demoMode: true },
      { email: "ab@test.local", password: PASSWORD }, // the seeded failures lie ahead of the clock: locked
      { email: "victim@x.org", password: PASSWORD, ip: "203.0.113.9" },
      { email: "gone@test.local", password: PASSWORD },
      { email: "nobody@test.local", password: PASSWORD },
    ];
    const lastId = async (db: AnyDb) =>
      (await runOp(db, (c) => c.first(c.q.select({ id: sql<number>`max(${auditEvents.id})` }).from(auditEvents))))?.id ?? 0;
    const before = { lite: await lastId(t.lite), pg: await lastId(t.pg) };
    const results = [];
    for (const a of attempts) results.push(await same((db) => signInWithPassword(db, a)));
    expect(results.map((r) => ("ok" in r ? (r.ok ? "ok" : r.reason) : r.error))).toEqual([
      "ok",
      "invalid",
      "demo",
      "invalid",
      "locked",
      "locked",
      "invalid",
      "invalid",
    ]);
    const signInRows = async (db: AnyDb, after: number) =>
      runOp(db, (c) =>
        c.all(
          c.q
            .select({ action: auditEvents.action, actorId: auditEvents.actorId, detail: auditEvents.detail })
            .from(auditEvents)
            .where(and(inArray(auditEvents.action, ["auth.login", "auth.login_failed", "auth.login_locked"]), gt(auditEvents.id, after)))
            .orderBy(asc(auditEvents.id)),
        ),
      );
    const pgRows = await signInRows(t.pg, before.pg);
    expectSameOnBoth(pgRows, await signInRows(t.lite, before.lite));
    expect(pgRows.map((r) => r.action)).toEqual([
      "auth.login",
      "auth.login_failed",
      "auth.login_failed",
      "auth.login_failed",
      "auth.login_locked",
      "auth.login_locked",
      "auth.login_failed",
      "auth.login_failed",
    ]);
    expect(pgRows[0]).toEqual({ action: "auth.login", actorId: s.researcher, detail: { email: "res@test.local", ip: "192.0.2.1" } });
    expect(pgRows[2]?.detail).toEqual({ email: "res@test.local", ip: "192.0.2.1", reason: "demo password" });
  });

  it("browser import runs: the same results and the same refusal in the audit log", async () => {
    const runOn = async (db: AnyDb, projectId: number, file: string): Promise<ImportRun> => {
      const run = startImportRun(db, { projectId, file, fileName: "upload.jsonl", totalBytes: fs.statSync(file).size, format: "arbiter" });
      for (;;) {
        const now = getImportRun(projectId, run.id);
        if (now.phase === "done" || now.phase === "failed") return now;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const good = writeJsonl([pairItem(100), pairItem(101)]);
    const bad = writeJsonl([pairItem(102), "{ not json", pairItem(0)]);
    for (const file of [good, bad, good]) {
      const { id: _l, ...lite } = await runOn(t.lite, s.grouped, file);
      const { id: _p, ...pg } = await runOn(t.pg, s.grouped, file);
      expectSameOnBoth(pg, lite);
    }
    expect(await same((db) => listAuditEvents(db, { limit: 2, actionPrefix: "project.import" }))).toMatchObject([
      { action: "project.import_failed" },
      { action: "project.import_failed" },
    ]);
  });
});

/** How many audit events of each action name `email` (PostgreSQL). */
function eventsByAction(db: PgDb, email: string) {
  return runOp(db, (c) =>
    c.all(
      c.q
        .select({ action: auditEvents.action, n: sql<number>`count(*)` })
        .from(auditEvents)
        .where(sql`${auditEvents.detail}::json ->> 'email' = ${email}`)
        .groupBy(auditEvents.action)
        .orderBy(asc(auditEvents.action)),
    ),
  );
}

describe("several instances on one PostgreSQL database", () => {
  let other: PgDb;
  beforeAll(async () => {
    other = await openPg(t.url, { max: 4 });
  });
  afterAll(async () => {
    await other?.$client.end();
  });

  it("parallel guesses from two instances: each is counted before the next is checked, so at most MAX_FAILURES are tried", async () => {
    await createUser(t.pg, { email: "target@test.local", password: PASSWORD, role: "annotator" });
    const guesses = 3 * MAX_FAILURES;
    const results = await Promise.all(
      Array.from({ length: guesses }, (_, i) =>
        signInWithPassword(i % 2 ? other : t.pg, {
          email: i % 3 ? "target@test.local" : " Target@test.local",
          password: `wrong-guess-${i}`,
        }),
      ),
    );
    const reasons = results.map((r) => (r.ok ? "ok" : r.reason));
    expect(reasons.filter((r) => r === "invalid")).toHaveLength(MAX_FAILURES);
    expect(reasons.filter((r) => r === "locked")).toHaveLength(guesses - MAX_FAILURES);
    const counted = await eventsByAction(t.pg, "target@test.local");
    expect(counted).toEqual([
      { action: "auth.login_failed", n: MAX_FAILURES },
      { action: "auth.login_locked", n: guesses - MAX_FAILURES },
    ]);
    // The right password is refused too, until the window has passed.
    expect(await signInWithPassword(other, { email: "target@test.local", password: PASSWORD })).toEqual({ ok: false, reason: "locked" });
  });

  it("parallel sign-ins of one person within the budget all succeed, each recorded once as auth.login", async () => {
    await createUser(t.pg, { email: "busy@test.local", password: PASSWORD, role: "annotator" });
    for (let i = 0; i < 3; i++) await signInWithPassword(t.pg, { email: "busy@test.local", password: "wrong-guess-1" });
    // An attempt counts as a failure while its password is being checked: 3 + 6 stays under MAX_FAILURES.
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => signInWithPassword(i % 2 ? other : t.pg, { email: "busy@test.local", password: PASSWORD })),
    );
    expect(results.map((r) => r.ok)).toEqual(Array(6).fill(true));
    const counted = await eventsByAction(t.pg, "busy@test.local");
    expect(counted).toEqual([
      { action: "auth.login", n: 6 },
      { action: "auth.login_failed", n: 3 },
    ]);
    expect(await checkLoginLock(t.pg, { email: "busy@test.local" })).toEqual({ locked: false });
  });

  it("one group name, one email, one invite: exactly one instance gets it, the other a CONFLICT", async () => {
    const race = async <T>(f: (db: PgDb) => Promise<T>) => {
      const settled = await Promise.allSettled([f(t.pg), f(other)]);
      const codes = settled.map((r) => (r.status === "fulfilled" ? "ok" : isAppError(r.reason) ? r.reason.code : String(r.reason)));
      return codes.sort();
    };
    for (let i = 0; i < 5; i++) {
      expect(await race((db) => createGroup(db, { name: `race-${i}` }))).toEqual(["CONFLICT", "ok"]);
      expect(await race((db) => createUser(db, { email: `race-${i}@test.local`, password: PASSWORD, role: "annotator" }))).toEqual([
        "CONFLICT",
        "ok",
      ]);
      const { token } = await createInvite(t.pg, { role: "annotator" }, s.admin);
      expect(await race((db) => acceptInvite(db, { token, email: `joiner-${i}@test.local`, password: PASSWORD }))).toEqual([
        "CONFLICT",
        "ok",
      ]);
    }
    const joined = await runOp(t.pg, (c) =>
      c.first(c.q.select({ n: sql<number>`count(*)` }).from(users).where(sql`${users.email} like 'joiner-%'`)),
    );
    expect(joined?.n).toBe(5);
  });
});
