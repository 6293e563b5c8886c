import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { getTranslations } from "next-intl/server";

/**
 * Any unknown URL. Rendered per request (connection()), not prerendered: a static page would carry
 * scripts without the request's CSP nonce, and the browser would block them (console CSP errors,
 * a dead header).
 */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("notFound") };
}

export default async function NotFound() {
  await connection();
  const t = await getTranslations("notFound");
  return (
    <div className="mx-auto mt-12 max-w-lg rounded-lg border border-slate-200 bg-white p-8 text-center shadow-sm" data-testid="not-found">
      <p className="text-sm font-semibold text-slate-500">404</p>
      <h1 className="mt-1 text-2xl font-semibold">{t("title")}</h1>
      <p className="mt-2 text-slate-600">{t("body")}</p>
      <nav aria-label={t("waysBack")} className="mt-6 flex flex-wrap justify-center gap-3 text-sm">
        <Link href="/" className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700">
          {t("projects")}
        </Link>
        <Link href="/me" className="rounded-md border border-slate-300 px-4 py-2 text-slate-700 hover:bg-slate-50">
          {t("me")}
        </Link>
        <Link href="/login" className="rounded-md border border-slate-300 px-4 py-2 text-slate-700 hover:bg-slate-50">
          {t("signIn")}
        </Link>
      </nav>
    </div>
  );
}
