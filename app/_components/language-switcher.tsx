"use client";
import { useRouter } from "next/navigation";
import { useLocale, useTranslations } from "next-intl";
import { useTransition } from "react";
import { isLocale, LOCALE_COOKIE, LOCALE_NAMES, LOCALES } from "@/i18n/locale";

/**
 * The interface language: the choice is kept in a cookie for a year (this browser, whoever signs in
 * on it), and the page re-renders on the server in the new language without a reload.
 */
export function LanguageSwitcher() {
  const t = useTranslations("nav");
  const locale = useLocale();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  return (
    <label className="flex items-center gap-1 text-sm text-slate-600">
      <span className="sr-only">{t("language")}</span>
      <select
        className="rounded border border-slate-300 bg-white px-1 py-1 text-sm text-slate-700"
        data-testid="language-switcher"
        aria-label={t("language")}
        value={locale}
        disabled={pending}
        onChange={(e) => {
          const next = e.target.value;
          if (!isLocale(next)) return;
          // biome-ignore lint/suspicious/noDocumentCookie: one fixed name and a validated value; the Cookie Store API is not in every browser we support
          document.cookie = `${LOCALE_COOKIE}=${next}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
          startTransition(() => router.refresh());
        }}
      >
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LOCALE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
