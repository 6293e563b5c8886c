import { requireRole } from "@/app/_components/session";
import { UsersAdmin } from "./users-admin";

export default async function UsersPage() {
  const me = await requireRole(["admin"], "/admin/users");
  return <UsersAdmin myId={me.id ?? 0} />;
}
