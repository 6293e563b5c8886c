import { sql } from "drizzle-orm";
import { type AnySQLiteColumn, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const ROLES = ["annotator", "admin", "researcher"] as const;
export type Role = (typeof ROLES)[number];

/**
 * People who log in, and external annotators (AI judges, other tools' raters) who never do:
 * an external annotator has `external = true`, a name, and no email or password.
 */
export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    email: text("email"),
    name: text("name").notNull(),
    passwordHash: text("password_hash"),
    role: text("role", { enum: ROLES }).notNull(),
    external: integer("external", { mode: "boolean" }).notNull().default(false),
    disabledAt: integer("disabled_at"),
    /** Raised to end every session at once (sign-out, disabling); a session token carries the version it was issued under. */
    sessionVersion: integer("session_version").notNull().default(0),
    /** The annotator group an admin put this person in (one at most, so statistics split cleanly). */
    groupId: integer("group_id").references((): AnySQLiteColumn => annotatorGroups.id),
    // Optional, self-described on /me: what the person says about themselves, never required.
    language: text("language"),
    expertise: text("expertise"),
    region: text("region"),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    uniqueIndex("users_external_name_unique").on(t.name).where(sql`external = 1`),
    index("users_role_idx").on(t.role),
  ],
);

/**
 * An invite link for a new account. Only the sha256 of the token is stored; the link is shown once.
 * It expires, and works once.
 */
export const invites = sqliteTable(
  "invites",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tokenHash: text("token_hash").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    email: text("email"),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    usedBy: integer("used_by").references(() => users.id),
  },
  (t) => [uniqueIndex("invites_token_hash_unique").on(t.tokenHash)],
);

/**
 * An admin-defined annotator group ("medical experts", "zh-native"): statistics and exports split by
 * it, and a project may require it, so a dataset can say whose preferences it holds.
 */
export const annotatorGroups = sqliteTable(
  "annotator_groups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdBy: integer("created_by").references((): AnySQLiteColumn => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [uniqueIndex("annotator_groups_name_unique").on(t.name)],
);
