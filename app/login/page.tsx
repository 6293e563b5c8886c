import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { Suspense } from "react";
import { LoginForm } from "./login-form";

// Read at request time: demo mode is the server's setting, not the build's.
export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("login") };
}

export default async function LoginPage() {
  const t = await getTranslations("login");
  const demo = process.env.ARBITER_DEMO === "1";
  return (
    <div className="mx-auto mt-16 max-w-sm">
      <h1 className="mb-6 text-2xl font-semibold">{t("title")}</h1>
      {demo && (
        <p role="note" data-testid="demo-banner" className="mb-4 rounded border border-amber-400 bg-amber-50 p-3 text-sm text-amber-900">
          {t.rich("demo", { strong: (c) => <strong>{c}</strong>, code: (c) => <code>{c}</code> })}
        </p>
      )}
      <Suspense>
        <LoginForm />
      </Suspense>
    </div>
  );
}
