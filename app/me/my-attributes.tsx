"use client";
/** Optional, self-described attributes (language, expertise, region) and the group an admin set. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { useTRPC } from "@/app/_components/trpc";

const FIELDS = [
  { name: "language", label: "Languages you judge in (optional)" },
  { name: "expertise", label: "Expertise (optional)" },
  { name: "region", label: "Region (optional)" },
] as const;

export function MyAttributes() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const profile = useQuery(trpc.me.profile.queryOptions());
  const save = useMutation(
    trpc.me.setAttributes.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.me.profile.queryKey() }) }),
  );
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    save.mutate({
      language: String(f.get("language") ?? ""),
      expertise: String(f.get("expertise") ?? ""),
      region: String(f.get("region") ?? ""),
    });
  }
  if (!profile.data) return null;
  const p = profile.data;
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm" aria-labelledby="about-me">
      <h2 id="about-me" className="mb-2 text-lg font-semibold">
        About you
      </h2>
      <p className="mb-3 text-slate-600">
        Annotator group: {p.group ?? "none"} (set by an admin). Statistics can be split by what you share here.
      </p>
      <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3" data-testid="attributes-form">
        {FIELDS.map((field) => (
          <label key={field.name}>
            {field.label}
            <input
              name={field.name}
              defaultValue={p[field.name] ?? ""}
              maxLength={field.name === "expertise" ? 200 : 80}
              className="mt-1 block w-56 rounded border border-slate-300 px-2 py-1.5"
            />
          </label>
        ))}
        <button
          type="submit"
          disabled={save.isPending}
          className="rounded bg-slate-900 px-3 py-1.5 text-white hover:bg-slate-700 disabled:opacity-50"
        >
          Save
        </button>
        {save.isSuccess && <span role="status">Saved.</span>}
        {save.error && (
          <span role="alert" className="text-red-600">
            {save.error.message}
          </span>
        )}
      </form>
    </section>
  );
}
