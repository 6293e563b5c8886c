"use client";
/**
 * The admin's upload form: pick a format and a JSONL file; the page shows the upload's bytes sent,
 * then the server's checking pass (lines parsed), then the write, then the outcome. A state machine
 * (idle → uploading → importing → finished | failed). The upload goes through XMLHttpRequest because
 * fetch cannot report upload progress; it posts the same FormData the tRPC client would.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useEffect, useReducer } from "react";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";

/** Each format's fields as a hint (JSON, not translated); its name comes from the messages. */
const FORMATS = [
  { value: "arbiter", hint: '{"id", "prompt", "responses": [{"model", "text"}], "judgments"?}' },
  { value: "hh", hint: '{"chosen": "\\n\\nHuman: …\\n\\nAssistant: …", "rejected": "…"}' },
  { value: "trl", hint: '{"prompt", "chosen", "rejected"}' },
] as const;

/** The README's item, the shape a refused file is compared with (JSON, not translated). */
const ARBITER_EXAMPLE = '{"prompt": "…", "responses": [{"model": "m1", "text": "…"}, {"model": "m2", "text": "…"}]}';

type Issue = { line?: number; field: string; message: string };
type Result = { items: number; responses: number; judgments: number; errors: Issue[]; errorCount: number };

type State =
  | { kind: "idle" }
  | { kind: "uploading"; fileName: string; sent: number; total: number }
  | { kind: "importing"; fileName: string; importId: string }
  | { kind: "finished"; fileName: string; result: Result }
  | { kind: "failed"; message: string };

type Action =
  | { type: "upload"; fileName: string; total: number }
  | { type: "progress"; sent: number; total: number }
  | { type: "started"; importId: string }
  | { type: "finished"; result: Result }
  | { type: "failed"; message: string };

function reduce(state: State, action: Action): State {
  switch (action.type) {
    case "upload":
      return { kind: "uploading", fileName: action.fileName, sent: 0, total: action.total };
    case "progress":
      return state.kind === "uploading" ? { ...state, sent: action.sent, total: action.total } : state;
    case "started":
      return state.kind === "uploading" ? { kind: "importing", fileName: state.fileName, importId: action.importId } : state;
    case "finished":
      return state.kind === "importing" ? { kind: "finished", fileName: state.fileName, result: action.result } : state;
    case "failed":
      return { kind: "failed", message: action.message };
  }
}

/** An upload the server never answered (status 0: network) or answered without a message. */
class UploadFailure extends Error {
  constructor(readonly status: number) {
    super(`upload failed: HTTP ${status}`);
  }
}

/** tRPC's wire format for one unbatched call: `{result: {data}}` or `{error: {message}}`. */
function uploadImport(form: FormData, onProgress: (sent: number, total: number) => void): Promise<{ id: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/trpc/projects.import");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : e.loaded);
    xhr.onerror = () => reject(new UploadFailure(0));
    xhr.onload = () => {
      const body = xhr.response as { result?: { data?: { id?: string } }; error?: { message?: string } } | null;
      const id = body?.result?.data?.id;
      if (xhr.status === 200 && id) resolve({ id });
      else reject(body?.error?.message ? new Error(body.error.message) : new UploadFailure(xhr.status));
    };
    xhr.send(form);
  });
}

type IssueGroup = { key: string; field: string; message: string; first?: number; last?: number };

/** Consecutive lines with the same problem (a pretty-printed object: one per line) as one entry, "lines 1–14". */
function groupIssues(issues: Issue[]): IssueGroup[] {
  const out: IssueGroup[] = [];
  for (const e of issues) {
    const prev = out[out.length - 1];
    if (
      prev?.last !== undefined &&
      e.line !== undefined &&
      prev.last + 1 === e.line &&
      prev.field === e.field &&
      prev.message === e.message
    ) {
      prev.last = e.line;
      continue;
    }
    out.push({ key: `${e.line ?? ""}:${e.field}:${e.message}`, field: e.field, message: e.message, first: e.line, last: e.line });
  }
  return out;
}

