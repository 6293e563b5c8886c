import type { ReactNode } from "react";
import { requireRole } from "@/app/_components/session";
import { ResearchNav } from "./research-nav";

export default async function ResearchLayout({ children }: { children: ReactNode }) {
  await requireRole(["researcher"], "/research/train");
  return (
    <div className="space-y-6">
      <ResearchNav />
      {children}
    </div>
  );
}
