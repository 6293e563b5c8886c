import { describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import { memoryDb } from "@/server/testing/fixtures";
import { isLoginLocked, MAX_FAILURES, WINDOW_S } from "./login-throttle";

const NOW = 1_800_000_000;

function attempt(db: ReturnType<typeof memoryDb>, action: string, email: string, at: number) {
  db.insert(auditEvents).values({ action, detail: { email }, createdAt: at }).run();
}

describe("isLoginLocked", () => {
  it("locks an account after MAX_FAILURES recent failures, and only that account", () => {
    const db = memoryDb();
    for (let i = 0; i < MAX_FAILURES - 1; i++) attempt(db, "auth.login_failed", "a@x.io", NOW - 60);
    expect(isLoginLocked(db, "a@x.io", NOW)).toBe(false);
    attempt(db, "auth.login_failed", "a@x.io", NOW - 30);
    expect(isLoginLocked(db, "A@X.io", NOW)).toBe(true);
    expect(isLoginLocked(db, "b@x.io", NOW)).toBe(false);
  });

  it("forgets failures older than the window or before a successful sign-in", () => {
    const db = memoryDb();
    for (let i = 0; i < MAX_FAILURES; i++) attempt(db, "auth.login_failed", "a@x.io", NOW - WINDOW_S - 10);
    expect(isLoginLocked(db, "a@x.io", NOW)).toBe(false);
    for (let i = 0; i < MAX_FAILURES; i++) attempt(db, "auth.login_failed", "c@x.io", NOW - 100);
    attempt(db, "auth.login", "c@x.io", NOW - 50);
    expect(isLoginLocked(db, "c@x.io", NOW)).toBe(false);
  });
});
