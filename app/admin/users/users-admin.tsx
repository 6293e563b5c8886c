"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { DataTable } from "@/app/_components/data-table";
import { useTRPC } from "@/app/_components/trpc";

const ROLES = ["annotator", "admin", "researcher"] as const;

export function UsersAdmin({ myId }: { myId: number }) {
  const t = useTranslations("admin.users");
  const roleName = useTranslations("nav.role");
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: refresh }));
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: refresh }));
  const invite = useMutation(trpc.users.invite.mutationOptions());
  const [link, setLink] = useState<{ url: string; expiresAt: number } | null>(null);

  function onInvite(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const email = String(f.get("email") ?? "").trim();
    invite.mutate(
      { role: String(f.get("role")) as (typeof ROLES)[number], email: email || undefined, expiresInHours: Number(f.get("hours")) },
      { onSuccess: (r) => setLink({ url: `${window.location.origin}/invite/${r.token}`, expiresAt: r.expiresAt }) },
    );
  }

  const error = setRole.error ?? setDisabled.error ?? invite.error;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      <form
        onSubmit={onInvite}
        className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm"
        data-testid="invite-form"
      >
        <label>
          {t("role")}
          <select name="role" defaultValue="annotator" className="mt-1 block rounded border border-slate-300 px-2 py-1.5">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleName(r)}
              </option>
            ))}
          </select>
        </label>
        <label className="w-full sm:w-auto">
          {t("email")}
          <input name="email" type="email" className="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5 sm:w-64" />
        </label>
        <label>
          {t("validFor")}
          <select name="hours" defaultValue="72" className="mt-1 block rounded border border-slate-300 px-2 py-1.5">
            {[1, 3, 7].map((days) => (
              <option key={days} value={days * 24}>
                {t("days", { count: days })}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="invite-create" className="rounded bg-slate-900 px-3 py-1.5 text-white hover:bg-slate-700">
          {t("create")}
        </button>
        {link && (
          <p className="w-full text-slate-700">
            {t("link", { until: format.dateTime(new Date(link.expiresAt * 1000), { dateStyle: "medium", timeStyle: "short" }) })}{" "}
            <code className="break-all rounded bg-slate-100 px-1" data-testid="invite-link">
              {link.url}
            </code>
          </p>
        )}
      </form>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error.message}
        </p>
      )}
      <DataTable
        columns={[t("columns.email"), t("columns.name"), t("columns.role"), t("columns.status"), t("columns.action")]}
        testId="users-table"
      >
        {users.data?.map((u) => {
          const who = u.email ?? u.name;
          const me = u.id === myId;
          return (
            <tr key={u.id} className="border-t border-slate-100">
              <td className="px-3 py-1.5">{u.email}</td>
              <td className="px-3 py-1.5">{u.name}</td>
              <td className="px-3 py-1.5">
                <select
                  value={u.role}
                  disabled={me}
                  aria-label={t("roleOf", { email: who })}
                  onChange={(e) => setRole.mutate({ userId: u.id, role: e.target.value as (typeof ROLES)[number] })}
                  className="rounded border border-slate-300 px-1 py-0.5"
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {roleName(r)}
                    </option>
                  ))}
                </select>
              </td>
              <td className="whitespace-nowrap px-3 py-1.5" data-testid="user-status">
                {/* Status is text and colour, apart from the action that changes it. */}
                <span className={`inline-flex items-center gap-1.5 ${u.disabled ? "text-red-700" : "text-emerald-700"}`}>
                  <span aria-hidden className={`h-2 w-2 rounded-full ${u.disabled ? "bg-red-600" : "bg-emerald-600"}`} />
                  {u.disabled ? t("disabled") : t("active")}
                </span>
              </td>
              <td className="whitespace-nowrap px-3 py-1.5">
                {me ? (
                  <span className="text-slate-500">{t("you")}</span>
                ) : (
                  <button
                    type="button"
                    disabled={setDisabled.isPending}
                    aria-label={u.disabled ? t("enableLabel", { email: who }) : t("disableLabel", { email: who })}
                    onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabled })}
                    className={`rounded border px-2 py-0.5 hover:bg-slate-50 disabled:opacity-50 ${u.disabled ? "border-slate-300 text-slate-800" : "border-red-300 text-red-700"}`}
                  >
                    {u.disabled ? t("enable") : t("disable")}
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </div>
  );
}
