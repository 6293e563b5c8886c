import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { NewProjectForm } from "./new-project-form";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("newProject") };
}

export default async function NewProjectPage() {
  await requireRole(["admin"], "/admin/projects/new");
  const t = await getTranslations("admin.newProject");
  return (
    <div className="max-w-2xl">
      <h1 className="mb-4 text-2xl font-semibold">{t("title")}</h1>
      <NewProjectForm />
    </div>
  );
}
