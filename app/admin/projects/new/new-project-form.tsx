"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/app/_components/trpc";

const input = "mt-1 w-full rounded border border-slate-300 px-3 py-2";

export function NewProjectForm() {
  const t = useTranslations("admin.newProject");
  const policy = useTranslations("admin.rationalePolicy");
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.projects.create.mutationOptions());
  const createLive = useMutation(trpc.conversations.createProject.mutationOptions());
  const [kind, setKind] = useState<"pairwise" | "conversation" | "arena">("pairwise");
  const [error, setError] = useState<string | null>(null);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const criteria = String(f.get("criteria") ?? "")
      .split(",")
      .map((c) => c.trim().toLowerCase())
      .filter(Boolean);
    setError(null);
    const settings = {
      name: String(f.get("name") ?? ""),
      instructions: String(f.get("instructions") ?? ""),
      criteria,
      overlap: Number(f.get("overlap")),
      rationalePolicy: String(f.get("rationalePolicy")) as "off" | "optional" | "required",
      strengthScale: f.get("strengthScale") === "on",
    };
    const handlers = {
      onSuccess: (p: { id: number }) => router.push(`/admin/projects/${p.id}`),
      onError: (err: { message: string; data?: unknown }) => {
        const issues = (err.data as { issues?: { field: string; message: string }[] } | undefined)?.issues ?? [];
        setError(issues.length ? issues.map((i) => `${i.field}: ${i.message}`).join("; ") : err.message);
      },
    };
    const rewrites = f.get("rewrites") === "on";
    const promptWriting = f.get("promptWriting") === "on";
    if (kind === "pairwise" && !rewrites && !promptWriting) {
      create.mutate(settings, handlers);
      return;
    }
    const live = {
      kind,
      rewrites,
      promptWriting,
      ...(kind === "pairwise"
        ? {}
        : {
            generators: String(f.get("generators") ?? "")
              .split(",")
              .map((g) => g.trim())
              .filter(Boolean),
            maxTurns: Number(f.get("maxTurns")),
            systemPrompt: String(f.get("systemPrompt") ?? "").trim() || null,
          }),
    };
    createLive.mutate({ project: settings, live }, handlers);
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <label className="block text-sm">
        {t("name")}
        <input name="name" required data-testid="project-name" className={input} />
      </label>
      <label className="block text-sm">
        {t("instructions")}
        <textarea name="instructions" rows={5} className={input} placeholder={t("instructionsPlaceholder")} />
      </label>
      <label className="block text-sm">
        {t("criteria")}
        <input name="criteria" placeholder={t("criteriaPlaceholder")} className={input} />
      </label>
      <div className="grid grid-cols-2 gap-4">
        <label className="block text-sm">
          {t("overlap")}
          <input name="overlap" type="number" min={1} max={50} defaultValue={3} className={input} />
        </label>
        <label className="block text-sm">
          {t("rationale")}
          <select name="rationalePolicy" defaultValue="optional" className={input}>
            <option value="off">{policy("off")}</option>
            <option value="optional">{policy("optional")}</option>
            <option value="required">{policy("required")}</option>
          </select>
        </label>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input name="strengthScale" type="checkbox" defaultChecked /> {t("strength")}
      </label>
      <fieldset className="space-y-3 rounded border border-slate-200 p-3">
        <legend className="px-1 text-sm font-medium">{t("live")}</legend>
        <label className="block text-sm">
          {t("kind")}
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} className={input}>
            <option value="pairwise">{t("kinds.pairwise")}</option>
            <option value="conversation">{t("kinds.conversation")}</option>
            <option value="arena">{t("kinds.arena")}</option>
          </select>
        </label>
        {kind !== "pairwise" && (
          <>
            <label className="block text-sm">
              {t("generators")}
              <input name="generators" required className={input} placeholder="policy-r1, policy-r2" />
            </label>
            <div className="grid grid-cols-2 gap-4">
              <label className="block text-sm">
                {t("maxTurns")}
                <input name="maxTurns" type="number" min={1} max={100} defaultValue={10} className={input} />
              </label>
              <label className="block text-sm">
                {t("systemPrompt")}
                <input name="systemPrompt" className={input} />
              </label>
            </div>
          </>
        )}
        <label className="flex items-center gap-2 text-sm">
          <input name="rewrites" type="checkbox" /> {t("rewrites")}
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input name="promptWriting" type="checkbox" /> {t("promptWriting")}
        </label>
      </fieldset>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      <button
        type="submit"
        disabled={create.isPending || createLive.isPending}
        data-testid="create-project"
        className="rounded bg-slate-900 px-4 py-2 text-white hover:bg-slate-700 disabled:opacity-50"
      >
        {t("create")}
      </button>
    </form>
  );
}
