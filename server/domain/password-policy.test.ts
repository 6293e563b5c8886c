import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { memoryDb, tempDir } from "@/server/testing/fixtures";
import { COMMON_PASSWORDS } from "./common-passwords";
import { assertPasswordAllowed, DEMO_PASSWORDS, MAX_PASSWORD_LENGTH, passwordProblem } from "./password-policy";
import { createUser, verifyCredentials } from "./users";

const annotator = { email: "maria.lopez@lab.org", role: "annotator" as const };
const admin = { email: "root@lab.org", role: "admin" as const };

describe("passwordProblem (NIST SP 800-63B)", () => {
  it("asks 8 characters of annotators and 12 of admins and researchers, counting code points, up to 128", () => {
    expect(passwordProblem("tidal-or", annotator)).toBeNull();
    expect(passwordProblem("tidal-o", annotator)).toMatch(/at least 8 characters \(this one has 7\)/);
    expect(passwordProblem("tidal-orchid", admin)).toBeNull();
    expect(passwordProblem("tidal-orchi", admin)).toMatch(/at least 12 characters for an admin account/);
    expect(passwordProblem("tidal-orchi", { ...admin, role: "researcher" })).toMatch(/at least 12 characters for a researcher account/);
    // Eight emoji are eight characters (sixteen UTF-16 units): length counts what people typed.
    expect(passwordProblem("🦊🌵🎻🚲🧊🪁🍋🛶", annotator)).toBeNull();
    expect(passwordProblem("🦊🌵🎻🚲🧊🪁🍋", annotator)).toMatch(/has 7/);
    expect(passwordProblem("x".repeat(60) + "y".repeat(4) + "z".repeat(MAX_PASSWORD_LENGTH - 64), annotator)).toBeNull();
    expect(passwordProblem(`${"q9".repeat(MAX_PASSWORD_LENGTH / 2)}w`, annotator)).toMatch(/at most 128/);
  });

  it("has no composition rules: lower-case words alone pass, symbols are not required", () => {
    expect(passwordProblem("correct horse battery staple", admin)).toBeNull();
    expect(passwordProblem("purple lantern", annotator)).toBeNull();
  });

  it("refuses the most common passwords in any case, and with digits or symbols tacked on", () => {
    for (const pw of ["password", "PassWord", "12345678", "baseball", "iloveyou", "trustno1"]) {
      expect(passwordProblem(pw, annotator), pw).toMatch(/most common passwords/);
    }
    expect(passwordProblem("password1234", annotator)).toMatch(/common password \("password"\) with a few characters added/);
    expect(passwordProblem("Football2024!", annotator)).toMatch(/\("football"\)/);
    expect(passwordProblem("!!sunshine", annotator)).toMatch(/\("sunshine"\)/);
  });

  it("refuses runs of one character and sequences", () => {
    for (const pw of ["kkkkkkkkkk", "mnopqrstu", "76543210", "zzzzzzzzzzzzzz"])
      expect(passwordProblem(pw, annotator), pw).toMatch(/sequence/);
    expect(passwordProblem("mnopqrsx", annotator)).toBeNull();
  });

  it("refuses the email's name (4 characters or more) and the service's name", () => {
    expect(passwordProblem("Maria.Lopez-2025", annotator)).toMatch(/email name \("maria.lopez"\)/);
    expect(passwordProblem("my arbiter login", annotator)).toMatch(/service's name/);
    // A short email name ("al") would forbid half the dictionary: it is not checked.
    expect(passwordProblem("always-crimson", { email: "al@lab.org", role: "annotator" })).toBeNull();
  });

  it("refuses the demo's public passwords", () => {
    for (const pw of DEMO_PASSWORDS) expect(passwordProblem(pw, annotator)).toMatch(/demo's public passwords/);
  });

  it("names the password field in the error", () => {
    expect(() => assertPasswordAllowed("password1", annotator)).toThrow(/^password: /);
    try {
      assertPasswordAllowed("short", annotator);
    } catch (e) {
      expect((e as { code: string; issues: unknown[] }).code).toBe("BAD_INPUT");
      expect((e as { issues: unknown[] }).issues).toEqual([{ field: "password", message: expect.stringMatching(/at least 8/) }]);
    }
  });

  it("ships the 10,000-entry list it names", () => {
    const lines = COMMON_PASSWORDS.split("\n").filter(Boolean);
    expect(lines).toHaveLength(10_000);
    expect(lines.slice(0, 3)).toEqual(["password", "123456", "12345678"]);
    expect(lines.every((l) => l === l.toLowerCase())).toBe(true);
  });
});

describe("accounts and the policy", () => {
  it("createUser applies it; demo accounts take only demo passwords, and only when asked for", async () => {
    const db = memoryDb();
    await expect(createUser(db, { email: "root@lab.org", password: "password1234", role: "admin" })).rejects.toThrow(/password: /);
    await expect(createUser(db, { email: "root@lab.org", password: "demo-admin-pass", role: "admin" })).rejects.toThrow(/demo/);
    await expect(createUser(db, { email: "root@lab.org", password: "a-fine-long-secret", role: "admin" }, { demo: true })).rejects.toThrow(
      /a demo account takes a demo password/,
    );
    const demo = await createUser(db, { email: "admin@arbiter.local", password: "demo-admin-pass", role: "admin" }, { demo: true });
    expect(await verifyCredentials(db, "admin@arbiter.local", "demo-admin-pass")).toEqual(demo);
  });

  it("the demo seed's passwords are the ones the policy knows as demo passwords", () => {
    // scripts/seed-demo.ts runs its seed when imported, so its account list is read as text.
    const seed = fs.readFileSync(path.join("scripts", "seed-demo.ts"), "utf8");
    const seeded = [...seed.matchAll(/password: "([^"]+)"/g)].map((m) => m[1]);
    expect(seeded.length).toBeGreaterThanOrEqual(3);
    for (const pw of seeded) expect(DEMO_PASSWORDS).toContain(pw);
  });

  it("the CLI's user:add refuses a weak password with a one-line error naming the field, exit 1", () => {
    const db = path.join(tempDir(), "cli.db");
    const run = (password: string) =>
      spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "scripts/arbiter.ts",
          "user:add",
          "--db",
          db,
          "--email",
          "ops@lab.org",
          "--password",
          password,
          "--role",
          "admin",
        ],
        { encoding: "utf8" },
      );
    const weak = run("qwerty123456");
    expect(weak.status).toBe(1);
    expect(weak.stderr.trim().split("\n")[0]).toBe(
      'error: password: this is a common password ("qwerty") with a few characters added; choose one that is harder to guess',
    );
    expect(run("short-one").stderr).toMatch(/^error: password: use at least 12 characters for an admin account \(this one has 9\)/);
    expect(run("glacier-orchid-tram").status).toBe(0);
  }, 60_000);
});

describe("passwordProblem after normalization (security round 2)", () => {
  it("refuses common passwords spelled with look-alikes, with a character tacked on, or in compatibility forms", () => {
    for (const pw of ["P@ssw0rd!", "12345678a", "trustno1x", "$unsh1ne99", "ＰＡＳＳＷＯＲＤ", "Pa$$w0rd2024", "f00tb@ll"]) {
      expect(passwordProblem(pw, annotator), pw).toMatch(/common password/);
    }
  });

  it("still accepts passphrases and random strings that merely contain digits or symbols", () => {
    for (const pw of ["tidal-orchid", "correct horse battery staple", "k7#vQ9!mZp", "g0ld3n-l4nt3rn-r1ver"]) {
      expect(passwordProblem(pw, annotator), pw).toBeNull();
    }
  });
});
