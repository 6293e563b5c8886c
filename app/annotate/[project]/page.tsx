import { requireRole } from "@/app/_components/session";
import { AnnotateScreen } from "./annotate-screen";

export default async function AnnotatePage({ params }: { params: Promise<{ project: string }> }) {
  const { project } = await params;
  await requireRole(["annotator", "admin", "researcher"], `/annotate/${project}`);
  const projectId = Number(project);
  if (!Number.isInteger(projectId) || projectId <= 0) return <p className="text-red-600">No such project.</p>;
  return <AnnotateScreen projectId={projectId} />;
}
