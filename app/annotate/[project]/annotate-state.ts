/**
 * The annotate screen as a state machine (after Open-Assistant's Task.tsx): one reducer over a
 * discriminated union, so every key press and server answer moves between well-defined phases.
 */
import type { Content } from "@/db/schema";
import type { ContentHtml } from "@/server/domain/model-text";

export type PairOutcome = "a" | "b" | "tie" | "both_bad";
/** Raw text (for excerpts and rewrites) and the server's rendering of it (what is shown). */
export type Item = {
  assignmentId: number;
  deadline: number;
  prompt: Content;
  promptHtml: ContentHtml;
  responses: { position: number; content: Content; html: ContentHtml }[];
};
export type Progress = { mine: number; doneSlots: number; targetSlots: number };

export type Draft = {
  outcome?: PairOutcome;
  strength?: number;
  /** K > 2: shown positions, best first. */
  ranking: number[];
  rankingTouched: boolean;
  /** K > 2: the response the arrow keys move. */
  selected?: number;
  criteria: Record<string, PairOutcome>;
  rationale: string;
};

/** `revising`: the judgment this draft will supersede (Undo, or Revise from /me); absent for a new item. */
type Working = { item: Item; draft: Draft; submissionId: string; shownAt: number; error?: string; revising?: number };

/** After a missed check item: the accepted answers in shown positions ("a", "b:3", "[2,0,1]") and why. */
export type Feedback = { correct: false; explanation: string; explanationHtml: string; accepted: string[] };

export type State =
  | { phase: "loading" }
  | ({ phase: "judging" } & Working)
  | ({ phase: "confirming" } & Working)
  | ({ phase: "submitting" } & Working)
  | { phase: "empty" }
  /** The answer missed: show why before moving on to `next` (null: the queue is empty). */
  | { phase: "feedback"; item: Item; feedback: Feedback; next: Item | null }
  | { phase: "failed"; message: string };

export type Action =
  | { type: "loaded"; item: Item | null; now: number; submissionId: string }
  | { type: "revise"; item: Item; draft: Draft; judgmentId: number; now: number; submissionId: string }
  | { type: "outcome"; outcome: PairOutcome }
  | { type: "strength"; strength: number }
  | { type: "clear" }
  | { type: "criterion"; name: string; outcome: PairOutcome }
  | { type: "rationale"; text: string }
  | { type: "select"; position: number }
  | { type: "move"; position: number; delta: -1 | 1 }
  | { type: "place"; position: number; index: number }
  | { type: "confirm" }
  | { type: "cancel" }
  | { type: "submitting" }
  | { type: "error"; message: string }
  | { type: "feedback"; feedback: Feedback; next: Item | null }
  | { type: "continue"; now: number; submissionId: string }
  | { type: "failed"; message: string };

export function emptyDraft(k: number): Draft {
  return { ranking: Array.from({ length: k }, (_, i) => i), rankingTouched: false, criteria: {}, rationale: "" };
}

/** A stored answer (in shown positions) as a draft to change: the earlier choices are preselected. */
export function draftFromAnswer(
  k: number,
  answer: { outcome?: PairOutcome; ranking?: number[]; strength: number | null; criteria: Record<string, PairOutcome>; rationale: string },
): Draft {
  const base = emptyDraft(k);
  return {
    ...base,
    outcome: answer.outcome,
    strength: answer.strength ?? undefined,
    ranking: answer.ranking && answer.ranking.length === k ? answer.ranking : base.ranking,
    rankingTouched: answer.ranking !== undefined,
    criteria: answer.criteria,
    rationale: answer.rationale,
  };
}

function moveTo(ranking: number[], position: number, index: number): number[] {
  const rest = ranking.filter((p) => p !== position);
  const at = Math.max(0, Math.min(rest.length, index));
  return [...rest.slice(0, at), position, ...rest.slice(at)];
}

export function reducer(state: State, action: Action): State {
  if (action.type === "loaded") {
    if (!action.item) return { phase: "empty" };
    return {
      phase: "judging",
      item: action.item,
      draft: emptyDraft(action.item.responses.length),
      submissionId: action.submissionId,
      shownAt: action.now,
    };
  }
  if (action.type === "revise") {
    return {
      phase: "judging",
      item: action.item,
      draft: action.draft,
      submissionId: action.submissionId,
      shownAt: action.now,
      revising: action.judgmentId,
    };
  }
  if (action.type === "failed") return { phase: "failed", message: action.message };
  if (action.type === "continue") {
    if (state.phase !== "feedback") return state;
    return reducer(state, { type: "loaded", item: state.next, now: action.now, submissionId: action.submissionId });
  }
  if (action.type === "feedback") {
    if (state.phase !== "submitting") return state;
    return { phase: "feedback", item: state.item, feedback: action.feedback, next: action.next };
  }
  if (state.phase !== "judging" && state.phase !== "confirming" && state.phase !== "submitting") return state;
  const d = state.draft;
  switch (action.type) {
    case "submitting":
      return { ...state, phase: "submitting", error: undefined };
    case "error":
      return { ...state, phase: "judging", error: action.message };
    case "confirm":
      return { ...state, phase: "confirming" };
    case "cancel":
      return { ...state, phase: "judging" };
    default:
  }
  if (state.phase === "submitting") return state; // no edits while the answer is on its way
  const edit = (draft: Draft): State => ({ ...state, phase: "judging", draft, error: undefined });
  switch (action.type) {
    case "outcome":
      // A different winner asks for its strength again (the next 1–4 picks it), as on a first choice.
      return edit({ ...d, outcome: action.outcome, strength: action.outcome === d.outcome ? d.strength : undefined });
    case "strength":
      return edit({ ...d, strength: action.strength });
    case "clear":
      return edit({ ...d, outcome: undefined, strength: undefined });
    case "criterion":
      return edit({ ...d, criteria: { ...d.criteria, [action.name]: action.outcome } });
    case "rationale":
      return edit({ ...d, rationale: action.text });
    case "select":
      return edit({ ...d, selected: action.position });
    case "move": {
      const at = d.ranking.indexOf(action.position);
      return edit({
        ...d,
        ranking: moveTo(d.ranking, action.position, at + action.delta),
        rankingTouched: true,
        selected: action.position,
      });
    }
    case "place":
      return edit({ ...d, ranking: moveTo(d.ranking, action.position, action.index), rankingTouched: true });
    default:
      return state;
  }
}

export type Settings = { strengthScale: boolean; rationalePolicy: "off" | "optional" | "required" };

/** What still stops the draft from being submitted (a key of the "annotate.missing" messages), or null when it is complete. */
export type Missing = "outcome" | "strength" | "rationale";
export function missing(draft: Draft, k: number, settings: Settings): Missing | null {
  if (k === 2) {
    if (!draft.outcome) return "outcome";
    if (settings.strengthScale && (draft.outcome === "a" || draft.outcome === "b") && !draft.strength) return "strength";
  }
  if (settings.rationalePolicy === "required" && draft.rationale.trim() === "") return "rationale";
  return null;
}

/** The letter a shown position goes by: A, B, C… */
export function letter(position: number): string {
  return String.fromCharCode(65 + position);
}
