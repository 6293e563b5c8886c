import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";
import { users } from "./users";

/** Who may work on a members-only project (projects.access = 'members'). Staff need no membership. */
export const projectMembers = sqliteTable(
  "project_members",
  {
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    addedBy: integer("added_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index("project_members_user_idx").on(t.userId)],
);
