/**
 * CLI commands for teams (issue #17): members-only projects, annotator groups and a project's
 * required group. Thin shells over server/domain/membership.ts, which audits every change.
 */
import { eq } from "drizzle-orm";
import { PROJECT_ACCESS, type ProjectAccess, users } from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import { AppError } from "@/server/domain/errors";
import { normalizeEmail } from "@/server/domain/login-throttle";
import { createGroup, listGroups, setProjectAccess, setUserGroup, updateProjectMembers } from "@/server/domain/membership";
import { resolveProjectRef } from "@/server/domain/projects";
import type { AnyDbCommand, CliHelpers, Flags } from "./cli-types";

export type MembershipCliHelpers = Pick<CliHelpers, "usageError" | "required">;

/** "a@x.org, b@x.org" → ["a@x.org", "b@x.org"]; an absent flag → []. */
function emailList(flags: Flags, name: string, h: MembershipCliHelpers): string[] {
  const v = flags[name];
  if (v === undefined) return [];
  if (typeof v !== "string") throw h.usageError(`--${name} takes comma-separated emails`);
  return v
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
}

export function membershipCommands(h: MembershipCliHelpers): Record<string, AnyDbCommand> {
  return {
    "project:members": {
      summary: "add or remove members of a project (members-only projects admit only them)",
      usage: "project:members --project ID --add EMAIL[,EMAIL] [--remove EMAIL[,EMAIL]] [--group NAME]",
      options: { project: { type: "string" }, add: { type: "string" }, remove: { type: "string" }, group: { type: "string" } },
      async runAny(db, f) {
        const projectId = await resolveProjectRef(db, h.required(f, "project"));
        const add = emailList(f, "add", h);
        const remove = emailList(f, "remove", h);
        const group = typeof f.group === "string" ? f.group : undefined;
        if (f.add === undefined && f.remove === undefined && group === undefined) {
          throw h.usageError("give --add, --remove or --group");
        }
        const { members } = await updateProjectMembers(db, { projectId, add, remove, group });
        return {
          json: { members },
          text: [
            `project ${projectId}: ${members.length} member(s)`,
            ...members.map((m) => `  ${m.email}${m.group ? ` (${m.group})` : ""}`),
          ].join("\n"),
        };
      },
    },

    "project:access": {
      summary: "open a project to every annotator or to its members only; optionally require a group",
      usage: "project:access --project ID --access open|members [--require-group NAME|none]",
      options: { project: { type: "string" }, access: { type: "string" }, "require-group": { type: "string" } },
      async runAny(db, f) {
        const projectId = await resolveProjectRef(db, h.required(f, "project"));
        const access = h.required(f, "access");
        if (!(PROJECT_ACCESS as readonly string[]).includes(access)) throw h.usageError("--access is open or members");
        const g = f["require-group"];
        const requiredGroup = typeof g === "string" && g !== "none" ? g : null;
        const r = await setProjectAccess(db, { projectId, access: access as ProjectAccess, requiredGroup });
        return { json: r, text: `project ${projectId}: ${r.access}${r.requiredGroup ? `, group ${r.requiredGroup} required` : ""}` };
      },
    },

    "group:create": {
      summary: "define an annotator group (e.g. medical experts, zh-native)",
      usage: "group:create --name NAME [--description TEXT]",
      options: { name: { type: "string" }, description: { type: "string" } },
      async runAny(db, f) {
        const g = await createGroup(db, {
          name: h.required(f, "name"),
          description: typeof f.description === "string" ? f.description : "",
        });
        return { json: { id: g.id, name: g.name }, text: `created group "${g.name}" (id ${g.id})` };
      },
    },

    "group:list": {
      summary: "annotator groups and how many people are in each",
      usage: "group:list",
      options: {},
      async runAny(db) {
        const groups = await listGroups(db);
        return { json: { groups }, text: groups.map((g) => `${g.name}\t${g.members} member(s)`).join("\n") || "no groups" };
      },
    },

    "user:group": {
      summary: "put a user in an annotator group (or none)",
      usage: "user:group --email EMAIL --group NAME|none",
      options: { email: { type: "string" }, group: { type: "string" } },
      async runAny(db, f) {
        const email = normalizeEmail(h.required(f, "email"));
        const user = await runOp(db, (c) => c.first(c.q.select({ id: users.id }).from(users).where(eq(users.email, email))));
        if (!user) throw new AppError("NOT_FOUND", `email: no user with email ${email}`, [{ field: "email", message: "no such user" }]);
        const g = h.required(f, "group");
        const group = g === "none" ? null : g;
        await setUserGroup(db, { userId: user.id, group });
        return { json: { user: user.id, group }, text: `${email}: ${group ?? "no group"}` };
      },
    },
  };
}
