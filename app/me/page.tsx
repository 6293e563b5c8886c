import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requireRole } from "@/app/_components/session";
import { MyAttributes } from "./my-attributes";
import { MyProgress } from "./my-progress";
import { RecentJudgments } from "./recent-judgments";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("me") };
}

export default async function MyProgressPage() {
  await requireRole(["annotator", "admin", "researcher"], "/me");
  return (
    <div className="space-y-6">
      <MyProgress />
      <RecentJudgments />
      <MyAttributes />
    </div>
  );
}
