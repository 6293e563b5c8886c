/**
 * The training form's data choice and defaults. The loss follows the tie policy unless the researcher
 * picks one: kept ties need the tie-aware loss (plain Bradley-Terry skips every tie), dropped ties
 * leave nothing for it to learn, so plain Bradley-Terry is the default then.
 */

/** What the train form sends as `data` (server/domain/training/training-data.ts, zTrainingSource). */
export type DataSource =
  | {
      source: "filters";
      policies: {
        ties: "keep" | "drop";
        bothBad: "keep" | "drop";
        kway: "all-pairs" | "best-vs-rest";
        aggregate: "all" | "majority";
        minVotes: number;
        criterion?: string;
        margin: boolean;
      };
    }
  | { source: "snapshot"; snapshotId: number };

export type Filters = Extract<DataSource, { source: "filters" }>;

/** As the server's zTrainingPolicies defaults: ties kept for training (unlike an export). */
export const DEFAULT_FILTERS: Filters = {
  source: "filters",
  policies: { ties: "keep", bothBad: "drop", kway: "all-pairs", aggregate: "all", minVotes: 1, margin: false },
};

export const LOSSES = ["bt", "bt-ties"] as const;
export type Loss = (typeof LOSSES)[number];

/**
 * The loss that matches the data: "bt-ties" (Bradley-Terry + Davidson) whenever ties may be in it
 * (kept by the filters, or whatever an export snapshot holds: without ties it reduces to plain
 * Bradley-Terry), "bt" when the filters drop them.
 */
export function lossFor(data: DataSource): Loss {
  return data.source === "filters" && data.policies.ties === "drop" ? "bt" : "bt-ties";
}

/** True when the chosen loss throws away judgments the data keeps (plain BT with ties kept). */
export function lossSkipsTies(loss: Loss, data: DataSource): boolean {
  return loss === "bt" && data.source === "filters" && data.policies.ties === "keep";
}
