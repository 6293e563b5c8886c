import { bigint, index, pgTable, primaryKey } from "drizzle-orm/pg-core";
import { unixNow } from "./columns";
import { projects } from "./projects";
import { users } from "./users";

/** Who may work on a members-only project (projects.access = 'members'). Staff need no membership. */
export const projectMembers = pgTable(
  "project_members",
  {
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    addedBy: bigint("added_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index("project_members_user_idx").on(t.userId)],
);
