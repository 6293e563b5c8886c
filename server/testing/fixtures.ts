/** Test helpers: a real migrated database and the smallest objects a test needs. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { users } from "@/db/schema";
import { type Db, openDb } from "@/server/db";
import type { ImportLine } from "@/server/domain/import/arbiter-format";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import type { ProjectSettingsInput } from "@/server/domain/schemas";

export function memoryDb(): Db {
  return openDb(":memory:");
}

export function tempDir(prefix = "arbiter-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Inserts an annotator without hashing a password (tests of the queue do not log in). */
export function addAnnotator(db: Db, name: string): number {
  return db
    .insert(users)
    .values({ name, email: `${name}@test.local`, role: "annotator" })
    .returning({ id: users.id })
    .get().id;
}

export function pairItem(n: number, extra: Partial<ImportLine> = {}): ImportLine {
  return {
    id: `item-${n}`,
    prompt: `Question ${n}?`,
    responses: [
      { model: "model-x", text: `Answer ${n} from x` },
      { model: "model-y", text: `Answer ${n} from y` },
    ],
    ...extra,
  };
}

export function writeJsonl(lines: unknown[], dir = tempDir()): string {
  const file = path.join(dir, "items.jsonl");
  fs.writeFileSync(file, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
  return file;
}

/** A project with `count` pairwise items imported through the real importer. */
export function seedProject(db: Db, count: number, settings: Partial<ProjectSettingsInput> = {}) {
  const project = createProject(db, { name: `p-${Math.random().toString(36).slice(2)}`, ...settings });
  const file = writeJsonl(Array.from({ length: count }, (_, i) => pairItem(i)));
  const result = importItems(db, { projectId: project.id, file });
  if (result.errorCount) throw new Error(`seed import failed: ${JSON.stringify(result.errors)}`);
  return project;
}
