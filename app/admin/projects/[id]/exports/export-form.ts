/**
 * The export form's state and the request it sends. Ties and both-bad follow the chosen format until
 * the admin picks a policy: raw is the record of every judgment, so it keeps them (as the server's
 * `exportPoliciesFor` does); the pair formats drop them. The form sends what it shows.
 */
export const EXPORT_FORMATS = ["trl", "trl-conversational", "hh", "arena", "raw", "csv", "parquet"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const AGGREGATES = ["all", "majority", "soft", "dawid-skene"] as const;
export type Aggregate = (typeof AGGREGATES)[number];
export type KeepOrDrop = "keep" | "drop";

export type ExportFormState = {
  format: ExportFormat;
  /** null: the admin has not picked one, so the format's default applies. */
  ties: KeepOrDrop | null;
  bothBad: KeepOrDrop | null;
  aggregate: Aggregate;
  kway: "all-pairs" | "best-vs-rest";
  margin: boolean;
  /** An annotator group's name, or "" for every annotator. */
  group: string;
};

export const INITIAL_EXPORT_FORM: ExportFormState = {
  format: "trl",
  ties: null,
  bothBad: null,
  aggregate: "all",
  kway: "all-pairs",
  margin: false,
  group: "",
};

/** What ties and both-bad judgments get when no policy is picked. */
export function defaultKeep(format: ExportFormat): KeepOrDrop {
  return format === "raw" ? "keep" : "drop";
}

/** The policy the form shows (and sends) for ties or both-bad. */
export function shownKeep(state: ExportFormState, field: "ties" | "bothBad"): KeepOrDrop {
  return state[field] ?? defaultKeep(state.format);
}

export function exportRequest(projectId: number, runId: string, state: ExportFormState) {
  return {
    projectId,
    runId,
    format: state.format,
    policies: {
      ties: shownKeep(state, "ties"),
      bothBad: shownKeep(state, "bothBad"),
      aggregate: state.aggregate,
      kway: state.kway,
      margin: state.margin,
    },
    ...(state.group ? { group: state.group } : {}),
  };
}
