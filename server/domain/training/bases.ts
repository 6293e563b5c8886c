/**
 * Which base models a researcher may name (`--base`, the training form, local generators): the built-in
 * `tiny`, a Hugging Face Hub id (`owner/name`, optionally `@revision`; the trainer resolves it through the
 * HF cache), or a local model folder (or its config.json) that lies, after resolving symlinks, under
 * ARBITER_MODELS_DIR or the Hugging Face cache (HF_HOME, default ~/.cache/huggingface; HF_HUB_CACHE too).
 * Anything else is refused, so nobody points the trainer at arbitrary server files.
 * The Hub id pattern is the trainer's (server/trainer/arbiter_trainer/bases.py, `HUB_ID`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AppError } from "@/server/domain/errors";

export type BaseSpec =
  | { kind: "tiny"; base: "tiny" }
  /** `base` is the folder's (or config.json's) real path: what the trainer is given. */
  | { kind: "local"; base: string }
  | { kind: "hub"; base: string };

const HUB_ID = /^(?<repo>[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*)(?:@(?<rev>[A-Za-z0-9_./-]+))?$/;

type Env = Record<string, string | undefined>;

/** Whether `spec` has the form of a Hub id: owner/name[@revision], no "..", no "--" in the repo. */
export function isHubId(spec: string): boolean {
  const m = HUB_ID.exec(spec);
  return m !== null && !spec.includes("..") && !(m.groups?.repo ?? "").includes("--");
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** The folders local bases may come from, as configured (not resolved): ARBITER_MODELS_DIR and the HF cache. */
export function modelRoots(env: Env = process.env): { name: string; dir: string }[] {
  const roots: { name: string; dir: string }[] = [];
  if (env.ARBITER_MODELS_DIR) roots.push({ name: "ARBITER_MODELS_DIR", dir: path.resolve(expandHome(env.ARBITER_MODELS_DIR)) });
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "huggingface");
  roots.push({ name: "the Hugging Face cache (HF_HOME)", dir: path.resolve(expandHome(home)) });
  const hub = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (hub) roots.push({ name: "HF_HUB_CACHE", dir: path.resolve(expandHome(hub)) });
  return roots;
}

function realOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function refuse(spec: string, message: string): never {
  throw new AppError("BAD_INPUT", `base ${JSON.stringify(spec)}: ${message}`, [{ field: "base", message }]);
}

/**
 * Checks a base spec against the allow-list and says what it is. A spec that names an existing path
 * (absolute, relative to the working directory, or ~) is a local base and must lie under a model root
 * after symlinks are resolved; otherwise it must look like a Hub id. Throws AppError BAD_INPUT naming it.
 */
export function validateBaseSpec(input: string, env: Env = process.env): BaseSpec {
  const spec = input.trim();
  if (spec === "tiny") return { kind: "tiny", base: "tiny" };
  if (!spec) refuse(input, 'expected "tiny", a model folder or a Hub id like owner/name');
  if (spec.includes("\0")) refuse(input, "contains a NUL byte");
  const local = path.resolve(expandHome(spec));
  const looksLikePath = path.isAbsolute(spec) || spec.startsWith(".") || spec.startsWith("~");
  const real = realOrNull(local);
  if (real === null) {
    if (looksLikePath || !isHubId(spec)) {
      refuse(spec, looksLikePath ? "no such folder" : "no such folder, and not a Hub id (owner/name[@revision])");
    }
    return { kind: "hub", base: spec };
  }
  const roots = modelRoots(env);
  const inside = roots.some((r) => {
    const root = realOrNull(r.dir);
    return root !== null && within(real, root);
  });
  if (!inside) {
    refuse(spec, `${real} is outside the allowed model folders (${roots.map((r) => `${r.name}: ${r.dir}`).join("; ")})`);
  }
  const stat = fs.statSync(real);
  if (stat.isFile() && path.basename(real) !== "config.json") refuse(spec, `${real} is a file; give the model folder (or its config.json)`);
  return { kind: "local", base: real };
}
