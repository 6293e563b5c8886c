/**
 * Every tRPC procedure declares its roles, and every call from a role not listed is refused before
 * input is even read. Procedures are enumerated from the router, so a new one is covered the moment
 * it is added. Route handlers (app/**\/route.ts) and server/main.ts's own endpoints are the other half
 * of the matrix: server/route-roles.test.ts and server/http-crash.test.ts.
 */
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { Role } from "@/db/schema";
import { appRouter, createCaller } from "@/server/api/root";
import { createCallerFactory, createTRPCRouter, undeclaredProcedureForTests } from "@/server/api/trpc";
import { setProjectAccess, updateProjectMembers } from "@/server/domain/membership";
import { databaseChecksum } from "@/server/testing/checksum";
import { addAnnotator, memoryDb, seedProject } from "@/server/testing/fixtures";

type AnyProcedure = { _def: { meta?: { roles?: readonly Role[]; public?: true }; type: string } };
/** The only procedures reachable without signing in. Adding one means adding it here, on purpose. */
const PUBLIC = ["invites.accept", "invites.describe"];
// At run time `_def.procedures` is flat, keyed by full path ("annotate.next"); its static type is nested.
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>);

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "OK";
  } catch (e) {
    return e instanceof TRPCError ? e.code : `not a TRPCError: ${String(e)}`;
  }
}

function callerAs(role: Role | null) {
  const db = memoryDb();
  // A real row: procedures that write (invites, audit events) reference the caller.
  const user = role ? { id: addAnnotator(db, role), email: `${role}@test.local`, name: role, role } : null;
  return createCaller({ db, user });
}

function invoke(caller: ReturnType<typeof callerAs>, path: string): Promise<unknown> {
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller);
  return (fn as (input: unknown) => Promise<unknown>)({});
}

