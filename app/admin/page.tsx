import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { ProjectList } from "./project-list";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("projects") };
}

export default function AdminPage() {
  return <ProjectList />;
}
