/**
 * tRPC infrastructure, in three parts (after create-t3-app):
 *   1. Context: the database and the signed-in user, read from the session cookie.
 *   2. Initialization: error formatting. AppErrors become tRPC errors with their code and field
 *      issues; anything else is logged and reaches the browser only as a generic message.
 *   3. Procedures: every procedure declares the roles that may call it in `meta.roles`; the one
 *      middleware denies a call whose procedure declares none. There is no public procedure.
 *      A second middleware checks project access for every procedure whose input names a project
 *      (`projectId`): members-only projects and required groups (server/domain/membership.ts).
 */
import type { IncomingHttpHeaders } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import type { Role } from "@/db/schema";
import { getRequestUser } from "@/server/auth";
import type { AnyDb } from "@/server/database";
import { type AppErrorCode, type FieldIssue, isAppError } from "@/server/domain/errors";
import { assertProjectAccess, isStaff } from "@/server/domain/membership";
import type { SessionUser } from "@/server/domain/users";

// 1. Context ------------------------------------------------------------------------------------

export type Context = { db: AnyDb; user: SessionUser | null };

export async function createContext(db: AnyDb, headers: IncomingHttpHeaders): Promise<Context> {
  return { db, user: await getRequestUser(db, headers) };
}

// 2. Initialization -----------------------------------------------------------------------------

/** `roles`: who may call. `public`: anyone, signed in or not (said explicitly, never by default). */
export type Meta = { roles?: readonly Role[]; public?: true };

const CODE_MAP: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_INPUT: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  CONFLICT: "CONFLICT",
  LEASE_EXPIRED: "CONFLICT",
};

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      let issues: FieldIssue[] = [];
      let appCode: AppErrorCode | null = null;
      if (isAppError(cause)) {
        issues = cause.issues;
        appCode = cause.code;
      } else if (error.code === "BAD_REQUEST" && cause && "issues" in cause && Array.isArray(cause.issues)) {
        // zod input errors, flattened to field paths for the client
        issues = (cause.issues as { path: PropertyKey[]; message: string }[]).map((i) => ({
          field: i.path.map(String).join(".") || "(input)",
          message: i.message,
        }));
      }
      const message = error.code === "INTERNAL_SERVER_ERROR" ? "Something went wrong on the server." : shape.message;
      return { ...shape, message, data: { code: shape.data.code, httpStatus: shape.data.httpStatus, appCode, issues } };
    },
  });

/** Rethrows domain errors as tRPC errors; unknown errors are logged and become a generic 500. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (isAppError(cause)) {
      throw new TRPCError({ code: CODE_MAP[cause.code], message: cause.message, cause });
    }
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      console.error(`[trpc] ${path}:`, result.error.cause ?? result.error);
    }
  }
  return result;
});

// 3. Procedures ---------------------------------------------------------------------------------

const authorized = t.middleware(({ ctx, meta, next }) => {
  const roles = meta?.roles;
  if (!roles || roles.length === 0) throw new TRPCError({ code: "FORBIDDEN", message: "This procedure declares no role." });
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  if (!roles.includes(ctx.user.role)) throw new TRPCError({ code: "FORBIDDEN", message: "Your role cannot do this." });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/**
 * Project access, once for every procedure: when the raw input names a project (`projectId`), a
 * caller who may not work on it gets NOT_FOUND, the same answer as for a project that does not
 * exist. Read from the raw input, before the procedure's own parsing, so no procedure can forget
 * it; staff reach every project. server/api/authorization.test.ts enumerates every procedure.
 */
const projectAccess = t.middleware(async ({ ctx, getRawInput, next }) => {
  if (ctx.user && !isStaff(ctx.user.role)) {
    const raw = await getRawInput();
    if (raw !== null && typeof raw === "object" && "projectId" in raw) {
      const id = Number((raw as { projectId: unknown }).projectId);
      if (Number.isInteger(id) && id > 0) await assertProjectAccess(ctx.db, ctx.user, id);
    }
  }
  return next();
});

const base = t.procedure.use(errorMapping).use(authorized).use(projectAccess);

const publicOnly = t.middleware(({ meta, next }) => {
  if (meta?.public !== true) throw new TRPCError({ code: "FORBIDDEN", message: "This procedure declares no role." });
  return next();
});
/** Reachable without signing in (accepting an invite). Each use is listed in the authorization test. */
export const publicProcedure = t.procedure.use(errorMapping).meta({ public: true }).use(publicOnly);

export const ALL_ROLES = ["annotator", "admin", "researcher"] as const satisfies readonly Role[];
/** Anyone signed in: annotators, and staff who judge too. */
export const annotatorProcedure = base.meta({ roles: ALL_ROLES });
/** Admins and researchers reading project data (researchers read everything admins read). */
export const staffProcedure = base.meta({ roles: ["admin", "researcher"] });
/** Admin writes: projects, users, imports. */
export const adminProcedure = base.meta({ roles: ["admin"] });
/** Training, models and scoring. */
export const researcherProcedure = base.meta({ roles: ["researcher"] });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
/** For the authorization test only: a procedure with no declared role, which must be denied. */
export const undeclaredProcedureForTests = base;
