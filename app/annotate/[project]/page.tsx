import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { ProjectUnavailable } from "./annotate-screen";
import { ProjectModeScreen } from "./project-mode-screen";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("annotate") };
}

export default async function AnnotatePage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string }>;
  searchParams: Promise<{ revise?: string }>;
}) {
  const { project } = await params;
  const { revise } = await searchParams;
  await requireRole(["annotator", "admin", "researcher"], `/annotate/${project}`);
  const projectId = Number(project);
  if (!/^\d+$/.test(project) || !Number.isSafeInteger(projectId) || projectId <= 0) return <ProjectUnavailable />;
  const reviseId = revise !== undefined && /^\d+$/.test(revise) ? Number(revise) : undefined;
  return <ProjectModeScreen projectId={projectId} reviseId={reviseId} />;
}
