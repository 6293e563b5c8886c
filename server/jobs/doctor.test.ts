/** The doctor runs the real trainer interpreter (ARBITER_PYTHON or /usr/bin/python3). */
import { afterEach, describe, expect, it } from "vitest";
import { runDoctor } from "@/server/jobs/doctor";

describe("doctor", () => {
  afterEach(() => {
    delete process.env.ARBITER_TRAIN_NPROC;
  });

  it("reports the interpreter, torch and the processes per job", () => {
    process.env.ARBITER_TRAIN_NPROC = "2";
    const d = runDoctor();
    expect(d.ok, d.error ?? "").toBe(true);
    expect(d.report?.torch).toMatch(/^\d+\.\d+/);
    expect(d.train_processes).toBe(2);
    if (d.report?.devices.length === 0) expect(d.missing.some((m) => m.startsWith("cuda:"))).toBe(true);
  });

  it("says when the interpreter cannot run the trainer", () => {
    process.env.ARBITER_PYTHON = "/nonexistent/python3";
    try {
      const d = runDoctor();
      expect(d.ok).toBe(false);
      expect(d.error).toMatch(/\/nonexistent\/python3 cannot run arbiter_trainer/);
    } finally {
      delete process.env.ARBITER_PYTHON;
    }
  });
});
