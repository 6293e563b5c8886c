"use client";
/**
 * What every chart in the app shares: round axis ticks, axis titles that are not clipped, an empty
 * state that says how much data is needed instead of an empty frame, and the training accuracy curve
 * (smoothed line, faint raw points, the 50 % chance line). Pages pass plain arrays.
 */
import { useFormatter, useTranslations } from "next-intl";
import type { ReactNode } from "react";
import {
  CartesianGrid,
  ComposedChart,
  type LabelProps,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

/** Round ticks covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them (543/793/1043 → 500/750/1000…). */
export function niceTicks(lo: number, hi: number, count = 5): { domain: [number, number]; ticks: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 1] };
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude) as number;
  // Ticks as whole multiples of the step, rounded to its decimals: no float residue (5.6e-17) and no "-0".
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let k = Math.floor(lo / step); k <= Math.ceil(hi / step); k++) ticks.push(Number((k * step).toFixed(decimals)) + 0);
  return { domain: [ticks[0] ?? lo, ticks.at(-1) ?? hi], ticks };
}

/** Exponential moving average (TensorBoard's smoothing): a readable trend through noisy per-step values. */
export function smoothEma(values: readonly number[], weight = 0.8): number[] {
  const out: number[] = [];
  let last: number | undefined;
  for (const v of values) {
    last = last === undefined ? v : weight * last + (1 - weight) * v;
    out.push(last);
  }
  return out;
}

/** In place of a chart without enough data: what it will show and how much more it needs. */
export function ChartEmpty({ have, need, unit, children }: { have: number; need: number; unit: string; children?: ReactNode }) {
  const t = useTranslations("charts");
  return (
    <div
      className="flex min-h-32 flex-col items-center justify-center rounded border border-dashed border-slate-300 p-4 text-center text-sm text-slate-600"
      data-testid="chart-empty"
    >
      <p>{t("empty", { have, need, unit })}</p>
      {children && <p className="mt-1 text-xs">{children}</p>}
    </div>
  );
}

/** Axis title props for recharts (`label={axisTitle("judgments", "x")}`), placed outside the ticks. */
export function axisTitle(value: string, axis: "x" | "y"): LabelProps {
  return axis === "x"
    ? { value, position: "insideBottom", offset: -12, fill: "#475569", fontSize: 12 }
    : { value, angle: -90, position: "insideLeft", style: { textAnchor: "middle" }, fill: "#475569", fontSize: 12 };
}

/** Margins that leave room for the axis titles above. */
export const TITLED_MARGIN = { top: 8, right: 24, bottom: 24, left: 16 };

/** One value per training step (loss, tokens/s): round ticks on both axes, titled axes, optional EMA line over faint raw points. */
export function StepCurve({
  points,
  title,
  color,
  smooth = false,
  height = 240,
}: {
  points: { step: number; value: number }[];
  /** The y axis title (already translated). */
  title: string;
  color: string;
  smooth?: boolean;
  height?: number;
}) {
  const t = useTranslations("charts");
  const format = useFormatter();
  if (points.length < 2) return <ChartEmpty have={points.length} need={2} unit={t("steps", { count: points.length })} />;
  const smoothed = smooth ? smoothEma(points.map((p) => p.value)) : [];
  const data = points.map((p, i) => ({ step: p.step, raw: p.value, smoothed: smoothed[i] }));
  const x = niceTicks(points[0]?.step ?? 0, points.at(-1)?.step ?? 1);
  const values = points.map((p) => p.value);
  const y = niceTicks(Math.min(0, ...values), Math.max(...values));
  const number = (v: unknown) => format.number(Number(v), { maximumFractionDigits: 3 });
  return (
    <ResponsiveContainer width="100%" height={height}>
      <ComposedChart data={data} margin={TITLED_MARGIN}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" dataKey="step" domain={x.domain} ticks={x.ticks} tickFormatter={number} label={axisTitle(t("step"), "x")} />
        <YAxis domain={y.domain} ticks={y.ticks} tickFormatter={number} width={64} label={axisTitle(title, "y")} />
        <Tooltip formatter={number} labelFormatter={(s) => t("atStep", { step: Number(s) })} />
        {smooth ? (
          <>
            <Scatter dataKey="raw" name={t("perStep")} fill={color} fillOpacity={0.25} isAnimationActive={false} />
            <Line dataKey="smoothed" name={t("smoothed")} stroke={color} strokeWidth={2} dot={false} isAnimationActive={false} />
          </>
        ) : (
          <Line dataKey="raw" name={title} stroke={color} strokeWidth={2} dot={false} isAnimationActive={false} />
        )}
      </ComposedChart>
    </ResponsiveContainer>
  );
}

/**
 * Training accuracy per step: raw values as faint points (a batch's accuracy jumps between 0 and 1),
 * their moving average as the line, and the 50 % a coin flip scores on pairs.
 */
export function AccuracyCurve({ points, height = 240 }: { points: { step: number; accuracy: number }[]; height?: number }) {
  const t = useTranslations("charts");
  const format = useFormatter();
  if (points.length < 2) return <ChartEmpty have={points.length} need={2} unit={t("steps", { count: points.length })} />;
  const smoothed = smoothEma(points.map((p) => p.accuracy));
  const data = points.map((p, i) => ({ step: p.step, raw: 100 * p.accuracy, smoothed: 100 * (smoothed[i] ?? p.accuracy) }));
  const x = niceTicks(points[0]?.step ?? 0, points.at(-1)?.step ?? 1);
  const percent = (v: unknown) => format.number(Number(v) / 100, { style: "percent", maximumFractionDigits: 1 });
  return (
    <ResponsiveContainer width="100%" height={height}>
      <ComposedChart data={data} margin={TITLED_MARGIN}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          type="number"
          dataKey="step"
          domain={x.domain}
          ticks={x.ticks}
          tickFormatter={(v: number) => format.number(v)}
          label={axisTitle(t("step"), "x")}
        />
        <YAxis domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={percent} width={56} label={axisTitle(t("accuracy"), "y")} />
        <Tooltip formatter={percent} labelFormatter={(s) => t("atStep", { step: Number(s) })} />
        <ReferenceLine
          y={50}
          stroke="#64748b"
          strokeDasharray="6 4"
          label={{ value: t("chance"), position: "insideTopRight", fill: "#475569", fontSize: 11 }}
        />
        <Scatter dataKey="raw" name={t("perStep")} fill="#0ea5e9" fillOpacity={0.25} isAnimationActive={false} />
        <Line dataKey="smoothed" name={t("smoothed")} stroke="#0369a1" strokeWidth={2} dot={false} isAnimationActive={false} />
      </ComposedChart>
    </ResponsiveContainer>
  );
}
