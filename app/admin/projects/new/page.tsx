import { requireRole } from "@/app/_components/session";
import { NewProjectForm } from "./new-project-form";

export default async function NewProjectPage() {
  await requireRole(["admin"], "/admin/projects/new");
  return (
    <div className="max-w-2xl">
      <h1 className="mb-4 text-2xl font-semibold">New project</h1>
      <NewProjectForm />
    </div>
  );
}
