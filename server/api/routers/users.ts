import { z } from "zod";
import { adminProcedure, createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import {
  acceptInvite,
  createInvite,
  describeInvite,
  listUsers,
  setUserDisabled,
  setUserRole,
  zInviteInput,
} from "@/server/domain/accounts";
import { createGroup, listGroups, setUserGroup, zGroupInput } from "@/server/domain/membership";
import { zId, zRole } from "@/server/domain/schemas";

export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(async ({ ctx }) => await listUsers(ctx.db)),
  invite: adminProcedure.input(zInviteInput).mutation(async ({ ctx, input }) => await createInvite(ctx.db, input, ctx.user.id)),
  setRole: adminProcedure.input(z.object({ userId: zId, role: zRole })).mutation(async ({ ctx, input }) => {
    await setUserRole(ctx.db, ctx.user.id, input.userId, input.role);
  }),
  groups: adminProcedure.query(async ({ ctx }) => await listGroups(ctx.db)),
  createGroup: adminProcedure
    .input(zGroupInput)
    .mutation(async ({ ctx, input }) => await createGroup(ctx.db, { ...input, actorId: ctx.user.id })),
  setGroup: adminProcedure
    .input(z.object({ userId: zId, group: z.string().trim().min(1).max(80).nullable() }))
    .mutation(async ({ ctx, input }) => await setUserGroup(ctx.db, { ...input, actorId: ctx.user.id })),
  setDisabled: adminProcedure.input(z.object({ userId: zId, disabled: z.boolean() })).mutation(async ({ ctx, input }) => {
    await setUserDisabled(ctx.db, ctx.user.id, input.userId, input.disabled);
  }),
});

const zToken = z.object({ token: z.string().min(10).max(200) });

export const invitesRouter = createTRPCRouter({
  describe: publicProcedure.input(zToken).query(async ({ ctx, input }) => await describeInvite(ctx.db, input.token)),
  accept: publicProcedure
    .input(zToken.extend({ email: z.string().max(320), password: z.string().max(200), name: z.string().max(120).optional() }))
    .mutation(async ({ ctx, input }) => {
      const user = await acceptInvite(ctx.db, input);
      return { email: user.email };
    }),
});
