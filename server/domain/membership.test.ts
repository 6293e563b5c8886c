import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import { openDb } from "@/server/db";
import { addAnnotator, memoryDb, seedProject, tempDir } from "@/server/testing/fixtures";
import {
  canAccessProject,
  createGroup,
  getMyProfile,
  listGroups,
  setMyAttributes,
  setProjectAccess,
  setUserGroup,
  updateProjectMembers,
} from "./membership";
import { listAnnotatorProjects } from "./projects";

describe("membership", () => {
  it("members-only projects admit members and staff; the list shows only what the user may open", () => {
    const db = memoryDb();
    const open = seedProject(db, 2);
    const closed = seedProject(db, 2, { access: "members" });
    const [ann, other] = [addAnnotator(db, "ann"), addAnnotator(db, "other")];
    const annUser = { id: ann, role: "annotator" as const };
    expect(canAccessProject(db, annUser, closed.id)).toBe(false);
    expect(listAnnotatorProjects(db, annUser).map((p) => p.id)).toEqual([open.id]);
    const { members } = updateProjectMembers(db, { projectId: closed.id, add: [" ANN@test.local"], actorId: other });
    expect(members.map((m) => m.email)).toEqual(["ann@test.local"]);
    expect(canAccessProject(db, annUser, closed.id)).toBe(true);
    expect(canAccessProject(db, { id: other, role: "annotator" }, closed.id)).toBe(false);
    expect(canAccessProject(db, { id: other, role: "researcher" }, closed.id)).toBe(true);
    expect(updateProjectMembers(db, { projectId: closed.id, remove: ["ann@test.local"] }).members).toEqual([]);
    expect(canAccessProject(db, annUser, closed.id)).toBe(false);
    const audit = db.select().from(auditEvents).where(eq(auditEvents.action, "project.members")).all();
    expect(audit.map((a) => a.detail)).toEqual([
      { added: [ann], removed: [], group: null },
      { added: [], removed: [ann], group: null },
    ]);
  });

  it("an unknown email adds no one and is named in the error (all or nothing)", () => {
    const db = memoryDb();
    const p = seedProject(db, 1, { access: "members" });
    addAnnotator(db, "ann");
    expect(() => updateProjectMembers(db, { projectId: p.id, add: ["ann@test.local", "ghost@test.local"] })).toThrow(
      /add: no user with email ghost@test.local/,
    );
    expect(updateProjectMembers(db, { projectId: p.id }).members).toEqual([]);
  });

  it("groups: --group with --add puts the added people in it; alone it adds the whole group; a project may require one", () => {
    const db = memoryDb();
    const p = seedProject(db, 1, { access: "members" });
    const [a, b, c] = [addAnnotator(db, "a"), addAnnotator(db, "b"), addAnnotator(db, "c")];
    createGroup(db, { name: "medical experts" });
    expect(() => createGroup(db, { name: "medical experts" })).toThrow(/already exists/);
    updateProjectMembers(db, { projectId: p.id, add: ["a@test.local"], group: "medical experts" });
    setUserGroup(db, { userId: b, group: "medical experts" });
    const { members } = updateProjectMembers(db, { projectId: p.id, group: "medical experts" });
    expect(members.map((m) => [m.email, m.group])).toEqual([
      ["a@test.local", "medical experts"],
      ["b@test.local", "medical experts"],
    ]);
    expect(listGroups(db)).toMatchObject([{ name: "medical experts", members: 2 }]);
    setProjectAccess(db, { projectId: p.id, access: "open", requiredGroup: "medical experts" });
    expect(canAccessProject(db, { id: a, role: "annotator" }, p.id)).toBe(true);
    expect(canAccessProject(db, { id: c, role: "annotator" }, p.id)).toBe(false);
    expect(() => setUserGroup(db, { userId: c, group: "nope" })).toThrow(/no annotator group named "nope"/);
    const actions = db
      .select()
      .from(auditEvents)
      .all()
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["group.create", "user.group", "project.members", "project.access"]));
  });

  it("self-described attributes are optional and the caller's own", () => {
    const db = memoryDb();
    const a = addAnnotator(db, "a");
    expect(getMyProfile(db, a)).toEqual({ language: null, expertise: null, region: null, group: null });
    expect(setMyAttributes(db, a, { language: "zh", region: "Taiwan" })).toMatchObject({
      language: "zh",
      region: "Taiwan",
      expertise: null,
    });
    expect(setMyAttributes(db, a, { language: "" })).toMatchObject({ language: null, region: "Taiwan" });
    expect(setMyAttributes(db, a, {})).toMatchObject({ region: "Taiwan" });
  });

  it("CLI: project:create --access members, project:members --add … --json prints {members}; bad email exits 1 naming the field", () => {
    const db = path.join(tempDir("arbiter-members-cli-"), "m.db");
    addAnnotator(openDb(db), "ann");
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args, "--db", db, "--json"], { encoding: "utf8" });
    const created = run("project:create", "--name", "closed", "--access", "members");
    expect(created.status, created.stderr).toBe(0);
    const id = String(JSON.parse(created.stdout).id);
    const added = run("project:members", "--project", id, "--add", "ann@test.local");
    expect(added.status, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ members: [{ userId: 1, email: "ann@test.local", name: "ann", group: null }] });
    const bad = run("project:members", "--project", id, "--add", "ghost@test.local");
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe("error: add: no user with email ghost@test.local");
    expect(run("project:create", "--name", "x", "--access", "secret").status).toBe(2);
  });
});

describe("audit of imports refused on the CLI", () => {
  it("a refused CLI import leaves a project.import_failed event", () => {
    const dir = tempDir("arbiter-import-audit-");
    const db = path.join(dir, "a.db");
    const bad = path.join(dir, "bad.jsonl");
    fs.writeFileSync(bad, '{"prompt": "p", "responses": []}\n');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "scripts/arbiter.ts", ...args, "--db", db], { encoding: "utf8" });
    expect(run("project:create", "--name", "p").status).toBe(0);
    expect(run("import", "--project", "1", "--file", bad).status).toBe(1);
    const events = openDb(db).select().from(auditEvents).where(eq(auditEvents.action, "project.import_failed")).all();
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({ file: "bad.jsonl", problems: 1 });
  });
});