describe("authorization", () => {
  it("every procedure declares at least one role, or is on the public list", () => {
    expect(procedures.length).toBeGreaterThan(5);
    for (const [path, p] of procedures) {
      if (p._def.meta?.public) expect(PUBLIC, path).toContain(path);
      else expect(p._def.meta?.roles?.length, path).toBeGreaterThan(0);
    }
    expect(
      procedures
        .filter(([, p]) => p._def.meta?.public)
        .map(([k]) => k)
        .sort(),
    ).toEqual(PUBLIC);
  });

  it("anonymous callers get UNAUTHORIZED everywhere but the public list", async () => {
    const caller = callerAs(null);
    for (const [path] of procedures) {
      const code = await codeOf(() => invoke(caller, path));
      if (PUBLIC.includes(path)) expect(code, path).not.toMatch(/UNAUTHORIZED|FORBIDDEN/);
      else expect(code, path).toBe("UNAUTHORIZED");
    }
  });

  for (const role of ["annotator", "admin", "researcher"] as const) {
    it(`${role}s get FORBIDDEN exactly where their role is not declared`, async () => {
      const caller = callerAs(role);
      for (const [path, p] of procedures) {
        const code = await codeOf(() => invoke(caller, path));
        if (p._def.meta?.public || p._def.meta?.roles?.includes(role)) expect(code, path).not.toBe("FORBIDDEN");
        else expect(code, path).toBe("FORBIDDEN");
      }
    });
  }

  it("no query changes state: reading anything (a GET, an image in model text) leaves the database as it was", async () => {
    const db = memoryDb();
    const project = seedProject(db, 3, { overlap: 1 });
    // research.doctor reads no database (it asks the trainer's Python what it has) and takes seconds.
    const queries = procedures.filter(([k, p]) => p._def.type === "query" && k !== "research.doctor");
    expect(queries.length).toBeGreaterThan(5);
    // Leasing is a mutation, POSTed: a GET link or <img src> must never take an item.
    expect(procedures.find(([k]) => k === "annotate.next")?.[1]._def.type).toBe("mutation");
    const inputs = [{}, { projectId: project.id }, { judgmentId: 1 }];
    for (const role of ["annotator", "admin", "researcher"] as const) {
      const id = addAnnotator(db, `reader-${role}`);
      const caller = createCaller({ db, user: { id, email: `reader-${role}@test.local`, name: role, role } });
      const before = databaseChecksum(db);
      for (const [path] of queries) {
        for (const input of inputs) {
          const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller);
          await (fn as (input: unknown) => Promise<unknown>)(input).catch(() => undefined);
        }
        expect(databaseChecksum(db), `${role} ${path}`).toBe(before);
      }
    }
  });

  it("a procedure with no declared role is denied even to a signed-in user", async () => {
    const router = createTRPCRouter({ open: undeclaredProcedureForTests.query(() => "leak") });
    const caller = createCallerFactory(router)({ db: memoryDb(), user: { id: 1, email: "a@b.c", name: "a", role: "admin" } });
    expect(await codeOf(() => caller.open())).toBe("FORBIDDEN");
  });

  it("annotators can read no admin data: the project list and project details are staff-only", () => {
    const staffOnly = ["projects.list", "projects.get", "projects.create", "projects.import"];
    for (const path of staffOnly) {
      const p = procedures.find(([k]) => k === path)?.[1];
      expect(p?._def.meta?.roles, path).not.toContain("annotator");
    }
  });

  it("an annotator cannot act on, or learn about, another annotator's assignment by guessing its id", async () => {
    const db = memoryDb();
    const p1 = seedProject(db, 3, { overlap: 1 });
    const p2 = seedProject(db, 3, { overlap: 1 });
    const as = (name: string) => {
      const id = addAnnotator(db, name);
      return createCaller({ db, user: { id, email: `${name}@test.local`, name, role: "annotator" } });
    };
    const alice = as("alice");
    const mallory = as("mallory");
    const lease = (await alice.annotate.next({ projectId: p1.id })).lease;
    if (lease.status !== "item") throw new Error("alice got no item");
    // Nothing in what an annotator sees names a model.
    expect(JSON.stringify(lease)).not.toMatch(/model-x|model-y/);
    await mallory.annotate.next({ projectId: p2.id });
    const before = databaseChecksum(db);
    const theirs = lease.item.assignmentId;
    for (const projectId of [p1.id, p2.id]) {
      const submission = { assignmentId: theirs, clientSubmissionId: `guess-${projectId}`, outcome: "tie" as const };
      expect(await codeOf(() => mallory.annotate.submit({ projectId, submission })), `submit in project ${projectId}`).toBe("NOT_FOUND");
      expect(await codeOf(() => mallory.annotate.skip({ projectId, assignmentId: theirs })), `skip in project ${projectId}`).toBe(
        "NOT_FOUND",
      );
    }
    // An id that does not exist at all answers the same: no way to tell a foreign id from a missing one.
    const submission = { assignmentId: theirs + 1000, clientSubmissionId: "guess-missing", outcome: "tie" as const };
    expect(await codeOf(() => mallory.annotate.submit({ projectId: p1.id, submission }))).toBe("NOT_FOUND");
    expect(databaseChecksum(db)).toBe(before);
    // Alice's lease is untouched: she can still judge it.
    const mine = { assignmentId: theirs, clientSubmissionId: "alice-1", outcome: "tie" as const };
    expect((await alice.annotate.submit({ projectId: p1.id, submission: mine })).result.duplicate).toBe(false);
  });

  describe("members-only projects: every project-scoped procedure checks membership", () => {
    type ProcDef = AnyProcedure & { _def: { inputs: { shape?: Record<string, unknown> }[] } };
    const takesProject = (p: AnyProcedure) => (p as ProcDef)._def.inputs.some((i) => i.shape && "projectId" in i.shape);
    const annotatorCallable = (p: AnyProcedure) => p._def.meta?.roles?.includes("annotator") === true;
    /**
     * Every procedure an annotator can call that names a project, with an input a member gets past the
     * access check with (its answer may still be BAD_REQUEST for the rest of the input). A new one
     * without a case fails the first test below.
     */
    const MEMBER_CASES: Record<string, (projectId: number) => unknown> = {
      "annotate.project": (projectId) => ({ projectId }),
      "annotate.next": (projectId) => ({ projectId }),
      "annotate.submit": (projectId) => ({ projectId, submission: { assignmentId: 999_999, clientSubmissionId: "x", outcome: "tie" } }),
      "annotate.skip": (projectId) => ({ projectId, assignmentId: 999_999 }),
      "annotate.recent": (projectId) => ({ projectId }),
      "annotate.revise": (projectId) => ({ projectId, revision: {} }),
      "conversations.projectMode": (projectId) => ({ projectId }),
      "conversations.start": (projectId) => ({ projectId }),
      "conversations.writePrompt": (projectId) => ({ projectId, prompt: "x" }),
    };
    /** Annotator procedures that name no project, and why that is safe. */
    const NOT_PROJECT_SCOPED: Record<string, string> = {
      "annotate.projects": "lists only the projects the caller may work on (tested below)",
      "annotate.myProgress": "the caller's own judgments only",
      "annotate.judgment": "the caller's own judgment only",
      "quality.goldFeedback": "the caller's own judgment only",
      "me.whoami": "the caller",
      "me.profile": "the caller",
      "me.setAttributes": "the caller",
      "conversations.view": "the caller's own conversation only (server/domain/conversations checks the owner)",
      "conversations.send": "the caller's own conversation only",
      "conversations.regenerate": "the caller's own conversation only",
      "conversations.judge": "the caller's own conversation's turn only",
      "conversations.end": "the caller's own conversation only",
      "conversations.rewrite": "the caller's own judgment only",
      "conversations.myRewrite": "the caller's own judgment only",
    };

    function setup() {
      const db = memoryDb();
      const project = seedProject(db, 3, { overlap: 2 });
      setProjectAccess(db, { projectId: project.id, access: "members" });
      const as = (name: string, role: Role) => {
        const id = addAnnotator(db, name);
        return { id, caller: createCaller({ db, user: { id, email: `${name}@test.local`, name, role } }) };
      };
      const member = as("member", "annotator");
      const outsider = as("outsider", "annotator");
      updateProjectMembers(db, { projectId: project.id, add: ["member@test.local"] });
      return { db, project, member, outsider, admin: as("staff-admin", "admin"), researcher: as("staff-researcher", "researcher") };
    }
    const call = (caller: ReturnType<typeof createCaller>, path: string, input: unknown) => {
      const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller);
      return codeOf(() => (fn as (input: unknown) => Promise<unknown>)(input));
    };

    it("every annotator procedure is classified: project-scoped with a case, or not project-scoped with a reason", () => {
      const scoped = procedures.filter(([, p]) => annotatorCallable(p) && takesProject(p)).map(([k]) => k);
      const unscoped = procedures.filter(([, p]) => annotatorCallable(p) && !takesProject(p)).map(([k]) => k);
      expect(scoped.sort()).toEqual(Object.keys(MEMBER_CASES).sort());
      expect(unscoped.sort()).toEqual(Object.keys(NOT_PROJECT_SCOPED).sort());
    });

    it("member, non-member and staff on each project-scoped procedure", async () => {
      const { project, member, outsider, admin, researcher } = setup();
      for (const [path, p] of procedures.filter(([, p]) => takesProject(p))) {
        const input = MEMBER_CASES[path]?.(project.id) ?? { projectId: project.id };
        // A non-member learns nothing: the answer is a missing project's (or FORBIDDEN where the role is not declared).
        expect(await call(outsider.caller, path, input), `non-member ${path}`).toBe(annotatorCallable(p) ? "NOT_FOUND" : "FORBIDDEN");
        expect(await call(outsider.caller, path, { ...(input as object), projectId: 424_242 }), `missing ${path}`).toBe(
          annotatorCallable(p) ? "NOT_FOUND" : "FORBIDDEN",
        );
        for (const staff of [admin, researcher]) {
          const code = await call(staff.caller, path, input);
          expect(code, `staff ${path}`).not.toBe("UNAUTHORIZED");
          if (code === "NOT_FOUND") expect(MEMBER_CASES[path], `staff ${path}`).toBeDefined(); // a bogus assignment id, not the project
        }
      }
      for (const [path, build] of Object.entries(MEMBER_CASES)) {
        const code = await call(member.caller, path, build(project.id));
        if (path === "annotate.submit" || path === "annotate.skip")
          expect(code, `member ${path}`).toBe("NOT_FOUND"); // the bogus assignment
        else expect(code, `member ${path}`).not.toMatch(/NOT_FOUND|FORBIDDEN|UNAUTHORIZED/);
      }
      // The member gets an item; the non-member neither sees the project nor gets its items.
      const lease = await member.caller.annotate.next({ projectId: project.id });
      expect(lease.lease.status).toBe("item");
      expect((await member.caller.annotate.projects()).map((p) => p.id)).toContain(project.id);
      expect((await outsider.caller.annotate.projects()).map((p) => p.id)).not.toContain(project.id);
      expect((await admin.caller.annotate.projects()).map((p) => p.id)).toContain(project.id);
    });

    it("a project that requires a group admits only annotators of that group", async () => {
      const { db, project, member, outsider } = setup();
      setProjectAccess(db, { projectId: project.id, access: "open" });
      expect((await outsider.caller.annotate.next({ projectId: project.id })).lease.status).toBe("item");
      const { createGroup, setUserGroup } = await import("@/server/domain/membership");
      createGroup(db, { name: "zh-native" });
      setProjectAccess(db, { projectId: project.id, access: "open", requiredGroup: "zh-native" });
      setUserGroup(db, { userId: member.id, group: "zh-native" });
      expect(await codeOf(() => outsider.caller.annotate.next({ projectId: project.id }))).toBe("NOT_FOUND");
      expect((await member.caller.annotate.next({ projectId: project.id })).lease.status).toBe("item");
    });
  });
});
