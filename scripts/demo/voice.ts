/**
 * Light, rule-based rewording so two models working from the same answer material don't produce
 * word-for-word identical paragraphs. Code (fenced or inline) is never touched.
 */
import type { Rng } from "./rng";

/** Apply `fn` to the prose parts of a markdown text, leaving code spans and fences alone. */
export function mapProse(text: string, fn: (prose: string) => string): string {
  return text
    .split(/(```[\s\S]*?```|`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : fn(part)))
    .join("");
}

const EXPANSIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b([Ii])t's\b/g, "$1t is"],
  [/\b([Tt])hat's\b/g, "$1hat is"],
  [/\b([Tt])here's\b/g, "$1here is"],
  [/\b([Yy])ou're\b/g, "$1ou are"],
  [/\b([Yy])ou'll\b/g, "$1ou will"],
  [/\b([Tt])hey're\b/g, "$1hey are"],
  [/\b([Ww])e're\b/g, "$1e are"],
  [/\b([Dd])on't\b/g, "$1o not"],
  [/\b([Dd])oesn't\b/g, "$1oes not"],
  [/\b([Ii])sn't\b/g, "$1s not"],
  [/\b([Aa])ren't\b/g, "$1re not"],
  [/\b([Ww])on't\b/g, "$1ill not"],
  [/\b([Cc])an't\b/g, "$1annot"],
  [/\b([Ss])houldn't\b/g, "$1hould not"],
  [/\b([Hh])aven't\b/g, "$1ave not"],
];

const BOREALIS_SWAPS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\busually\b/g, "typically"],
  [/\bUsually\b/g, "Typically"],
  [/\boften\b/g, "frequently"],
  [/\broughly\b/g, "approximately"],
  [/\bmake sure\b/g, "ensure"],
  [/\bMake sure\b/g, "Ensure"],
  [/\bUse (a|an|the)\b/g, "Utilize $1"],
  [/ use (a|an|the) /g, " utilize $1 "],
  [/^But /gm, "However, "],
  [/\. But /g, ". However, "],
  [/^Also, /gm, "Additionally, "],
  [/\blots of\b/g, "a significant amount of"],
];

const BOREALIS_FILLERS = ["Essentially, ", "In simple terms, ", "It is important to note that ", "Put simply, ", "At its core, "];

/** Sentence openers that can safely be lower-cased after a filler (not proper nouns). */
const SAFE_OPENERS = new Set([
  "The",
  "A",
  "An",
  "This",
  "That",
  "These",
  "Those",
  "It",
  "Each",
  "Every",
  "Most",
  "Many",
  "Some",
  "When",
  "If",
  "With",
  "Both",
  "Your",
  "You",
  "Using",
  "Since",
  "Because",
  "Sound",
  "Water",
  "Light",
  "Molecules",
  "Bacteria",
  "Viruses",
  "Distance",
  "Decision",
  "Distance-based",
  "Scores",
  "Boiling",
]);

function isProseParagraph(p: string): boolean {
  return p.length > 60 && /^[A-Z]/.test(p) && !/^(#|-|\*|\d+\.|\||>)/.test(p);
}

/** Borealis: formal, no contractions, stock connectives, the odd filler phrase. */
export function borealisVoice(text: string, rng: Rng): string {
  let fillers = 0;
  const paragraphs = text.split(/\n\n/).map((p, i) => {
    if (i === 0 || fillers >= 2 || !isProseParagraph(p) || !rng.chance(0.35)) return p;
    const first = p.split(/\s/)[0] ?? "";
    if (!SAFE_OPENERS.has(first)) return p;
    fillers++;
    return `${rng.pick(BOREALIS_FILLERS)}${first.toLowerCase()}${p.slice(first.length)}`;
  });
  return mapProse(paragraphs.join("\n\n"), (prose) => {
    let out = prose;
    for (const [re, to] of EXPANSIONS) out = out.replace(re, to);
    for (const [re, to] of BOREALIS_SWAPS) out = out.replace(re, to);
    return out;
  });
}

/** Drift: less polished punctuation. */
export function driftVoice(text: string): string {
  return mapProse(text, (prose) => prose.replace(/ — /g, " - ").replace(/; /g, ", ").replace(/’/g, "'"));
}