export function ImportForm({ projectId }: { projectId: number }) {
  const t = useTranslations("admin.import");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(reduce, { kind: "idle" });
  const importId = state.kind === "importing" ? state.importId : null;
  const status = useQuery({
    ...trpc.projects.importStatus.queryOptions({ projectId, importId: importId ?? "00000000-0000-4000-8000-000000000000" }),
    enabled: importId !== null,
    refetchInterval: 400,
    staleTime: 0,
    retry: false,
  });
  const run = status.data;

  useEffect(() => {
    if (importId === null) return;
    if (status.error) dispatch({ type: "failed", message: status.error.message });
    else if (run?.phase === "failed") dispatch({ type: "failed", message: run.error ?? t("failed") });
    else if (run?.phase === "done" && run.result) {
      dispatch({ type: "finished", result: run.result });
      queryClient.invalidateQueries({ queryKey: trpc.projects.get.queryKey({ projectId }) });
    }
  }, [importId, run, status.error, queryClient, trpc, projectId, t]);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    form.set("projectId", String(projectId));
    const file = form.get("file");
    if (!(file instanceof File)) return;
    dispatch({ type: "upload", fileName: file.name, total: file.size });
    try {
      const started = await uploadImport(form, (sent, total) => dispatch({ type: "progress", sent, total }));
      dispatch({ type: "started", importId: started.id });
    } catch (err) {
      const message =
        err instanceof UploadFailure
          ? err.status === 0
            ? t("networkError")
            : t("httpError", { status: err.status })
          : err instanceof Error
            ? err.message
            : String(err);
      dispatch({ type: "failed", message });
    }
  }

  const busy = state.kind === "uploading" || state.kind === "importing";
  return (
    <form onSubmit={onSubmit} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="import-form">
      <h2 className="font-medium">{t("title")}</h2>
      <p className="text-sm text-slate-600">{t.rich("intro", { code: (c) => <code>{c}</code> })}</p>
      <div className="flex flex-wrap items-center gap-4">
        <label className="text-sm">
          {t("format")}
          <select
            name="format"
            defaultValue="arbiter"
            data-testid="import-format"
            className="ml-2 rounded border border-slate-300 bg-white px-2 py-1 text-sm"
          >
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value} title={f.hint}>
                {t(`formats.${f.value}`)}
              </option>
            ))}
          </select>
        </label>
        <input
          type="file"
          name="file"
          accept=".jsonl,.json,.txt,application/jsonl"
          required
          aria-label={t("file")}
          data-testid="import-file"
          className="block text-sm"
        />
        <button
          type="submit"
          disabled={busy}
          data-testid="import-submit"
          className="rounded bg-slate-900 px-4 py-2 text-sm text-white hover:bg-slate-700 disabled:opacity-50"
        >
          {busy ? t("importing") : t("submit")}
        </button>
      </div>

      {state.kind === "uploading" && (
        <div data-testid="import-progress" className="text-sm text-slate-600">
          <div className="mb-1">{t("uploading", { file: state.fileName, share: state.total ? state.sent / state.total : 0 })}</div>
          <ProgressBar done={state.sent} target={Math.max(state.total, 1)} label={t("bytesUploaded")} />
        </div>
      )}
      {state.kind === "importing" && (
        <div data-testid="import-progress" className="text-sm text-slate-600">
          {run?.phase === "writing" ? (
            <div>{t("writing", { items: run.itemsChecked })}</div>
          ) : (
            <>
              <div className="mb-1">{t("checking", { file: state.fileName, lines: run?.lines ?? 0 })}</div>
              <ProgressBar done={run?.bytesRead ?? 0} target={Math.max(run?.totalBytes ?? 1, 1)} label={t("bytesChecked")} />
            </>
          )}
        </div>
      )}
      {state.kind === "failed" && (
        <p role="alert" className="text-sm text-red-600" data-testid="import-failed">
          {state.message}
        </p>
      )}
      {state.kind === "finished" && state.result.errorCount === 0 && (
        <p className="text-sm text-emerald-700" data-testid="import-ok">
          {t("ok", {
            items: state.result.items,
            responses: state.result.responses,
            judgments: state.result.judgments,
            file: state.fileName,
          })}
        </p>
      )}
      {state.kind === "finished" && state.result.errorCount > 0 && (
        <div className="text-sm text-red-700" data-testid="import-errors">
          <p className="font-medium">{t("nothing", { count: state.result.errorCount, file: state.fileName })}</p>
          <p className="mt-1 text-slate-700">
            {t("expected")} <code className="break-all rounded bg-slate-100 px-1">{ARBITER_EXAMPLE}</code>
          </p>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling list of problems must be reachable by keyboard */}
          <ul className="mt-1 max-h-64 list-disc overflow-y-auto pl-5" tabIndex={0} aria-label={t("problems")}>
            {groupIssues(state.result.errors).map((e) => (
              <li key={e.key}>
                {e.first === undefined
                  ? t("issue", { field: e.field, message: e.message })
                  : e.first === e.last
                    ? t("issueLine", { line: e.first, field: e.field, message: e.message })
                    : t("issueLines", { first: e.first, last: e.last ?? e.first, field: e.field, message: e.message })}
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
