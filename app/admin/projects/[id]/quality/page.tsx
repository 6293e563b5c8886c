import { requireRole } from "@/app/_components/session";
import { QualityPanel } from "./quality-panel";

export default async function QualityPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireRole(["admin", "researcher"], `/admin/projects/${id}/quality`);
  return <QualityPanel projectId={Number(id)} />;
}
