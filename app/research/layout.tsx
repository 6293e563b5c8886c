import Link from "next/link";
import type { ReactNode } from "react";
import { requireRole } from "@/app/_components/session";

export default async function ResearchLayout({ children }: { children: ReactNode }) {
  await requireRole(["researcher"], "/research/train");
  return (
    <div className="space-y-6">
      <nav className="flex gap-4 text-sm text-slate-600" data-testid="research-nav">
        <Link href="/research/train" className="hover:text-slate-900">
          Train
        </Link>
        <Link href="/research/models" className="hover:text-slate-900" data-testid="nav-models">
          Models
        </Link>
        <Link href="/research/playground" className="hover:text-slate-900" data-testid="nav-playground">
          Playground
        </Link>
        <Link href="/research/generators" className="hover:text-slate-900" data-testid="nav-generators">
          Generators
        </Link>
        <Link href="/research/generate" className="hover:text-slate-900" data-testid="nav-generate">
          Generate
        </Link>
      </nav>
      {children}
    </div>
  );
}
