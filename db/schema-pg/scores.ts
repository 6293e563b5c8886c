import { bigint, doublePrecision, pgTable, uniqueIndex } from "drizzle-orm/pg-core";
import { unixNow } from "./columns";
import { models } from "./jobs";
import { responses } from "./projects";

/**
 * A reward model's score of one stored response, kept so that model-vs-human agreement, queue
 * ordering and the scored-dataset export never score the same response twice. `reward` is normalized
 * with the model's saved eval mean/std; `rewardRaw` is the head's output.
 */
export const responseScores = pgTable(
  "response_scores",
  {
    modelId: bigint("model_id", { mode: "number" })
      .notNull()
      .references(() => models.id),
    responseId: bigint("response_id", { mode: "number" })
      .notNull()
      .references(() => responses.id),
    reward: doublePrecision("reward").notNull(),
    rewardRaw: doublePrecision("reward_raw").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [uniqueIndex("response_scores_pk").on(t.modelId, t.responseId)],
);
