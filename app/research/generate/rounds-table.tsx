"use client";
/** A project's rounds of generation (shown on the admin project page): generators and versions, params, prompts sha256. */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";

export function RoundsTable({ projectId }: { projectId: number }) {
  const trpc = useTRPC();
  const rounds = useQuery(trpc.generation.rounds.queryOptions({ projectId }));
  if (!rounds.data?.length) return null;
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm" aria-label="Rounds" data-testid="project-rounds">
      <h2 className="mb-2 font-semibold">Rounds</h2>
      <table className="w-full">
        <thead>
          <tr className="text-left text-slate-500">
            <th>Round</th>
            <th>Generators</th>
            <th>Params</th>
            <th>Prompts</th>
            <th>Items</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {rounds.data.map((r) => (
            <tr key={r.id} className="border-t align-top">
              <td className="py-1">{r.number}</td>
              <td>
                {r.generators.map((g) => (
                  <div key={g.name}>
                    {g.name} <span className="text-xs text-slate-500">({g.version ?? g.model})</span>
                  </div>
                ))}
              </td>
              <td className="text-xs">
                {["samples", "temperature", "topP", "maxTokens", "seed"]
                  .filter((k) => r.params[k] !== undefined)
                  .map((k) => `${k} ${String(r.params[k])}`)
                  .join(" · ")}
              </td>
              <td>
                {r.promptCount}{" "}
                <span className="font-mono text-xs text-slate-500" title={r.promptsSha256}>
                  sha256 {r.promptsSha256.slice(0, 12)}…
                </span>
              </td>
              <td>{r.items}</td>
              <td>{r.state ?? "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
