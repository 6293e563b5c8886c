import { and, eq } from "drizzle-orm";
import { annotatorExclusions, users } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";

export interface ExclusionInput {
  projectId: number;
  userId: number;
  /** true excludes the annotator from the project's statistics and exports; false takes them back. */
  excluded: boolean;
  reason?: string;
  actorId?: number | null;
}

/** Excludes an annotator from (or re-includes them in) a project's statistics and exports; audited. */
export const setAnnotatorExclusion = domainOp(function* setAnnotatorExclusion(c: Conn, input: ExclusionInput): Op<{ excluded: boolean }> {
  return yield* c.transaction(function* (tx): Op<{ excluded: boolean }> {
    yield* getProject.op(tx, input.projectId);
    const user = yield* tx.first(tx.q.select({ id: users.id, name: users.name }).from(users).where(eq(users.id, input.userId)));
    if (!user) throw new AppError("NOT_FOUND", `user ${input.userId} does not exist`, [{ field: "userId", message: "no such user" }]);
    const where = and(eq(annotatorExclusions.projectId, input.projectId), eq(annotatorExclusions.userId, input.userId));
    if (input.excluded) {
      yield* tx.run(
        tx.q
          .insert(annotatorExclusions)
          .values({ projectId: input.projectId, userId: input.userId, reason: input.reason ?? "", createdBy: input.actorId ?? null })
          .onConflictDoUpdate({
            target: [annotatorExclusions.projectId, annotatorExclusions.userId],
            set: { reason: input.reason ?? "" },
          }),
      );
    } else {
      yield* tx.run(tx.q.delete(annotatorExclusions).where(where));
    }
    yield* recordAuditEvent.op(tx, {
      actorId: input.actorId,
      action: input.excluded ? "annotator.exclude" : "annotator.include",
      projectId: input.projectId,
      detail: { userId: user.id, name: user.name, reason: input.reason ?? "" },
    });
    return { excluded: input.excluded };
  });
});
