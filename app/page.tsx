import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "./_components/session";
import { ProjectPicker } from "./project-picker";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("home") };
}

export default async function HomePage() {
  const user = await requireRole(["annotator", "admin", "researcher"], "/");
  const t = await getTranslations("home");
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">{t("hello", { name: user.name ?? user.email })}</h1>
        <p className="text-slate-600">{t("pick")}</p>
      </div>
      <ProjectPicker />
    </div>
  );
}
