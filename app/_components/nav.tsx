"use client";
import Link from "next/link";
import { signOut, useSession } from "next-auth/react";

export function Nav() {
  const { data } = useSession();
  const user = data?.user;
  const staff = user?.role === "admin" || user?.role === "researcher";
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-7xl items-center gap-6 px-4 py-3">
        <Link href="/" className="font-semibold tracking-tight text-slate-900">
          Arbiter
        </Link>
        {user && (
          <nav className="flex gap-4 text-sm text-slate-600">
            <Link href="/" className="hover:text-slate-900">
              Annotate
            </Link>
            <Link href="/me" className="hover:text-slate-900" data-testid="nav-me">
              My progress
            </Link>
            {staff && (
              <Link href="/admin" className="hover:text-slate-900" data-testid="nav-admin">
                Projects
              </Link>
            )}
            {user.role === "researcher" && (
              <Link href="/research/train" className="hover:text-slate-900" data-testid="nav-research">
                Research
              </Link>
            )}
            {user.role === "admin" && (
              <Link href="/admin/users" className="hover:text-slate-900" data-testid="nav-users">
                Users
              </Link>
            )}
            {staff && (
              <Link href="/admin/audit" className="hover:text-slate-900" data-testid="nav-audit">
                Audit log
              </Link>
            )}
          </nav>
        )}
        <div className="ml-auto flex items-center gap-3 text-sm text-slate-600">
          {user && (
            <>
              <span data-testid="nav-user">
                {user.email} · {user.role}
              </span>
              <button
                type="button"
                className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50"
                onClick={() => signOut({ callbackUrl: "/login" })}
              >
                Sign out
              </button>
            </>
          )}
        </div>
      </div>
    </header>
  );
}
