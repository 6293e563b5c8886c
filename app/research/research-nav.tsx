"use client";
/**
 * The research pages the header does not list (generators, sampling) and each project's quality page,
 * the current one marked. Train, Models and Playground are in the header only.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";

const PAGES = [
  { href: "/research/generators", label: "generators", testId: "nav-generators" },
  { href: "/research/generate", label: "generate", testId: "nav-generate" },
] as const;

/** Quality pages linked by name; the rest are one click away on the project list. */
const MAX_QUALITY_LINKS = 5;

const link = (current: boolean) =>
  `rounded px-1 ${current ? "font-semibold text-slate-900 underline decoration-2 underline-offset-4" : "text-slate-700 hover:text-slate-900"}`;

export function ResearchNav() {
  const t = useTranslations("research.nav");
  const path = usePathname() ?? "";
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const list = projects.data ?? [];
  return (
    <nav
      aria-label={t("label")}
      className="flex flex-wrap items-baseline gap-x-4 gap-y-1 rounded border border-slate-200 bg-white px-3 py-2 text-sm"
      data-testid="research-nav"
    >
      {PAGES.map((p) => (
        <Link
          key={p.href}
          href={p.href}
          data-testid={p.testId}
          aria-current={path === p.href ? "page" : undefined}
          className={link(path === p.href)}
        >
          {t(p.label)}
        </Link>
      ))}
      <span className="flex flex-wrap items-baseline gap-x-2" data-testid="research-quality">
        <span className="text-slate-600">{t("quality")}</span>
        {projects.isSuccess && list.length === 0 && <span className="text-slate-600">{t("noProjects")}</span>}
        {list.slice(0, MAX_QUALITY_LINKS).map((p) => (
          <Link key={p.id} href={`/admin/projects/${p.id}/quality`} className={link(false)} data-testid={`research-quality-${p.id}`}>
            {p.name}
          </Link>
        ))}
        {list.length > MAX_QUALITY_LINKS && (
          <Link href="/admin" className={link(false)}>
            {t("allProjects", { count: list.length })}
          </Link>
        )}
      </span>
    </nav>
  );
}
