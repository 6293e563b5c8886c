"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useTranslations } from "next-intl";
import { isRefusal, useTRPC } from "@/app/_components/trpc";
import { AnnotateScreen, ProjectUnavailable } from "./annotate-screen";

function Loading() {
  const t = useTranslations("live.mode");
  return <p className="p-4 text-slate-600">{t("loading")}</p>;
}

// The live screens (streaming, markdown rendered in the browser) load only for live projects, so the
// pairwise screen's first load stays small (docs/performance.md, "In the browser").
const ConversationScreen = dynamic(() => import("./conversation-screen").then((m) => m.ConversationScreen), { loading: Loading });
const ArenaScreen = dynamic(() => import("./arena-screen").then((m) => m.ArenaScreen), { loading: Loading });

/** Picks the annotate screen by the project's kind: pairwise items, a live conversation or an arena battle. */
export function ProjectModeScreen({ projectId, reviseId }: { projectId: number; reviseId?: number }) {
  const t = useTranslations("live.mode");
  const trpc = useTRPC();
  const mode = useQuery(trpc.conversations.projectMode.queryOptions({ projectId }));
  if (mode.error) {
    // No such project, or not one of mine: one friendly message with a way back, nothing else asked.
    if (isRefusal(mode.error)) return <ProjectUnavailable />;
    return (
      <p className="p-4 text-red-600" role="alert">
        {mode.error.message}
      </p>
    );
  }
  if (mode.isPending) return <Loading />;
  if (mode.data.kind === "pairwise") return <AnnotateScreen projectId={projectId} reviseId={reviseId} />;
  const { project, rewrites } = mode.data;
  if (mode.data.paused)
    return (
      <p className="p-4" role="status">
        {t("paused")}
      </p>
    );
  const settings = {
    instructions: project.instructions,
    criteria: project.criteria,
    rationalePolicy: project.rationalePolicy,
    strengthScale: project.strengthScale,
  };
  return mode.data.kind === "arena" ? (
    <ArenaScreen projectId={projectId} settings={settings} rewrites={rewrites} />
  ) : (
    <ConversationScreen projectId={projectId} kind="conversation" settings={settings} rewrites={rewrites} />
  );
}
