/**
 * The trainer's stdout protocol, mirrored from server/trainer/arbiter_trainer/protocol.py: one JSON
 * object per line. Every line is parsed with these schemas; a line that is not one of them is kept in
 * the job log, never trusted. Non-finite floats arrive as null.
 */
import { z } from "zod";

const zNum = z.number().nullable();
const zByKey = z.record(z.string(), zNum);

export const zProgressLine = z.object({
  type: z.literal("progress"),
  step: z.number().int(),
  total: z.number().int(),
  epoch: z.number(),
  loss: zNum,
  accuracy: zNum,
  tokens_per_s: zNum,
  lr: zNum,
});

export const zEvalMetrics = z
  .object({
    eval_loss: zNum,
    eval_accuracy: zNum,
    ece: zNum,
    eval_margin: zNum.optional(),
    n_pairs: z.number().int().optional(),
    n_ties: z.number().int().optional(),
    accuracy_by_criterion: zByKey.optional(),
    accuracy_by_strength: zByKey.optional(),
    accuracy_by_margin: zByKey.optional(),
    reward_mean: zNum.optional(),
    reward_std: zNum.optional(),
  })
  .loose();

export const zEvalLine = zEvalMetrics.extend({ type: z.literal("eval"), epoch: z.number().int(), step: z.number().int() });

export const zCheckpointLine = z.object({ type: z.literal("checkpoint"), step: z.number().int(), path: z.string() });

export const zCancelledLine = z.object({
  type: z.literal("cancelled"),
  step: z.number().int(),
  checkpoint: z.string().nullable(),
});

export const zDoneMetrics = z
  .object({
    eval_accuracy: zNum.optional(),
    eval_loss: zNum.optional(),
    ece: zNum.optional(),
    tokens_per_s: zNum.optional(),
    train_loss: zNum.optional(),
    steps: z.number().int().optional(),
  })
  .loose();

export const zDoneLine = z.object({ type: z.literal("done"), model_dir: z.string(), metrics: zDoneMetrics });

export const zErrorLine = z.object({ type: z.literal("error"), message: z.string() });

export const zTrainLine = z.discriminatedUnion("type", [zProgressLine, zEvalLine, zCheckpointLine, zCancelledLine, zDoneLine, zErrorLine]);

export type ProgressLine = z.infer<typeof zProgressLine>;
export type EvalLine = z.infer<typeof zEvalLine>;
export type DoneLine = z.infer<typeof zDoneLine>;
export type DoneMetrics = z.infer<typeof zDoneMetrics>;
export type TrainLine = z.infer<typeof zTrainLine>;

/** A protocol line, or null when the text is not one (it then belongs in the job log). */
export function parseTrainLine(text: string): TrainLine | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = zTrainLine.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** `python3 -m arbiter_trainer doctor`: what this interpreter can do. */
export const zDoctorReport = z
  .object({
    python: z.object({ executable: z.string(), version: z.string() }).loose(),
    torch: z.string().nullable(),
    transformers: z.string().nullable(),
    peft: z.string().nullable(),
    cuda_available: z.boolean(),
    devices: z.array(z.record(z.string(), z.unknown())),
    missing: z.array(z.string()),
  })
  .loose();
export type DoctorReport = z.infer<typeof zDoctorReport>;

// ---- serve (`python3 -m arbiter_trainer serve --model DIR`) ----------------------------------------

export const zServeReady = z
  .object({ type: z.literal("ready"), model_dir: z.string(), model_type: z.string(), max_length: z.number().int(), device: z.string() })
  .loose();
export const zServeError = z.object({ type: z.literal("error"), id: z.unknown().optional(), message: z.string() });
// Non-finite rewards arrive as null (the trainer writes NaN/inf as null); the pool turns them into errors.
const zScore = z.object({ reward: z.number().nullable(), reward_raw: z.number().nullable() });
export const zServeReward = zScore.extend({ id: z.number().int() });
export const zServeRewards = z.object({ id: z.number().int(), items: z.array(zScore) });
export type ServeReady = z.infer<typeof zServeReady>;
export type Score = z.infer<typeof zScore>;

export type ServeLine =
  | { kind: "ready"; line: ServeReady }
  | { kind: "error"; line: z.infer<typeof zServeError> }
  | { kind: "rewards"; id: number; items: Score[] };

/** A serve worker's stdout line, or null when it is not one (kept for the error message, never trusted). */
export function parseServeLine(text: string): ServeLine | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const ready = zServeReady.safeParse(raw);
  if (ready.success) return { kind: "ready", line: ready.data };
  const error = zServeError.safeParse(raw);
  if (error.success) return { kind: "error", line: error.data };
  const batch = zServeRewards.safeParse(raw);
  if (batch.success) return { kind: "rewards", id: batch.data.id, items: batch.data.items };
  const one = zServeReward.safeParse(raw);
  if (one.success) return { kind: "rewards", id: one.data.id, items: [{ reward: one.data.reward, reward_raw: one.data.reward_raw }] };
  return null;
}
