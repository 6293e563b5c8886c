"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/app/_components/trpc";

const input = "mt-1 w-full rounded border border-slate-300 px-3 py-2";

export function AcceptInvite({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const invite = useQuery({ ...trpc.invites.describe.queryOptions({ token }), retry: false });
  const accept = useMutation(trpc.invites.accept.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  if (invite.isPending) return <p className="text-slate-500">Checking your invite…</p>;
  if (invite.error)
    return (
      <p className="text-red-600" data-testid="invite-error">
        {invite.error.message}
      </p>
    );

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const email = String(f.get("email") ?? "");
    const password = String(f.get("password") ?? "");
    setError(null);
    accept.mutate(
      { token, email, password, name: String(f.get("name") ?? "") || undefined },
      {
        onSuccess: async (r) => {
          await signIn("credentials", { email: r.email ?? email, password, redirect: false });
          router.push("/");
          router.refresh();
        },
        onError: (err) => setError(err.message),
      },
    );
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <p className="text-sm text-slate-600">
        You are invited as {invite.data.role === "annotator" ? "an annotator" : `a ${invite.data.role}`}.
      </p>
      <label className="block text-sm">
        Email
        <input
          name="email"
          type="email"
          required
          defaultValue={invite.data.email ?? ""}
          readOnly={!!invite.data.email}
          data-testid="invite-email"
          className={input}
        />
      </label>
      <label className="block text-sm">
        Name
        <input name="name" className={input} />
      </label>
      <label className="block text-sm">
        Password
        <input
          name="password"
          type="password"
          required
          minLength={invite.data.password.minLength}
          autoComplete="new-password"
          aria-describedby="password-requirements"
          data-testid="invite-password"
          className={input}
        />
        <span id="password-requirements" className="mt-1 block text-xs text-slate-500">
          {invite.data.password.requirements}
        </span>
      </label>
      {error && (
        <p role="alert" className="text-sm text-red-600" data-testid="invite-error">
          {error}
        </p>
      )}
      <button
        type="submit"
        disabled={accept.isPending}
        data-testid="invite-accept"
        className="w-full rounded bg-slate-900 py-2 text-white hover:bg-slate-700 disabled:opacity-50"
      >
        Create my account
      </button>
    </form>
  );
}
