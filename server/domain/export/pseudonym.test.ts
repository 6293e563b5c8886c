import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "@/server/db";
import { memoryDb, tempDir } from "@/server/testing/fixtures";
import { pseudonymizer, pseudonymKey, pseudonymKeyFile } from "./pseudonym";

describe("pseudonym key", () => {
  const saved = process.env.ARBITER_PSEUDONYM_KEY;
  afterEach(() => {
    if (saved === undefined) delete process.env.ARBITER_PSEUDONYM_KEY;
    else process.env.ARBITER_PSEUDONYM_KEY = saved;
  });

  it("creates a random secret beside the database on first use and reuses it across connections", () => {
    delete process.env.ARBITER_PSEUDONYM_KEY;
    const file = path.join(tempDir(), "a.db");
    const first = openDb(file);
    const key = pseudonymKey(first);
    first.$client.close();
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(key).not.toBe("arbiter-export");
    const stored = pseudonymKeyFile(file);
    expect(fs.readFileSync(stored, "utf8")).toBe(key);
    expect(fs.statSync(stored).mode & 0o777).toBe(0o600);
    const again = openDb(file);
    expect(pseudonymKey(again)).toBe(key);
    expect(pseudonymizer(pseudonymKey(again), 1)(7)).toBe(pseudonymizer(key, 1)(7));
    again.$client.close();
  });

  it("two databases in different folders get different keys, so their pseudonyms differ", () => {
    delete process.env.ARBITER_PSEUDONYM_KEY;
    const a = openDb(path.join(tempDir(), "a.db"));
    const b = openDb(path.join(tempDir(), "b.db"));
    expect(pseudonymizer(pseudonymKey(a), 1)(7)).not.toBe(pseudonymizer(pseudonymKey(b), 1)(7));
  });

  it("ARBITER_PSEUDONYM_KEY wins and no key file is written", () => {
    process.env.ARBITER_PSEUDONYM_KEY = "a-long-secret-from-the-environment";
    const file = path.join(tempDir(), "c.db");
    const db = openDb(file);
    expect(pseudonymKey(db)).toBe("a-long-secret-from-the-environment");
    expect(fs.existsSync(pseudonymKeyFile(file))).toBe(false);
  });

  it("an in-memory database keeps one key for its connection", () => {
    delete process.env.ARBITER_PSEUDONYM_KEY;
    const db = memoryDb();
    expect(pseudonymKey(db)).toBe(pseudonymKey(db));
    expect(pseudonymKey(db)).not.toBe(pseudonymKey(memoryDb()));
  });

  it("pseudonyms are stable per project and differ across projects and annotators", () => {
    const p = pseudonymizer("k".repeat(32), 1);
    expect(p(1)).toMatch(/^ann_[0-9a-f]{12}$/);
    expect(p(1)).toBe(pseudonymizer("k".repeat(32), 1)(1));
    expect(p(1)).not.toBe(p(2));
    expect(p(1)).not.toBe(pseudonymizer("k".repeat(32), 2)(1));
  });
});
