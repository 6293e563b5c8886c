import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { MembersPanel } from "./members-panel";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("members") };
}

export default async function MembersPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const me = await requireRole(["admin", "researcher"], `/admin/projects/${id}/members`);
  return <MembersPanel projectId={Number(id)} canEdit={me.role === "admin"} />;
}
