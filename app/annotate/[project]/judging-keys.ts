/** The judging keys shared by the pairwise, conversation and arena screens. */
import type { PairOutcome } from "./annotate-state";

/** The pairwise outcomes and their keys; labels are messages "annotate.outcome.<value>". */
export const OUTCOMES: { value: PairOutcome; key: string }[] = [
  { value: "a", key: "1" },
  { value: "b", key: "2" },
  { value: "tie", key: "3" },
  { value: "both_bad", key: "4" },
];

/** Strength 1–4; labels are messages "annotate.strength.<word>". */
export const STRENGTHS = ["slight", "moderate", "strong", "decisive"] as const;

/** The key went to a text field: judging keys must not fire. */
export function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.isContentEditable);
}
