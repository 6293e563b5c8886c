"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/app/_components/trpc";

const input = "mt-1 w-full rounded border border-slate-300 px-3 py-2";

export function NewProjectForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.projects.create.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const criteria = String(f.get("criteria") ?? "")
      .split(",")
      .map((c) => c.trim().toLowerCase())
      .filter(Boolean);
    setError(null);
    create.mutate(
      {
        name: String(f.get("name") ?? ""),
        instructions: String(f.get("instructions") ?? ""),
        criteria,
        overlap: Number(f.get("overlap")),
        rationalePolicy: String(f.get("rationalePolicy")) as "off" | "optional" | "required",
        strengthScale: f.get("strengthScale") === "on",
      },
      {
        onSuccess: (p) => router.push(`/admin/projects/${p.id}`),
        onError: (err) => {
          const issues = (err.data as { issues?: { field: string; message: string }[] } | undefined)?.issues ?? [];
          setError(issues.length ? issues.map((i) => `${i.field}: ${i.message}`).join("; ") : err.message);
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <label className="block text-sm">
        Name
        <input name="name" required data-testid="project-name" className={input} />
      </label>
      <label className="block text-sm">
        Instructions for annotators (markdown)
        <textarea name="instructions" rows={5} className={input} placeholder="Which response is more helpful, honest and harmless?" />
      </label>
      <label className="block text-sm">
        Criteria (comma-separated, optional)
        <input name="criteria" placeholder="helpful, harmless, honest" className={input} />
      </label>
      <div className="grid grid-cols-2 gap-4">
        <label className="block text-sm">
          Judgments per item (overlap)
          <input name="overlap" type="number" min={1} max={50} defaultValue={3} className={input} />
        </label>
        <label className="block text-sm">
          Rationale
          <select name="rationalePolicy" defaultValue="optional" className={input}>
            <option value="off">off</option>
            <option value="optional">optional</option>
            <option value="required">required</option>
          </select>
        </label>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input name="strengthScale" type="checkbox" defaultChecked /> Ask for strength (slight … decisive)
      </label>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      <button
        type="submit"
        disabled={create.isPending}
        data-testid="create-project"
        className="rounded bg-slate-900 px-4 py-2 text-white hover:bg-slate-700 disabled:opacity-50"
      >
        Create project
      </button>
    </form>
  );
}
