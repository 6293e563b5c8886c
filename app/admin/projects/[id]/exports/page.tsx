import { requireRole } from "@/app/_components/session";
import { ExportsPanel } from "./exports-panel";

export default async function ExportsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireRole(["admin", "researcher"], `/admin/projects/${id}/exports`);
  return <ExportsPanel projectId={Number(id)} />;
}
