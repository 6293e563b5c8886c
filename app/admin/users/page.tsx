import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { UsersAdmin } from "./users-admin";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("users") };
}

export default async function UsersPage() {
  const me = await requireRole(["admin"], "/admin/users");
  return <UsersAdmin myId={me.id ?? 0} />;
}
