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
});
