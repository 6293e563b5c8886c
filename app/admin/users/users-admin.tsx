"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { DataTable } from "@/app/_components/data-table";
import { useTRPC } from "@/app/_components/trpc";

const ROLES = ["annotator", "admin", "researcher"] as const;

export function UsersAdmin({ myId }: { myId: number }) {
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
      <h1 className="text-2xl font-semibold">Users</h1>
      <form
        onSubmit={onInvite}
        className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm"
        data-testid="invite-form"
      >
        <label>
          Role
          <select name="role" defaultValue="annotator" className="mt-1 block rounded border border-slate-300 px-2 py-1.5">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Email (optional: locks the invite to it)
          <input name="email" type="email" className="mt-1 block w-64 rounded border border-slate-300 px-2 py-1.5" />
        </label>
        <label>
          Valid for
          <select name="hours" defaultValue="72" className="mt-1 block rounded border border-slate-300 px-2 py-1.5">
            <option value="24">1 day</option>
            <option value="72">3 days</option>
            <option value="168">7 days</option>
          </select>
        </label>
        <button type="submit" data-testid="invite-create" className="rounded bg-slate-900 px-3 py-1.5 text-white hover:bg-slate-700">
          Create invite link
        </button>
        {link && (
          <p className="w-full text-slate-700">
            Send this link (shown once; it works once, until {new Date(link.expiresAt * 1000).toLocaleString()}):{" "}
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
      <DataTable columns={["Email", "Name", "Role", "Status"]} testId="users-table">
        {users.data?.map((u) => (
          <tr key={u.id} className="border-t border-slate-100">
            <td className="px-3 py-1.5">{u.email}</td>
            <td className="px-3 py-1.5">{u.name}</td>
            <td className="px-3 py-1.5">
              <select
                value={u.role}
                disabled={u.id === myId}
                onChange={(e) => setRole.mutate({ userId: u.id, role: e.target.value as (typeof ROLES)[number] })}
                className="rounded border border-slate-300 px-1 py-0.5"
              >
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </td>
            <td className="px-3 py-1.5">
              <button
                type="button"
                disabled={u.id === myId}
                onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabled })}
                className={`rounded border px-2 py-0.5 ${u.disabled ? "border-red-300 text-red-700" : "border-slate-300"} disabled:opacity-40`}
              >
                {u.disabled ? "disabled — enable" : "active — disable"}
              </button>
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
