import { annotateRouter } from "@/server/api/routers/annotate";
import { auditRouter } from "@/server/api/routers/audit";
import { meRouter } from "@/server/api/routers/me";
import { projectsRouter } from "@/server/api/routers/projects";
import { createCallerFactory, createTRPCRouter } from "@/server/api/trpc";

export const appRouter = createTRPCRouter({
  annotate: annotateRouter,
  audit: auditRouter,
  me: meRouter,
  projects: projectsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
