import type { ReactNode } from "react";
import { requireRole } from "@/app/_components/session";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  await requireRole(["admin", "researcher"], "/admin");
  return <div className="space-y-6">{children}</div>;
}
