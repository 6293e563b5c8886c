import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { ProjectDetail } from "./project-detail";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const [{ id }, t] = await Promise.all([params, getTranslations("titles")]);
  return { title: t("project", { id }) };
}

export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ProjectDetail projectId={Number(id)} />;
}
