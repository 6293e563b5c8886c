import { annotatorProcedure, createTRPCRouter } from "@/server/api/trpc";
import { getMyProfile, setMyAttributes, zAttributes } from "@/server/domain/membership";

export const meRouter = createTRPCRouter({
  whoami: annotatorProcedure.query(({ ctx }) => ctx.user),
  /** The caller's group (set by admins) and optional, self-described attributes. */
  profile: annotatorProcedure.query(async ({ ctx }) => await getMyProfile(ctx.db, ctx.user.id)),
  setAttributes: annotatorProcedure
    .input(zAttributes)
    .mutation(async ({ ctx, input }) => await setMyAttributes(ctx.db, ctx.user.id, input)),
});
