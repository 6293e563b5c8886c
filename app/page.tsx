import { requireRole } from "./_components/session";
import { ProjectPicker } from "./project-picker";

export default async function HomePage() {
  const user = await requireRole(["annotator", "admin", "researcher"], "/");
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Hello, {user.name ?? user.email}</h1>
        <p className="text-slate-600">Pick a project to judge responses in.</p>
      </div>
      <ProjectPicker />
    </div>
  );
}
