/**
 * Gold answers are strings: `a`, `b`, `tie`, `both_bad`, an outcome with a strength (`a:3`), or a
 * K > 2 ranking as JSON (`[2,0,1]`), always in canonical response order (`a` = responses[0]).
 */
import type { Outcome } from "@/db/schema";

/** Whether a judgment is in a gold item's accepted set ("a", "a:3" with strength, or a ranking as JSON). */
export function isGoldCorrect(
  j: { outcome: Outcome; strength: number | null; ranking: number[] | null },
  accepted: readonly string[],
): boolean {
  if (j.outcome === "ranking") return accepted.includes(JSON.stringify(j.ranking));
  if (accepted.includes(j.outcome)) return true;
  return j.strength !== null && accepted.includes(`${j.outcome}:${j.strength}`);
}

/**
 * An accepted answer in the positions the annotator saw (`a` = left): `shownOrder[p]` is the response
 * index shown at position p, so canonical `a` (response 0) becomes the side where it was shown.
 */
export function toShownAnswer(accepted: string, shownOrder: readonly number[]): string {
  const pair = /^(a|b)(:[1-4])?$/.exec(accepted);
  if (pair) {
    const position = shownOrder.indexOf(pair[1] === "a" ? 0 : 1);
    return `${position === 0 ? "a" : "b"}${pair[2] ?? ""}`;
  }
  if (accepted.startsWith("[")) {
    const ranking = JSON.parse(accepted) as number[];
    return JSON.stringify(ranking.map((idx) => shownOrder.indexOf(idx)));
  }
  return accepted;
}
