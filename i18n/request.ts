/**
 * next-intl's per-request configuration (App Router without i18n routing: URLs carry no locale).
 * The language comes from the user's cookie or the browser; dates are shown in the server's time
 * zone, which next-intl also hands to client components so server and browser render alike.
 */
import { cookies, headers } from "next/headers";
import { getRequestConfig } from "next-intl/server";
import { LOCALE_COOKIE, resolveLocale } from "./locale";
import { loadMessages } from "./messages";

export default getRequestConfig(async () => {
  const [cookieStore, headerList] = await Promise.all([cookies(), headers()]);
  const locale = resolveLocale(cookieStore.get(LOCALE_COOKIE)?.value, headerList.get("accept-language"));
  return {
    locale,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    messages: await loadMessages(locale),
  };
});
