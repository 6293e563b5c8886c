import { sql } from "drizzle-orm";
import { bigint, index, pgTable, text } from "drizzle-orm/pg-core";
import { jsonText, unixNow } from "./columns";
import { projects } from "./projects";
import { users } from "./users";

/** Who did which admin or researcher action when. Append-only. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    actorId: bigint("actor_id", { mode: "number" }).references(() => users.id),
    action: text("action").notNull(),
    projectId: bigint("project_id", { mode: "number" }).references(() => projects.id),
    detail: jsonText("detail").$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [index("audit_events_created_idx").on(t.createdAt)],
);
