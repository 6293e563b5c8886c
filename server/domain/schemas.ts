/** Zod schemas shared by every boundary (tRPC inputs, CLI flags, imported lines). */
import { z } from "zod";
import { PROJECT_ACCESS, RATIONALE_POLICIES, ROLES } from "@/db/schema";

export const zMessage = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export const zContent = z.union([z.string(), z.array(zMessage).min(1, "a message list needs at least one message")]);

export const zRole = z.enum(ROLES);
export const zId = z.number().int().positive();

export const zProjectSettings = z.object({
  name: z.string().trim().min(1, "a project needs a name").max(200),
  instructions: z.string().max(100_000).default(""),
  criteria: z
    .array(
      z
        .string()
        .trim()
        .min(1)
        .max(40)
        .regex(/^[a-z][a-z0-9_-]*$/, "criteria are lower-case words like helpful or harmless"),
    )
    .max(12)
    .refine((c) => new Set(c).size === c.length, "criteria must be distinct")
    .default([]),
  overlap: z.number().int().min(1).max(50).default(3),
  rationalePolicy: z.enum(RATIONALE_POLICIES).default("optional"),
  strengthScale: z.boolean().default(true),
  goldRate: z.number().min(0).max(1).default(0),
  repeatRate: z.number().min(0).max(0.5).default(0),
  leaseSeconds: z.number().int().min(30).max(86_400).default(900),
  /** `open`: every annotator; `members`: the project's members only (server/domain/membership.ts). */
  access: z.enum(PROJECT_ACCESS).default("open"),
});
export type ProjectSettings = z.infer<typeof zProjectSettings>;
export type ProjectSettingsInput = z.input<typeof zProjectSettings>;

/** A pairwise outcome as the annotator sees it on screen: A/B are shown positions, not stored indices. */
export const zPairOutcome = z.enum(["a", "b", "tie", "both_bad"]);
export type PairOutcome = z.infer<typeof zPairOutcome>;

export const STRENGTHS = [
  { value: 1, label: "slight" },
  { value: 2, label: "moderate" },
  { value: 3, label: "strong" },
  { value: 4, label: "decisive" },
] as const;
export const zStrength = z.number().int().min(1).max(4);
