"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { LanguageSwitcher } from "./language-switcher";
import { signOutToLogin, useSessionUser } from "./session-user";

type Role = "annotator" | "admin" | "researcher";
/** Keys of messages/*.json "nav". */
type NavLabel = "annotate" | "me" | "projects" | "users" | "audit" | "train" | "models" | "playground";
type NavLink = {
  href: string;
  label: NavLabel;
  testId: string;
  roles: Role[] /** Other paths this entry is current for. */;
  also?: RegExp;
};

/** Every page a role can reach from the header (research sub-pages included). */
const LINKS: NavLink[] = [
  { href: "/", label: "annotate", testId: "nav-annotate", roles: ["annotator", "admin", "researcher"], also: /^\/annotate\// },
  { href: "/me", label: "me", testId: "nav-me", roles: ["annotator", "admin", "researcher"] },
  { href: "/admin", label: "projects", testId: "nav-admin", roles: ["admin", "researcher"], also: /^\/admin\/projects(\/|$)/ },
  { href: "/admin/users", label: "users", testId: "nav-users", roles: ["admin"] },
  { href: "/admin/audit", label: "audit", testId: "nav-audit", roles: ["admin", "researcher"] },
  { href: "/research/train", label: "train", testId: "nav-research", roles: ["researcher"] },
  { href: "/research/models", label: "models", testId: "nav-research-models", roles: ["researcher"], also: /^\/research\/models\// },
  { href: "/research/playground", label: "playground", testId: "nav-research-playground", roles: ["researcher"] },
];

function isCurrent(link: NavLink, path: string): boolean {
  return path === link.href || (link.also?.test(path) ?? false);
}

/**
 * The header: every page of the role, the current one marked (aria-current); on a phone the links
 * fold into a Menu button so the bar never runs off screen.
 */
export function Nav() {
  const t = useTranslations("nav");
  const user = useSessionUser();
  const path = usePathname() ?? "/";
  const [open, setOpen] = useState(false);
  // A followed link closes the phone menu.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation only
  useEffect(() => setOpen(false), [path]);
  const links = user ? LINKS.filter((l) => l.roles.includes(user.role)) : [];
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <Link href="/" className="font-semibold tracking-tight text-slate-900">
          Arbiter
        </Link>
        {!user && (
          <div className="ml-auto">
            <LanguageSwitcher />
          </div>
        )}
        {user && (
          <button
            type="button"
            className="ml-auto rounded border border-slate-300 px-2 py-1 text-sm text-slate-700 md:hidden"
            aria-expanded={open}
            aria-controls="main-nav"
            data-testid="nav-menu"
            onClick={() => setOpen((o) => !o)}
          >
            {t("menu")}
          </button>
        )}
        {user && (
          <nav
            id="main-nav"
            aria-label={t("main")}
            className={`${open ? "flex" : "hidden"} w-full flex-col gap-1 text-sm text-slate-600 md:flex md:w-auto md:flex-row md:flex-wrap md:gap-4`}
          >
            {links.map((l) => {
              const current = isCurrent(l, path);
              return (
                <Link
                  key={l.href}
                  href={l.href}
                  data-testid={l.testId}
                  aria-current={current ? "page" : undefined}
                  className={`rounded px-1 py-1 md:py-0 ${current ? "font-semibold text-slate-900 underline decoration-2 underline-offset-8" : "hover:text-slate-900"}`}
                >
                  {t(l.label)}
                </Link>
              );
            })}
          </nav>
        )}
        {user && (
          <div
            className={`${open ? "flex" : "hidden"} w-full items-center gap-3 text-sm text-slate-600 md:ml-auto md:flex md:w-auto`}
            data-testid="nav-account"
          >
            <span data-testid="nav-user" className="min-w-0 truncate">
              {user.email} · {t(`role.${user.role}`)}
            </span>
            <LanguageSwitcher />
            <button
              type="button"
              className="shrink-0 rounded border border-slate-300 px-2 py-1 hover:bg-slate-50"
              onClick={() => void signOutToLogin()}
            >
              {t("signOut")}
            </button>
          </div>
        )}
      </div>
    </header>
  );
}
