import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { QualityPanel } from "./quality-panel";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("quality") };
}

export default async function QualityPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireRole(["admin", "researcher"], `/admin/projects/${id}/quality`);
  return <QualityPanel projectId={Number(id)} />;
}
