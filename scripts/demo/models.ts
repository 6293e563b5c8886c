/** The four fictional models whose responses populate the demo data. */

export const DEMO_MODELS = ["atlas-7b", "borealis-13b", "cirrus-70b-instruct", "drift-3b"] as const;
export type DemoModel = (typeof DEMO_MODELS)[number];

export interface DemoModelProfile {
  model: DemoModel;
  /** One-line personality, as a lab would describe the checkpoint. */
  description: string;
  /** Rough mean quality in [0, 1]; judges prefer higher. */
  typicalQuality: number;
}

export const DEMO_MODEL_PROFILES: Record<DemoModel, DemoModelProfile> = {
  "atlas-7b": {
    model: "atlas-7b",
    description: "Concise and usually correct; sometimes too terse to be useful.",
    typicalQuality: 0.65,
  },
  "borealis-13b": {
    model: "borealis-13b",
    description: "Verbose and markdown-heavy: headings, bullet lists and summaries even when asked for brevity.",
    typicalQuality: 0.6,
  },
  "cirrus-70b-instruct": {
    model: "cirrus-70b-instruct",
    description: "Strong and careful: follows the requested format, accurate, appropriately hedged.",
    typicalQuality: 0.88,
  },
  "drift-3b": {
    model: "drift-3b",
    description: "Weak: occasional factual errors and bugs, repetition, truncation, wandering off topic.",
    typicalQuality: 0.28,
  },
};

export function isDemoModel(name: string): name is DemoModel {
  return (DEMO_MODELS as readonly string[]).includes(name);
}
