import { describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { addGenerator } from "@/server/domain/generation/registry";
import { listProjects } from "@/server/domain/projects";
import { addAnnotator, memoryDb } from "@/server/testing/fixtures";

describe("conversations router", () => {
  it("creates a live project with its settings in one transaction; annotators cannot change settings", async () => {
    const db = memoryDb();
    const adminId = addAnnotator(db, "boss");
    const admin = createCaller({ db, user: { id: adminId, email: "boss@test.local", name: "boss", role: "admin" } });
    addGenerator(db, { kind: "external", name: "alpha", url: "http://127.0.0.1:9/v1", model: "m" });
    addGenerator(db, { kind: "external", name: "beta", url: "http://127.0.0.1:9/v1", model: "m" });
    const bad = admin.conversations.createProject({
      project: { name: "chat" },
      live: { kind: "conversation", generators: ["alpha", "nope"] },
    });
    await expect(bad).rejects.toThrow(/no generator named "nope"/);
    expect(listProjects(db)).toEqual([]);
    const { id } = await admin.conversations.createProject({
      project: { name: "chat" },
      live: { kind: "arena", generators: ["alpha", "beta"], maxTurns: 4 },
    });
    expect(await admin.conversations.settings({ projectId: id })).toMatchObject({ kind: "arena", maxTurns: 4 });
    const annId = addAnnotator(db, "ann");
    const ann = createCaller({ db, user: { id: annId, email: "ann@test.local", name: "ann", role: "annotator" } });
    await expect(ann.conversations.setSettings({ projectId: id, settings: { paused: true } })).rejects.toThrow(/role/);
    const mode = await ann.conversations.projectMode({ projectId: id });
    expect(mode).toMatchObject({ kind: "arena", paused: false, maxTurns: 4, rewrites: true });
    expect(JSON.stringify(mode)).not.toMatch(/alpha|beta/);
    const view = await ann.conversations.start({ projectId: id });
    expect(view).toMatchObject({ kind: "arena", waitingFor: "message", reveal: null });
    expect(JSON.stringify(view)).not.toMatch(/alpha|beta/);
  });
});
