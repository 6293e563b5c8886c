export function ProgressBar({ done, target, label }: { done: number; target: number; label?: string }) {
  const pct = target > 0 ? Math.min(100, (100 * done) / target) : 0;
  return (
    <div className="w-full" title={label}>
      <div
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
        role="progressbar"
        aria-valuenow={done}
        aria-valuemin={0}
        aria-valuemax={target}
        aria-label={label}
      >
        <div className="h-full rounded-full bg-emerald-500 transition-all" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
