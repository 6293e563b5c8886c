import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { AuditLog } from "./audit-log";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("audit") };
}

export default function AuditPage() {
  return <AuditLog />;
}
