import { sql } from "drizzle-orm";
import { integer, real, sqliteTable, uniqueIndex } from "drizzle-orm/sqlite-core";
import { models } from "./jobs";
import { responses } from "./projects";

/**
 * A reward model's score of one stored response, kept so that model-vs-human agreement, queue
 * ordering and the scored-dataset export never score the same response twice. `reward` is normalized
 * with the model's saved eval mean/std; `rewardRaw` is the head's output.
 */
export const responseScores = sqliteTable(
  "response_scores",
  {
    modelId: integer("model_id")
      .notNull()
      .references(() => models.id),
    responseId: integer("response_id")
      .notNull()
      .references(() => responses.id),
    reward: real("reward").notNull(),
    rewardRaw: real("reward_raw").notNull(),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [uniqueIndex("response_scores_pk").on(t.modelId, t.responseId)],
);
