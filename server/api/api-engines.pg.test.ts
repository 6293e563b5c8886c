/**
 * The API on both engines: every query procedure of the router, enumerated (a new one is covered the
 * moment it is added), called through tRPC as a role it declares, on a SQLite file and on its
 * PostgreSQL copy, with the same inputs: the same answer, or the same refusal, on both. The data has
 * human and imported judgments, a check item, members-only access and several roles, so the quality,
 * research and annotate queries have something to say. Mutations are covered by the domain engine
 * tests and by the e2e run on PostgreSQL (playwright.pg.config.ts).
 */
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { items, type Role, users } from "@/db/schema";
import { appRouter, createCaller } from "@/server/api/root";
import type { AnyDb } from "@/server/database";
import type { Db } from "@/server/db";
import { leaseNextItem } from "@/server/domain/assignment";
import { markGold } from "@/server/domain/gold";
import { importItems } from "@/server/domain/import/import-items";
import { submitAndLeaseNext } from "@/server/domain/judgments";
import { createProject } from "@/server/domain/projects";
import { expectSameOnBoth, type Twins, twinDatabases } from "@/server/testing/engines";
import { pairItem, writeJsonl } from "@/server/testing/fixtures";

type AnyProcedure = { _def: { meta?: { roles?: readonly Role[]; public?: true }; type: string } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>);

type Seed = { projectId: number; itemId: number; people: Record<Role, { id: number; email: string; name: string; role: Role }> };

function seed(db: Db): Seed {
  const person = (role: Role) => {
    const email = `${role}@engines.test`;
    const id = db
      .insert(users)
      .values({ name: `the ${role}`, email, role })
      .returning({ id: users.id })
      .get().id;
    return { id, email, name: `the ${role}`, role };
  };
  const people = { annotator: person("annotator"), admin: person("admin"), researcher: person("researcher") };
  const project = createProject(db, { name: "api engines", overlap: 2, criteria: ["helpful"] });
  const lines = Array.from({ length: 24 }, (_, i) =>
    pairItem(i, {
      judgments: [
        { annotator: "ext-a", winner: i % 3 === 0 ? "b" : "a" },
        { annotator: "ext-b", winner: i % 4 === 0 ? "tie" : "a" },
      ],
    }),
  );
  const imported = importItems(db, { projectId: project.id, file: writeJsonl(lines) });
  if (imported.errorCount) throw new Error(JSON.stringify(imported.errors));
  const itemId = db.select({ id: items.id }).from(items).where(eq(items.projectId, project.id)).get()?.id as number;
  markGold(db, { itemId, accepted: ["a"], explanation: "A is right" });
  // The annotator judges a few items through the hot path (leases, shown orders, a judgment history).
  let lease = leaseNextItem(db, { projectId: project.id, userId: people.annotator.id, now: 1_000_000, random: () => 0.4 });
  for (let n = 0; n < 5 && lease.status === "item"; n++) {
    lease = submitAndLeaseNext(db, {
      userId: people.annotator.id,
      projectId: project.id,
      submission: { assignmentId: lease.item.assignmentId, clientSubmissionId: `engines-${n}`, outcome: n % 2 ? "a" : "b" },
      now: 1_000_000 + n * 1000,
      random: () => 0.4,
    }).lease;
  }
  return { projectId: project.id, itemId, people };
}

let twins: Twins<Seed>;
beforeAll(async () => {
  twins = await twinDatabases("api_engines", seed);
}, 120_000);
afterAll(async () => {
  await twins?.close();
});

/** What a call gives: its value, or the code and message of its refusal. */
async function outcome(db: AnyDb, role: Role, path: string, input: unknown): Promise<unknown> {
  const caller = createCaller({ db, user: twins.seed.people[role] });
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (i: unknown) => Promise<unknown>;
  try {
    return { ok: await fn(input) };
  } catch (e) {
    if (e instanceof TRPCError) return { code: e.code, message: e.code === "BAD_REQUEST" ? "(input)" : e.message };
    throw e;
  }
}

describe("every query procedure answers the same on SQLite and PostgreSQL", () => {
  it("as each role it declares, with the inputs a page sends", { timeout: 120_000 }, async () => {
    const { projectId, itemId } = twins.seed;
    const inputs = [{ projectId }, { projectId, limit: 20 }, { itemId }, {}, undefined];
    const queries = procedures.filter(([, p]) => p._def.type === "query" && !p._def.meta?.public);
    expect(queries.length).toBeGreaterThan(20);
    let answered = 0;
    for (const [path, p] of queries) {
      for (const role of p._def.meta?.roles ?? []) {
        for (const input of inputs) {
          const onSqlite = await outcome(twins.lite, role, path, input);
          const onPg = await outcome(twins.pg, role, path, input);
          expectSameOnBoth(onPg, onSqlite, `${path} as ${role} with ${JSON.stringify(input)}`);
          if ((onSqlite as { ok?: unknown }).ok !== undefined) {
            answered++;
            break; // the first input the procedure takes is the one to compare
          }
        }
      }
    }
    // Most queries take one of these inputs; the rest refuse the same way on both engines.
    expect(answered).toBeGreaterThan(queries.length / 2);
  });
});
