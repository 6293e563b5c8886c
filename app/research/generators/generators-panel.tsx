"use client";
/**
 * The generator registry: register a local model (served by the built-in worker) or an
 * OpenAI-compatible server, test one with a probe request, remove one. API keys are never shown or
 * sent here: a generator names the environment variable the server reads its key from.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/app/_components/trpc";

type Probe = {
  ok: boolean;
  latency_ms: number | null;
  ttft_ms: number | null;
  tokens: number;
  tokens_per_s: number | null;
  sample: string | null;
  error: string | null;
};

function ProbeView({ probe, testId }: { probe: Probe; testId: string }) {
  if (!probe.ok)
    return (
      <p className="text-sm text-red-700" data-testid={testId} role="alert">
        Test failed: {probe.error}
      </p>
    );
  return (
    <div className="text-sm" data-testid={testId}>
      <p>
        {probe.latency_ms} ms · first token {probe.ttft_ms ?? "–"} ms · {probe.tokens} tokens · {probe.tokens_per_s ?? "–"} tokens/s
      </p>
      <pre className="mt-1 whitespace-pre-wrap rounded bg-slate-50 p-2 text-xs">{probe.sample}</pre>
    </div>
  );
}

export function GeneratorsPanel() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const generators = useQuery(trpc.generation.generators.queryOptions());
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.generation.generators.queryKey() });
  const [kind, setKind] = useState<"local" | "external">("local");
  const [form, setForm] = useState({ name: "", model: "", device: "auto" as "auto" | "cpu" | "cuda", url: "", apiKeyEnv: "", test: true });
  const [probes, setProbes] = useState<Record<number, Probe>>({});
  const add = useMutation(trpc.generation.addGenerator.mutationOptions({ onSuccess: refresh }));
  const test = useMutation(
    trpc.generation.testGenerator.mutationOptions({
      onSuccess: (probe, vars) => {
        setProbes((p) => ({ ...p, [vars.id]: probe }));
        refresh();
      },
    }),
  );
  const remove = useMutation(trpc.generation.removeGenerator.mutationOptions({ onSuccess: refresh }));

  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold">Generators</h1>
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm"
        aria-label="Register a generator"
        onSubmit={(e) => {
          e.preventDefault();
          const generator =
            kind === "local"
              ? { kind, name: form.name, model: form.model, device: form.device }
              : { kind, name: form.name, model: form.model, url: form.url, apiKeyEnv: form.apiKeyEnv.trim() || null };
          add.mutate({ generator, test: form.test });
        }}
      >
        <label className="flex flex-col gap-1">
          Kind
          <select
            className="rounded border px-2 py-1"
            data-testid="gen-kind"
            value={kind}
            onChange={(e) => setKind(e.target.value as "local")}
          >
            <option value="local">Local model (built-in worker)</option>
            <option value="external">OpenAI-compatible server</option>
          </select>
        </label>
        <label className="flex flex-col gap-1">
          Name
          <input
            className="rounded border px-2 py-1"
            data-testid="gen-name"
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label className="flex flex-col gap-1">
          {kind === "local" ? "Model folder or Hub id" : "Served model name"}
          <input
            className="w-72 rounded border px-2 py-1"
            data-testid="gen-model"
            value={form.model}
            onChange={(e) => setForm({ ...form, model: e.target.value })}
          />
        </label>
        {kind === "local" ? (
          <label className="flex flex-col gap-1">
            Device
            <select
              className="rounded border px-2 py-1"
              data-testid="gen-device"
              value={form.device}
              onChange={(e) => setForm({ ...form, device: e.target.value as "auto" })}
            >
              <option value="auto">auto</option>
              <option value="cpu">cpu</option>
              <option value="cuda">cuda</option>
            </select>
          </label>
        ) : (
          <>
            <label className="flex flex-col gap-1">
              Base URL
              <input
                className="w-72 rounded border px-2 py-1"
                placeholder="http://127.0.0.1:8000/v1"
                value={form.url}
                onChange={(e) => setForm({ ...form, url: e.target.value })}
              />
            </label>
            <label className="flex flex-col gap-1">
              API key environment variable
              <input
                className="rounded border px-2 py-1"
                placeholder="OPENAI_API_KEY"
                value={form.apiKeyEnv}
                onChange={(e) => setForm({ ...form, apiKeyEnv: e.target.value })}
              />
            </label>
          </>
        )}
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={form.test} onChange={(e) => setForm({ ...form, test: e.target.checked })} />
          Test before adding
        </label>
        <button
          type="submit"
          className="rounded bg-slate-900 px-3 py-1 text-white disabled:opacity-50"
          disabled={add.isPending}
          data-testid="gen-add"
        >
          {add.isPending ? "Adding…" : "Add generator"}
        </button>
      </form>
      {add.error && (
        <p className="text-sm text-red-700" role="alert">
          {add.error.message}
        </p>
      )}
      {add.data?.test && !add.data.generator && <ProbeView probe={add.data.test} testId="gen-add-test" />}

      <table className="w-full text-sm" data-testid="generators-table">
        <thead>
          <tr className="text-left text-slate-500">
            <th className="py-1">Name</th>
            <th>Kind</th>
            <th>Model</th>
            <th>Version</th>
            <th>Last test</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(generators.data ?? []).map((g) => (
            <tr key={g.id} className="border-t align-top" data-testid={`generator-${g.name}`}>
              <td className="py-2 font-medium">{g.name}</td>
              <td>{g.kind === "local" ? `local (${g.device})` : "server"}</td>
              <td className="break-all">
                {g.model}
                {g.url && <div className="text-xs text-slate-500">{g.url}</div>}
                {g.apiKeyEnv && (
                  <div className="text-xs text-slate-500">
                    key: ${g.apiKeyEnv}
                    {g.apiKeySet ? "" : " (not set on the server)"}
                  </div>
                )}
              </td>
              <td className="break-all">{g.version ?? "–"}</td>
              <td className="max-w-md">
                {probes[g.id] ? (
                  <ProbeView probe={probes[g.id] as Probe} testId={`gen-test-result-${g.name}`} />
                ) : g.lastTest ? (
                  <span className="text-slate-500">
                    {(g.lastTest as Probe).ok ? `ok, ${(g.lastTest as Probe).tokens_per_s ?? "–"} tokens/s` : "failed"}
                  </span>
                ) : (
                  "–"
                )}
              </td>
              <td className="space-x-2 whitespace-nowrap">
                <button
                  type="button"
                  className="rounded border px-2 py-0.5"
                  disabled={test.isPending && test.variables?.id === g.id}
                  onClick={() => test.mutate({ id: g.id })}
                  aria-label={`Test ${g.name}`}
                >
                  {test.isPending && test.variables?.id === g.id ? "Testing…" : "Test"}
                </button>
                <button
                  type="button"
                  className="rounded border px-2 py-0.5"
                  onClick={() => remove.mutate({ id: g.id })}
                  aria-label={`Remove ${g.name}`}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {generators.data?.length === 0 && <p className="text-sm text-slate-500">No generators yet.</p>}
    </div>
  );
}
