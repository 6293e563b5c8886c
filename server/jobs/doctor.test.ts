/** The doctor runs the real trainer interpreter (ARBITER_PYTHON or /usr/bin/python3). */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { validateBaseSpec } from "@/server/domain/training/bases";
import { listBaseModels, runDoctor } from "@/server/jobs/doctor";
import { tempDir } from "@/server/testing/fixtures";

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

  it("lists the bases in ARBITER_MODELS_DIR and the HF cache; each listed id passes validateBaseSpec", () => {
    const models = tempDir("arbiter-models-");
    const hf = tempDir("arbiter-hf-");
    fs.mkdirSync(path.join(models, "qwen-mini"));
    fs.writeFileSync(path.join(models, "qwen-mini", "config.json"), JSON.stringify({ architectures: ["Qwen2ForCausalLM"] }));
    fs.writeFileSync(path.join(models, "qwen-mini", "chat_template.jinja"), "{{ messages }}");
    const snap = path.join(hf, "hub", "models--o--llama-mini", "snapshots", "abc");
    fs.mkdirSync(snap, { recursive: true });
    fs.writeFileSync(path.join(snap, "config.json"), JSON.stringify({ model_type: "llama" }));
    const saved = { m: process.env.ARBITER_MODELS_DIR, h: process.env.HF_HOME };
    process.env.ARBITER_MODELS_DIR = models;
    process.env.HF_HOME = hf;
    try {
      const { bases, error } = listBaseModels();
      expect(error).toBeNull();
      expect(bases).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: "o/llama-mini", source: "hf-cache", architecture: "llama", has_chat_template: false }),
          expect.objectContaining({ source: "models-dir", architecture: "Qwen2ForCausalLM", has_chat_template: true }),
        ]),
      );
      for (const b of bases) expect(validateBaseSpec(b.id).kind).not.toBe("tiny");
      expect(runDoctor().bases).toHaveLength(bases.length);
    } finally {
      for (const [k, v] of [
        ["ARBITER_MODELS_DIR", saved.m],
        ["HF_HOME", saved.h],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
