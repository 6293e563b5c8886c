import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isHubId, modelRoots, validateBaseSpec } from "@/server/domain/training/bases";
import { tempDir } from "@/server/testing/fixtures";

function setup() {
  const models = tempDir("arbiter-models-");
  const hfHome = tempDir("arbiter-hf-");
  const outside = tempDir("arbiter-outside-");
  const model = path.join(models, "qwen-mini");
  fs.mkdirSync(model);
  fs.writeFileSync(path.join(model, "config.json"), "{}");
  const cached = path.join(hfHome, "hub", "models--o--n", "snapshots", "abc");
  fs.mkdirSync(cached, { recursive: true });
  fs.writeFileSync(path.join(outside, "config.json"), "{}");
  return { env: { ARBITER_MODELS_DIR: models, HF_HOME: hfHome }, models, hfHome, outside, model, cached };
}

describe("validateBaseSpec", () => {
  it("takes tiny, Hub ids and folders under ARBITER_MODELS_DIR or the HF cache (by their real path)", () => {
    const { env, model, cached } = setup();
    expect(validateBaseSpec("tiny", env)).toEqual({ kind: "tiny", base: "tiny" });
    expect(validateBaseSpec("Qwen/Qwen2.5-0.5B-Instruct", env)).toEqual({ kind: "hub", base: "Qwen/Qwen2.5-0.5B-Instruct" });
    expect(validateBaseSpec("meta-llama/Llama-3.2-1B@main", env)).toMatchObject({ kind: "hub" });
    expect(validateBaseSpec(model, env)).toEqual({ kind: "local", base: fs.realpathSync(model) });
    expect(validateBaseSpec(path.join(model, "config.json"), env)).toMatchObject({ kind: "local" });
    expect(validateBaseSpec(`${model}/../qwen-mini`, env)).toEqual({ kind: "local", base: fs.realpathSync(model) });
    expect(validateBaseSpec(cached, env)).toEqual({ kind: "local", base: fs.realpathSync(cached) });
  });

  it("refuses paths outside the model folders, symlinks out of them, and what is neither a folder nor a Hub id", () => {
    const { env, models, model, outside } = setup();
    expect(() => validateBaseSpec(outside, env)).toThrow(/is outside the allowed model folders/);
    expect(() => validateBaseSpec("/etc/passwd", env)).toThrow(/base "\/etc\/passwd": .*outside/);
    expect(() => validateBaseSpec(`${models}/../${path.basename(outside)}`, env)).toThrow(/outside/);
    fs.symlinkSync(outside, path.join(models, "escape"));
    expect(() => validateBaseSpec(path.join(models, "escape"), env)).toThrow(/outside/);
    expect(() => validateBaseSpec(path.join(models, "missing"), env)).toThrow(/no such folder/);
    expect(() => validateBaseSpec("./relative/thing", env)).toThrow(/no such folder/);
    expect(() => validateBaseSpec("a/b/c", env)).toThrow(/not a Hub id/);
    expect(() => validateBaseSpec("owner/../name", env)).toThrow(/not a Hub id/);
    expect(() => validateBaseSpec("just-a-name", env)).toThrow(/not a Hub id/);
    expect(() => validateBaseSpec(path.join(model, "notes.txt"), env)).toThrow(/no such folder/);
    fs.writeFileSync(path.join(model, "notes.txt"), "x");
    expect(() => validateBaseSpec(path.join(model, "notes.txt"), env)).toThrow(/is a file/);
    try {
      validateBaseSpec(outside, env);
    } catch (e) {
      expect(e).toMatchObject({ code: "BAD_INPUT", issues: [{ field: "base" }] });
    }
  });

  it("without ARBITER_MODELS_DIR only the HF cache is allowed; HF_HOME defaults under the cache home", () => {
    const { env, model, cached } = setup();
    expect(() => validateBaseSpec(model, { HF_HOME: env.HF_HOME })).toThrow(/outside/);
    expect(validateBaseSpec(cached, { HF_HOME: env.HF_HOME })).toMatchObject({ kind: "local" });
    expect(modelRoots({ XDG_CACHE_HOME: "/x/cache" }).map((r) => r.dir)).toEqual(["/x/cache/huggingface"]);
  });

  it("Hub ids follow the trainer's pattern", () => {
    for (const ok of ["Qwen/Qwen2.5-0.5B", "o/n@v1.0", "a_b/c.d"]) expect(isHubId(ok), ok).toBe(true);
    for (const bad of ["/abs/path", "o/n/x", "o--x/n", "o/n@", "-o/n", "o/", "o/..n"]) expect(isHubId(bad), bad).toBe(false);
  });
});
