import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { responses } from "@/db/schema";
import { createCaller } from "@/server/api/root";
import { createProject } from "@/server/domain/projects";
import { databaseChecksum } from "@/server/testing/checksum";
import { addAnnotator, memoryDb, seedProject, tempDir } from "@/server/testing/fixtures";
import { ACCEPTED, REJECTED } from "./bad-input-corpus";
import { importItems } from "./import-items";

describe("the bad-input corpus", () => {
  it("has at least 100 hostile or broken inputs", () => {
    expect(REJECTED.length + ACCEPTED.length).toBeGreaterThanOrEqual(100);
  });

  const db = memoryDb();
  const project = createProject(db, { name: "corpus" });
  const dir = tempDir();

  for (const [i, c] of REJECTED.entries()) {
    it(`rejects ${c.name}: line ${c.line}, field ${c.field}; the database is unchanged`, () => {
      const file = path.join(dir, `rejected-${i}.jsonl`);
      fs.writeFileSync(file, c.content);
      const before = databaseChecksum(db);
      const result = importItems(db, { projectId: project.id, file });
      expect(result.items).toBe(0);
      const first = result.errors[0];
      expect(first, "an error is reported").toBeDefined();
      expect(first?.field).toBe(c.field);
      expect(first?.line ?? 0).toBe(c.line);
      if (c.message) expect(first?.message).toMatch(c.message);
      expect(first?.message.length).toBeGreaterThan(5);
      expect(databaseChecksum(db)).toBe(before);
    });
  }

  for (const [i, c] of ACCEPTED.entries()) {
    it(`accepts and ${c.name}`, () => {
      const file = path.join(dir, `accepted-${i}.jsonl`);
      fs.writeFileSync(file, c.content);
      const result = importItems(db, { projectId: project.id, file });
      expect(result.errors).toEqual([]);
      const stored = db.select({ content: responses.content }).from(responses).where(eq(responses.idx, 0)).all().at(-1);
      expect(stored?.content).toBe(c.stored);
    });
  }
});

describe("hostile tRPC inputs", () => {
  const db = memoryDb();
  const project = seedProject(db, 3);
  const admin = { id: addAnnotator(db, "root"), email: "root@test.local", name: "root", role: "admin" as const };
  const annotator = { id: addAnnotator(db, "ann"), email: "ann@test.local", name: "ann", role: "annotator" as const };
  const asAdmin = createCaller({ db, user: admin });
  const asAnnotator = createCaller({ db, user: annotator });
  const cases: [string, () => Promise<unknown>][] = [
    ["project with an empty name", () => asAdmin.projects.create({ name: "" })],
    ["project with a 10,000-character name", () => asAdmin.projects.create({ name: "n".repeat(10_000) })],
    ["overlap -1", () => asAdmin.projects.create({ name: "o", overlap: -1 })],
    ["overlap 1e9", () => asAdmin.projects.create({ name: "o", overlap: 1e9 })],
    ["overlap as a string", () => asAdmin.projects.create({ name: "o", overlap: "3" as unknown as number })],
    ["criteria with markup", () => asAdmin.projects.create({ name: "o", criteria: ["<b>bold</b>"] })],
    ["duplicate criteria", () => asAdmin.projects.create({ name: "o", criteria: ["helpful", "helpful"] })],
    ["unknown rationale policy", () => asAdmin.projects.create({ name: "o", rationalePolicy: "sometimes" as "off" })],
    ["project id 0", () => asAdmin.projects.get({ projectId: 0 })],
    ["project id -5", () => asAdmin.projects.get({ projectId: -5 })],
    ["project id 1.5", () => asAdmin.projects.get({ projectId: 1.5 })],
    ["another project's id", () => asAdmin.projects.get({ projectId: 999_999 })],
    [
      "submit to an assignment that does not exist",
      () =>
        asAnnotator.annotate.submit({
          projectId: project.id,
          submission: { assignmentId: 424242, clientSubmissionId: "x", outcome: "a", strength: 1 },
        }),
    ],
    [
      "submit with a bogus outcome",
      () =>
        asAnnotator.annotate.submit({
          projectId: project.id,
          submission: { assignmentId: 1, clientSubmissionId: "x", outcome: "c" as "a" },
        }),
    ],
    [
      "submit with strength 9",
      () =>
        asAnnotator.annotate.submit({
          projectId: project.id,
          submission: { assignmentId: 1, clientSubmissionId: "x", outcome: "a", strength: 9 },
        }),
    ],
    [
      "submit with a 1 MB submission id",
      () =>
        asAnnotator.annotate.submit({
          projectId: project.id,
          submission: { assignmentId: 1, clientSubmissionId: "s".repeat(1_000_000), outcome: "tie" },
        }),
    ],
    [
      "submit with a 100 kB rationale",
      () =>
        asAnnotator.annotate.submit({
          projectId: project.id,
          submission: { assignmentId: 1, clientSubmissionId: "x", outcome: "tie", rationale: "r".repeat(100_000) },
        }),
    ],
    [
      "submit with negative time on task",
      () =>
        asAnnotator.annotate.submit({
          projectId: project.id,
          submission: { assignmentId: 1, clientSubmissionId: "x", outcome: "tie", timeOnTaskMs: -1 },
        }),
    ],
    ["skip someone else's assignment", () => asAnnotator.annotate.skip({ projectId: project.id, assignmentId: 1 })],
    ["lease from a project that does not exist", () => asAnnotator.annotate.next({ projectId: 31337 })],
    ["invite with an unknown role", () => asAdmin.users.invite({ role: "root" as "admin" })],
    ["invite valid for 10 years", () => asAdmin.users.invite({ expiresInHours: 24 * 3650 })],
    [
      "accept an invite with a made-up token",
      () => createCaller({ db, user: null }).invites.accept({ token: "t".repeat(43), email: "x@y.z", password: "long-enough" }),
    ],
  ];
  for (const [name, call] of cases) {
    it(`refuses ${name} with a 4xx error and changes nothing`, async () => {
      const before = databaseChecksum(db);
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCError);
      expect(["BAD_REQUEST", "NOT_FOUND", "CONFLICT", "FORBIDDEN"]).toContain((error as TRPCError).code);
      expect(databaseChecksum(db)).toBe(before);
    });
  }
});
