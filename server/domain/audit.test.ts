import { describe, expect, it } from "vitest";
import { memoryDb } from "@/server/testing/fixtures";
import { setUserRole } from "./accounts";
import { listAuditEvents, recordAuditEvent } from "./audit";
import { createUser } from "./users";

describe("listAuditEvents", () => {
  it("names the people a detail refers to by id (one or a list); a deleted one reads user #id", async () => {
    const db = memoryDb();
    const admin = await createUser(db, { email: "boss@x.org", password: "tidal-orchid-42", role: "admin" });
    const ann = await createUser(db, { email: "ann@x.org", password: "tidal-orchid-42", role: "annotator" });
    setUserRole(db, admin.id, ann.id, "researcher");
    recordAuditEvent(db, { actorId: admin.id, action: "project.members", detail: { added: [ann.id, 999], removed: [], group: null } });
    recordAuditEvent(db, { actorId: admin.id, action: "annotator.exclude", detail: { userId: ann.id, reason: "spam" } });
    const [exclude, members, role] = listAuditEvents(db, { limit: 10, actionPrefix: undefined }).filter((r) => r.actor === "boss@x.org");
    expect(role).toMatchObject({ action: "user.role", detail: { user: "ann@x.org", role: "researcher" } });
    expect(members).toMatchObject({ action: "project.members", detail: { added: ["ann@x.org", "user #999"], removed: [], group: null } });
    expect(exclude?.detail).toEqual({ user: "ann@x.org", reason: "spam" });
  });

  it("leaves details without people as they are", async () => {
    const db = memoryDb();
    recordAuditEvent(db, { action: "job.cancel", detail: { job: 4 } });
    expect(listAuditEvents(db, { limit: 10 })[0]?.detail).toEqual({ job: 4 });
  });
});
