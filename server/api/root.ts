import { annotateRouter } from "@/server/api/routers/annotate";
import { auditRouter } from "@/server/api/routers/audit";
import { conversationsRouter } from "@/server/api/routers/conversations";
import { exportsRouter } from "@/server/api/routers/exports";
import { generationRouter } from "@/server/api/routers/generation";
import { meRouter } from "@/server/api/routers/me";
import { projectsRouter } from "@/server/api/routers/projects";
import { qualityRouter } from "@/server/api/routers/quality";
import { researchRouter } from "@/server/api/routers/research";
import { scoringRouter } from "@/server/api/routers/scoring";
import { invitesRouter, usersRouter } from "@/server/api/routers/users";
import { createCallerFactory, createTRPCRouter } from "@/server/api/trpc";

export const appRouter = createTRPCRouter({
  annotate: annotateRouter,
  conversations: conversationsRouter,
  exports: exportsRouter,
  generation: generationRouter,
  audit: auditRouter,
  invites: invitesRouter,
  me: meRouter,
  projects: projectsRouter,
  quality: qualityRouter,
  research: researchRouter,
  scoring: scoringRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
