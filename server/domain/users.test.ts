import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, users } from "@/db/schema";
import { memoryDb } from "@/server/testing/fixtures";
import { setUserDisabled } from "./accounts";
import { checkLoginLock, isLoginLocked, MAX_FAILURES, MAX_FAILURES_PER_ADDRESS, normalizeEmail } from "./login-throttle";
import { createUser, getSessionUser, revokeSessions, signInWithPassword, verifyCredentials } from "./users";

const PASSWORD = "tidal-orchid-42";

describe("sign-in lockout keyed on the normalized email (security round 2)", () => {
  it("normalizes like the lookup: Unicode whitespace trimmed, NFKC, lower case", () => {
    expect(normalizeEmail(" User@X.org")).toBe("user@x.org");
    expect(normalizeEmail("\u00a0user@x.org\u3000\u200b")).toBe("user@x.org");
    expect(normalizeEmail("ｕｓｅｒ@ｘ.org")).toBe("user@x.org");
  });

  it("after 10 failures, no padded or re-cased variant signs in, and none gets a fresh budget", async () => {
    const db = memoryDb();
    await createUser(db, { email: "user@x.org", password: PASSWORD, role: "annotator" });
    for (let i = 0; i < MAX_FAILURES; i++) {
      const variant = ["user@x.org", " user@x.org", "USER@x.org\t", "\u00a0user@x.org"][i % 4] as string;
      expect((await signInWithPassword(db, { email: variant, password: "wrong-guess-1" })).ok).toBe(false);
    }
    for (const variant of [" user@x.org", "user@x.org ", "User@X.org", "\u2003user@x.org", "ｕｓｅｒ@x.org"]) {
      expect(isLoginLocked(db, variant), variant).toBe(true);
      expect(await signInWithPassword(db, { email: variant, password: PASSWORD }), variant).toEqual({ ok: false, reason: "locked" });
    }
  });

  it("limits failures per address of origin across accounts, and only for that address", async () => {
    const db = memoryDb();
    await createUser(db, { email: "victim@x.org", password: PASSWORD, role: "annotator" });
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      await signInWithPassword(db, { email: `spray-${i}@x.org`, password: "wrong-guess-1", ip: "203.0.113.9" });
    }
    expect(checkLoginLock(db, { email: "victim@x.org", ip: "203.0.113.9" })).toEqual({ locked: true, by: "address" });
    expect(await signInWithPassword(db, { email: "victim@x.org", password: PASSWORD, ip: "203.0.113.9" })).toEqual({
      ok: false,
      reason: "locked",
    });
    const ok = await signInWithPassword(db, { email: "victim@x.org", password: PASSWORD, ip: "198.51.100.7" });
    expect(ok.ok).toBe(true);
    const logged = db.select().from(auditEvents).where(eq(auditEvents.action, "auth.login_failed")).all();
    expect(logged[0]?.detail).toMatchObject({ email: "spray-0@x.org", ip: "203.0.113.9" });
  });
});

describe("sign-in timing (security round 2)", () => {
  async function medianMs(fn: () => Promise<unknown>, n = 5): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[Math.floor(n / 2)] as number;
  }

  it("an unknown or disabled account costs an argon2id verify, like a wrong password", async () => {
    const db = memoryDb();
    const admin = await createUser(db, { email: "admin@x.org", password: "tidal-orchid-boss", role: "admin" });
    const off = await createUser(db, { email: "off@x.org", password: PASSWORD, role: "annotator" });
    await createUser(db, { email: "on@x.org", password: PASSWORD, role: "annotator" });
    setUserDisabled(db, admin.id, off.id, true);
    await verifyCredentials(db, "nobody@x.org", "warm-up-guess"); // the dummy hash is made once
    const wrong = await medianMs(() => verifyCredentials(db, "on@x.org", "wrong-guess-1"));
    const unknown = await medianMs(() => verifyCredentials(db, "nobody@x.org", "wrong-guess-1"));
    const disabled = await medianMs(() => verifyCredentials(db, "off@x.org", PASSWORD));
    expect(unknown).toBeGreaterThan(wrong * 0.5);
    expect(disabled).toBeGreaterThan(wrong * 0.5);
    expect(await verifyCredentials(db, "off@x.org", PASSWORD)).toBeNull();
  });
});

describe("sessions revoked on the server (security round 2)", () => {
  it("a session issued before sign-out or disabling stops working; a new one works", async () => {
    const db = memoryDb();
    const admin = await createUser(db, { email: "admin@x.org", password: "tidal-orchid-boss", role: "admin" });
    const u = await createUser(db, { email: "u@x.org", password: PASSWORD, role: "annotator" });
    const first = await signInWithPassword(db, { email: "u@x.org", password: PASSWORD });
    if (!first.ok) throw new Error("sign-in failed");
    expect(getSessionUser(db, u.id, first.sessionVersion)?.id).toBe(u.id);
    revokeSessions(db, { userId: u.id, reason: "sign-out" });
    expect(getSessionUser(db, u.id, first.sessionVersion)).toBeNull();
    const second = await signInWithPassword(db, { email: "u@x.org", password: PASSWORD });
    if (!second.ok) throw new Error("sign-in failed");
    expect(getSessionUser(db, u.id, second.sessionVersion)?.id).toBe(u.id);
    setUserDisabled(db, admin.id, u.id, true);
    setUserDisabled(db, admin.id, u.id, false);
    // Enabled again, but the session from before the disable stays dead.
    expect(getSessionUser(db, u.id, second.sessionVersion)).toBeNull();
    const revocations = db.select().from(auditEvents).where(eq(auditEvents.action, "session.revoke")).all();
    expect(revocations.map((r) => r.detail.reason)).toEqual(["sign-out", "disabled"]);
  });

  it("a role change applies to the live session at once", async () => {
    const db = memoryDb();
    const u = await createUser(db, { email: "u@x.org", password: PASSWORD, role: "annotator" });
    db.update(users).set({ role: "admin" }).where(eq(users.id, u.id)).run();
    expect(getSessionUser(db, u.id, 0)?.role).toBe("admin");
  });
});
