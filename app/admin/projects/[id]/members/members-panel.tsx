"use client";
/** Who may work on a project: open or members-only, a required annotator group, and the members. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/app/_components/trpc";

function emails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean);
}

export function MembersPanel({ projectId, canEdit }: { projectId: number; canEdit: boolean }) {
  const t = useTranslations("admin.members");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const access = useQuery(trpc.projects.access.queryOptions({ projectId }));
  const groups = useQuery({ ...trpc.users.groups.queryOptions(), enabled: canEdit });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.projects.access.queryKey({ projectId }) });
  const setAccess = useMutation(trpc.projects.setAccess.mutationOptions({ onSuccess: refresh }));
  const setMembers = useMutation(trpc.projects.setMembers.mutationOptions({ onSuccess: refresh }));
  const [addText, setAddText] = useState("");

  function onAdd(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const group = String(new FormData(e.currentTarget).get("group") ?? "");
    setMembers.mutate({ projectId, add: emails(addText), group: group || undefined }, { onSuccess: () => setAddText("") });
  }

  const error = access.error ?? setAccess.error ?? setMembers.error;
  const a = access.data;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t("title", { id: projectId })}</h1>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error.message}
        </p>
      )}
      {a && (
        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
          <label className="block">
            {t("access")}
            <select
              data-testid="project-access"
              value={a.access}
              disabled={!canEdit || setAccess.isPending}
              onChange={(e) =>
                setAccess.mutate({ projectId, access: e.target.value as "open" | "members", requiredGroup: a.requiredGroup })
              }
              className="mt-1 block rounded border border-slate-300 px-2 py-1.5"
            >
              <option value="open">{t("open")}</option>
              <option value="members">{t("membersOnly")}</option>
            </select>
          </label>
          <label className="block">
            {t("requiredGroup")}
            <select
              data-testid="project-required-group"
              value={a.requiredGroup ?? ""}
              disabled={!canEdit || setAccess.isPending}
              onChange={(e) => setAccess.mutate({ projectId, access: a.access, requiredGroup: e.target.value || null })}
              className="mt-1 block rounded border border-slate-300 px-2 py-1.5"
            >
              <option value="">{t("noGroup")}</option>
              {(groups.data ?? []).map((g) => (
                <option key={g.id} value={g.name}>
                  {g.name}
                </option>
              ))}
              {a.requiredGroup && !groups.data?.some((g) => g.name === a.requiredGroup) && (
                <option value={a.requiredGroup}>{a.requiredGroup}</option>
              )}
            </select>
          </label>
        </section>
      )}
      {canEdit && (
        <form onSubmit={onAdd} className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
          <label className="w-full sm:w-auto">
            {t("add")}
            <input
              data-testid="members-add"
              value={addText}
              onChange={(e) => setAddText(e.target.value)}
              className="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5 sm:w-96"
            />
          </label>
          <label>
            {t("addGroup")}
            <select name="group" defaultValue="" className="mt-1 block rounded border border-slate-300 px-2 py-1.5">
              <option value="">{t("keepGroup")}</option>
              {(groups.data ?? []).map((g) => (
                <option key={g.id} value={g.name}>
                  {g.name}
                </option>
              ))}
            </select>
          </label>
          <button
            type="submit"
            data-testid="members-submit"
            disabled={setMembers.isPending || emails(addText).length === 0}
            className="rounded bg-slate-900 px-3 py-1.5 text-white hover:bg-slate-700 disabled:opacity-50"
          >
            {t("addButton")}
          </button>
        </form>
      )}
      <table className="w-full text-sm" data-testid="members-table">
        <caption className="sr-only">{t("caption")}</caption>
        <thead>
          <tr className="text-left text-slate-600">
            <th className="py-1">{t("columns.email")}</th>
            <th className="py-1">{t("columns.name")}</th>
            <th className="py-1">{t("columns.group")}</th>
            {canEdit && <th className="py-1">{t("columns.remove")}</th>}
          </tr>
        </thead>
        <tbody>
          {(a?.members ?? []).map((m) => (
            <tr key={m.userId} className="border-t border-slate-200">
              <td className="py-1">{m.email}</td>
              <td className="py-1">{m.name}</td>
              <td className="py-1">{m.group ?? "—"}</td>
              {canEdit && (
                <td className="py-1">
                  <button
                    type="button"
                    aria-label={t("removeLabel", { email: m.email ?? m.name })}
                    onClick={() => setMembers.mutate({ projectId, remove: m.email ? [m.email] : [] })}
                    className="rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-50"
                  >
                    {t("remove")}
                  </button>
                </td>
              )}
            </tr>
          ))}
          {a && a.members.length === 0 && (
            <tr>
              <td colSpan={4} className="py-2 text-slate-500">
                {a.access === "open" ? t("noneOpen") : t("none")}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
