import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { ExportsPanel } from "./exports-panel";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("exports") };
}

export default async function ExportsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireRole(["admin", "researcher"], `/admin/projects/${id}/exports`);
  return <ExportsPanel projectId={Number(id)} />;
}
