"use client";
import { useRouter, useSearchParams } from "next/navigation";
import { signIn } from "next-auth/react";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";

/** The path of an absolute URL on this origin, else "/": never navigate to another host after sign-in. */
function sameOriginPath(url: string | null): string {
  if (!url) return "/";
  try {
    const target = new URL(url, window.location.href);
    return target.origin === window.location.origin ? `${target.pathname}${target.search}${target.hash}` : "/";
  } catch {
    return "/";
  }
}

export function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const t = useTranslations("login");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      // The server resolves it (server/auth.ts safeCallbackUrl): only same-origin destinations come back.
      callbackUrl: params.get("callbackUrl") ?? "/",
      redirect: false,
    });
    setBusy(false);
    if (!res || res.error) {
      // "CredentialsSignin" is next-auth's generic failure; anything else is our own message (lockout).
      setError(!res || res.error === "CredentialsSignin" ? t("wrong") : res.error);
      return;
    }
    router.push(sameOriginPath(res.url));
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <label className="block text-sm">
        <span className="text-slate-700">{t("email")}</span>
        <input
          name="email"
          type="email"
          required
          autoComplete="username"
          data-testid="login-email"
          className="mt-1 w-full rounded border border-slate-300 px-3 py-2"
        />
      </label>
      <label className="block text-sm">
        <span className="text-slate-700">{t("password")}</span>
        <input
          name="password"
          type="password"
          required
          autoComplete="current-password"
          data-testid="login-password"
          className="mt-1 w-full rounded border border-slate-300 px-3 py-2"
        />
      </label>
      {error && (
        <p role="alert" data-testid="login-error" className="text-sm text-red-600">
          {error}
        </p>
      )}
      <button
        type="submit"
        disabled={busy}
        data-testid="login-submit"
        className="w-full rounded bg-slate-900 py-2 text-white hover:bg-slate-700 disabled:opacity-50"
      >
        {busy ? t("signingIn") : t("signIn")}
      </button>
    </form>
  );
}
