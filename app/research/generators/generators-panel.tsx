"use client";
/**
 * The generator registry: register a local model (served by the built-in worker) or an
 * OpenAI-compatible server, test one with a probe request, remove one. API keys are never shown or
 * sent here: a generator names the environment variable the server reads its key from.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
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
  const t = useTranslations("research.generators.probe");
  const format = useFormatter();
  const n = (v: number | null) => (v === null ? "–" : format.number(v, { maximumFractionDigits: 1 }));
  if (!probe.ok)
    return (
      <p className="text-sm text-red-700" data-testid={testId} role="alert">
        {t("failed", { error: probe.error ?? "" })}
      </p>
    );
  return (
    <div className="text-sm" data-testid={testId}>
      <p>{t("ok", { latency: n(probe.latency_ms), ttft: n(probe.ttft_ms), tokens: n(probe.tokens), speed: n(probe.tokens_per_s) })}</p>
      <pre className="mt-1 whitespace-pre-wrap rounded bg-slate-50 p-2 text-xs">{probe.sample}</pre>
    </div>
  );
}

export function GeneratorsPanel() {
  const t = useTranslations("research.generators");
  const format = useFormatter();
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
      <h1 className="text-xl font-semibold">{t("title")}</h1>
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm"
        aria-label={t("formLabel")}
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
          {t("kind")}
          <select
            className="rounded border px-2 py-1"
            data-testid="gen-kind"
            value={kind}
            onChange={(e) => setKind(e.target.value as "local")}
          >
            <option value="local">{t("kindLocal")}</option>
            <option value="external">{t("kindExternal")}</option>
          </select>
        </label>
        <label className="flex flex-col gap-1">
          {t("name")}
          <input
            className="rounded border px-2 py-1"
            data-testid="gen-name"
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label className="flex flex-col gap-1">
          {kind === "local" ? t("modelLocal") : t("modelExternal")}
          <input
            className="w-72 rounded border px-2 py-1"
            data-testid="gen-model"
            value={form.model}
            onChange={(e) => setForm({ ...form, model: e.target.value })}
          />
        </label>
        {kind === "local" ? (
          <label className="flex flex-col gap-1">
            {t("device")}
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
              {t("url")}
              <input
                className="w-72 rounded border px-2 py-1"
                placeholder="http://127.0.0.1:8000/v1"
                value={form.url}
                onChange={(e) => setForm({ ...form, url: e.target.value })}
              />
            </label>
            <label className="flex flex-col gap-1">
              {t("apiKeyEnv")}
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
          {t("testFirst")}
        </label>
        <button
          type="submit"
          className="rounded bg-slate-900 px-3 py-1 text-white disabled:opacity-50"
          disabled={add.isPending}
          data-testid="gen-add"
        >
          {add.isPending ? t("adding") : t("add")}
        </button>
      </form>
      {add.error && (
        <p className="text-sm text-red-700" role="alert">
          {add.error.message}
        </p>
      )}
      {add.data?.test && !add.data.generator && <ProbeView probe={add.data.test} testId="gen-add-test" />}

      <div className="relative overflow-x-auto">
        <table className="w-full text-sm" data-testid="generators-table">
          <thead>
            <tr className="text-left text-slate-600">
              <th className="py-1">{t("name")}</th>
              <th>{t("col.kind")}</th>
              <th>{t("col.model")}</th>
              <th>{t("col.version")}</th>
              <th>{t("col.lastTest")}</th>
              <th>
                <span className="sr-only">{t("col.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(generators.data ?? []).map((g) => (
              <tr key={g.id} className="border-t align-top" data-testid={`generator-${g.name}`}>
                <td className="py-2 font-medium">{g.name}</td>
                <td>{g.kind === "local" ? t("localOn", { device: g.device ?? "auto" }) : t("server")}</td>
                <td className="break-all">
                  {g.model}
                  {g.url && <div className="text-xs text-slate-600">{g.url}</div>}
                  {g.apiKeyEnv && (
                    <div className="text-xs text-slate-600">
                      {g.apiKeySet ? t("key", { env: `$${g.apiKeyEnv}` }) : t("keyUnset", { env: `$${g.apiKeyEnv}` })}
                    </div>
                  )}
                </td>
                <td className="break-all">{g.version ?? "–"}</td>
                <td className="max-w-md">
                  {probes[g.id] ? (
                    <ProbeView probe={probes[g.id] as Probe} testId={`gen-test-result-${g.name}`} />
                  ) : g.lastTest ? (
                    <span className="text-slate-600">
                      {(g.lastTest as Probe).ok
                        ? t("lastOk", {
                            speed:
                              (g.lastTest as Probe).tokens_per_s === null
                                ? "–"
                                : format.number((g.lastTest as Probe).tokens_per_s as number, { maximumFractionDigits: 1 }),
                          })
                        : t("lastFailed")}
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
                    aria-label={t("testName", { name: g.name })}
                  >
                    {test.isPending && test.variables?.id === g.id ? t("testing") : t("test")}
                  </button>
                  <button
                    type="button"
                    className="rounded border px-2 py-0.5"
                    onClick={() => remove.mutate({ id: g.id })}
                    aria-label={t("removeName", { name: g.name })}
                  >
                    {t("remove")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {generators.data?.length === 0 && (
        <p className="text-sm text-slate-600" data-testid="generators-empty">
          {t("empty")}
        </p>
      )}
    </div>
  );
}
