/**
 * The interface's messages for one locale: the core file `messages/<locale>.json` (navigation, sign-in,
 * annotate, /me) merged with one file per area: `<locale>.admin.json` (admin pages), `.data.json`
 * (exports and quality), `.research.json`, `.models.json`, `.live.json` (conversations, arena,
 * rewrites), so that areas are translated and reviewed separately.
 * Each file holds distinct top-level namespaces; a namespace defined twice is a mistake and throws.
 */
import type { Locale } from "./locale";

export const MESSAGE_AREAS = ["", "admin", "data", "research", "models", "live"] as const;

type Messages = Record<string, unknown>;

export async function loadMessages(locale: Locale): Promise<Messages> {
  const files = await Promise.all(
    MESSAGE_AREAS.map(async (area) => {
      const name = area ? `${locale}.${area}` : locale;
      return { name, messages: (await import(`../messages/${name}.json`)).default as Messages };
    }),
  );
  return mergeAreas(files);
}

/** Merges per-area message files; refuses a namespace that two files define. */
export function mergeAreas(files: { name: string; messages: Messages }[]): Messages {
  const merged: Messages = {};
  const owner = new Map<string, string>();
  for (const { name, messages } of files) {
    for (const [namespace, value] of Object.entries(messages)) {
      const first = owner.get(namespace);
      if (first) throw new Error(`messages/${name}.json: namespace "${namespace}" is already defined in messages/${first}.json`);
      owner.set(namespace, name);
      merged[namespace] = value;
    }
  }
  return merged;
}
