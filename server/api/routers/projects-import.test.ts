import { describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { createProject } from "@/server/domain/projects";
import { addAnnotator, memoryDb } from "@/server/testing/fixtures";

const HH = `${JSON.stringify({ chosen: "\n\nHuman: Hi\n\nAssistant: Hello!", rejected: "\n\nHuman: Hi\n\nAssistant: Go away." })}\n`;

describe("projects.import (browser upload) and projects.importStatus", () => {
  it("starts a run from an uploaded file in the chosen format and reports it to the admin who polls", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "upload" });
    const admin = createCaller({ db, user: { id: addAnnotator(db, "boss"), email: "b@test.local", name: "boss", role: "admin" } });
    const form = new FormData();
    form.set("projectId", String(p.id));
    form.set("format", "hh");
    form.set("file", new File([HH, HH], "pairs.jsonl"));
    const started = await admin.projects.import(form);
    expect(started).toMatchObject({ projectId: p.id, fileName: "pairs.jsonl", format: "hh", totalBytes: 2 * HH.length });
    expect(JSON.stringify(started)).not.toMatch(/arbiter-upload-/);
    let status = await admin.projects.importStatus({ projectId: p.id, importId: started.id });
    while (status.phase !== "done" && status.phase !== "failed") {
      await new Promise((resolve) => setImmediate(resolve));
      status = await admin.projects.importStatus({ projectId: p.id, importId: started.id });
    }
    expect(status.result).toMatchObject({ items: 2, judgments: 2, errorCount: 0 });
    expect((await admin.projects.get({ projectId: p.id })).status.items).toBe(2);
  });

  it("rejects an unknown format naming the field", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "fmt" });
    const admin = createCaller({ db, user: { id: addAnnotator(db, "boss"), email: "b@test.local", name: "boss", role: "admin" } });
    const form = new FormData();
    form.set("projectId", String(p.id));
    form.set("format", "csv");
    form.set("file", new File([HH], "x.jsonl"));
    await expect(admin.projects.import(form)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/format is one of/),
    });
  });
});
