import { requireRole } from "@/app/_components/session";
import { MyProgress } from "./my-progress";

export default async function MyProgressPage() {
  await requireRole(["annotator", "admin", "researcher"], "/me");
  return <MyProgress />;
}
