import { annotatorProcedure, createTRPCRouter } from "@/server/api/trpc";

export const meRouter = createTRPCRouter({
  whoami: annotatorProcedure.query(({ ctx }) => ctx.user),
});
