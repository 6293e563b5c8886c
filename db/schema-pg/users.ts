import { sql } from "drizzle-orm";
import { type AnyPgColumn, bigint, boolean, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ROLES } from "../schema/users";
import { unixNow } from "./columns";

/**
 * People who log in, and external annotators (AI judges, other tools' raters) who never do:
 * an external annotator has `external = true`, a name, and no email or password.
 */
export const users = pgTable(
  "users",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    email: text("email"),
    name: text("name").notNull(),
    passwordHash: text("password_hash"),
    role: text("role", { enum: ROLES }).notNull(),
    external: boolean("external").notNull().default(false),
    disabledAt: bigint("disabled_at", { mode: "number" }),
    /** Raised to end every session at once (sign-out, disabling); a session token carries the version it was issued under. */
    sessionVersion: bigint("session_version", { mode: "number" }).notNull().default(0),
    /** The annotator group an admin put this person in (one at most, so statistics split cleanly). */
    groupId: bigint("group_id", { mode: "number" }).references((): AnyPgColumn => annotatorGroups.id),
    // Optional, self-described on /me: what the person says about themselves, never required.
    language: text("language"),
    expertise: text("expertise"),
    region: text("region"),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    uniqueIndex("users_external_name_unique").on(t.name).where(sql`external = true`),
    index("users_role_idx").on(t.role),
  ],
);

/**
 * An invite link for a new account. Only the sha256 of the token is stored; the link is shown once.
 * It expires, and works once.
 */
export const invites = pgTable(
  "invites",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    tokenHash: text("token_hash").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    email: text("email"),
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
    expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
    usedAt: bigint("used_at", { mode: "number" }),
    usedBy: bigint("used_by", { mode: "number" }).references(() => users.id),
  },
  (t) => [uniqueIndex("invites_token_hash_unique").on(t.tokenHash)],
);

/**
 * An admin-defined annotator group ("medical experts", "zh-native"): statistics and exports split by
 * it, and a project may require it, so a dataset can say whose preferences it holds.
 */
export const annotatorGroups = pgTable(
  "annotator_groups",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdBy: bigint("created_by", { mode: "number" }).references((): AnyPgColumn => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [uniqueIndex("annotator_groups_name_unique").on(t.name)],
);
