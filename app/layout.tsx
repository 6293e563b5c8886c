import type { Metadata } from "next";
import { headers } from "next/headers";
import { NextIntlClientProvider } from "next-intl";
import { getLocale, getTranslations } from "next-intl/server";
import type { ReactNode } from "react";
import { getAppDb } from "@/server/app-db";
import { getRequestUser } from "@/server/auth";
import { Nav } from "./_components/nav";
import { Providers } from "./_components/providers";
import "./globals.css";

/** Each page names itself (generateMetadata with the "titles" messages); the tab reads "Users · Arbiter". */
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("titles");
  return { title: { template: `%s · ${t("app")}`, default: t("app") }, description: t("description") };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await getLocale();
  const user = await getRequestUser(await getAppDb(), await headers());
  return (
    <html lang={locale}>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        {/* Passes the request's language, messages and time zone on to client components. */}
        <NextIntlClientProvider>
          <Providers user={user && { email: user.email, name: user.name, role: user.role }}>
            <Nav />
            <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
          </Providers>
        </NextIntlClientProvider>
      </body>
    </html>
  );
}
