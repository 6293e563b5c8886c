import { ProjectList } from "./project-list";

export default function AdminPage() {
  return <ProjectList />;
}
