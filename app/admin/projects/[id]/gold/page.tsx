import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { GoldPanel } from "./gold-panel";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("gold") };
}

export default async function GoldPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireRole(["admin", "researcher"], `/admin/projects/${id}/gold`);
  return <GoldPanel projectId={Number(id)} />;
}
