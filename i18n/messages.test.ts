import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LOCALES } from "./locale";
import { MESSAGE_AREAS, mergeAreas } from "./messages";

const dir = path.join(__dirname, "..", "messages");
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8")) as Record<string, unknown>;

/** Every key path of a nested message object, "a.b.c". */
function keys(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe("messages", () => {
  it.each(MESSAGE_AREAS.filter(Boolean).concat([""]))("area %s has the same keys in every language", (area) => {
    const [first, ...rest] = LOCALES.map((l) => keys(read(area ? `${l}.${area}` : l)).sort());
    for (const other of rest) expect(other).toEqual(first);
  });

  it("merges areas and refuses a namespace defined twice", () => {
    expect(
      mergeAreas([
        { name: "en", messages: { a: { x: "1" } } },
        { name: "en.admin", messages: { b: { y: "2" } } },
      ]),
    ).toEqual({
      a: { x: "1" },
      b: { y: "2" },
    });
    expect(() =>
      mergeAreas([
        { name: "en", messages: { a: {} } },
        { name: "en.admin", messages: { a: {} } },
      ]),
    ).toThrow(/namespace "a" is already defined in messages\/en.json/);
  });
});
