import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, invites } from "@/db/schema";
import { memoryDb } from "@/server/testing/fixtures";
import { acceptInvite, createInvite, describeInvite, listUsers, setUserDisabled, setUserRole } from "./accounts";
import { createUser, getSessionUser, verifyCredentials } from "./users";

const NOW = 1_800_000_000;

async function admin(db: ReturnType<typeof memoryDb>) {
  return (await createUser(db, { email: "boss@x.io", password: "correct-horse-staple", role: "admin" })).id;
}

describe("invites", () => {
  it("creates an account once, with the invited role, and stores only the token's hash", async () => {
    const db = memoryDb();
    const boss = await admin(db);
    const inv = createInvite(db, { role: "annotator", expiresInHours: 1 }, boss, NOW);
    expect(db.select().from(invites).all()[0]?.tokenHash).not.toContain(inv.token);
    expect(describeInvite(db, inv.token, NOW + 10)).toEqual({
      role: "annotator",
      email: null,
      password: { minLength: 8, requirements: expect.stringContaining("At least 8 characters") },
    });
    const user = await acceptInvite(db, { token: inv.token, email: "new@x.io", password: "a-good-password" }, NOW + 10);
    expect(user.role).toBe("annotator");
    expect(await verifyCredentials(db, "new@x.io", "a-good-password")).not.toBeNull();
    await expect(acceptInvite(db, { token: inv.token, email: "again@x.io", password: "a-good-password" }, NOW + 20)).rejects.toThrow(
      /already used/,
    );
    expect(
      db
        .select()
        .from(auditEvents)
        .all()
        .map((e) => e.action),
    ).toEqual(["user.invite", "user.join"]);
  });

  it("refuses expired, unknown and wrong-email invites, and weak passwords, creating nothing", async () => {
    const db = memoryDb();
    const boss = await admin(db);
    const expired = createInvite(db, { expiresInHours: 1 }, boss, NOW);
    await expect(acceptInvite(db, { token: expired.token, email: "a@x.io", password: "a-good-password" }, NOW + 3601)).rejects.toThrow(
      /expired/,
    );
    await expect(acceptInvite(db, { token: "nope", email: "a@x.io", password: "a-good-password" }, NOW)).rejects.toThrow(/not valid/);
    const forBob = createInvite(db, { email: "bob@x.io" }, boss, NOW);
    await expect(acceptInvite(db, { token: forBob.token, email: "eve@x.io", password: "a-good-password" }, NOW)).rejects.toThrow(
      /for bob@x.io/,
    );
    await expect(acceptInvite(db, { token: forBob.token, email: "bob@x.io", password: "short" }, NOW)).rejects.toThrow(/password/);
    await expect(acceptInvite(db, { token: forBob.token, email: "bob@x.io", password: "iloveyou2024" }, NOW)).rejects.toThrow(
      /password: this is a common password/,
    );
    const staff = createInvite(db, { role: "researcher" }, boss, NOW);
    expect(describeInvite(db, staff.token, NOW).password.minLength).toBe(12);
    await expect(acceptInvite(db, { token: staff.token, email: "r@x.io", password: "eleven-char" }, NOW)).rejects.toThrow(
      /at least 12 characters for a researcher account/,
    );
    expect(listUsers(db).map((u) => u.email)).toEqual(["boss@x.io"]);
    expect(db.select().from(invites).where(eq(invites.id, forBob.id)).get()?.usedAt).toBeNull();
  });
});

describe("role changes and disabling", () => {
  it("takes effect on the session user at once, is audited, and never applies to oneself", async () => {
    const db = memoryDb();
    const boss = await admin(db);
    const ann = (await createUser(db, { email: "ann@x.io", password: "ann-password", role: "annotator" })).id;
    setUserRole(db, boss, ann, "researcher");
    expect(getSessionUser(db, ann)?.role).toBe("researcher");
    setUserDisabled(db, boss, ann, true);
    expect(getSessionUser(db, ann)).toBeNull();
    expect(await verifyCredentials(db, "ann@x.io", "ann-password")).toBeNull();
    setUserDisabled(db, boss, ann, false);
    // Disabling revoked the old session (version 0); a session from a new sign-in (version 1) works.
    expect(getSessionUser(db, ann)).toBeNull();
    expect(getSessionUser(db, ann, 1)?.email).toBe("ann@x.io");
    expect(() => setUserRole(db, boss, boss, "annotator")).toThrow(/your own account/);
    expect(
      db
        .select()
        .from(auditEvents)
        .all()
        .map((e) => e.action),
    ).toEqual(["user.role", "user.disable", "session.revoke", "user.enable"]);
  });
});
