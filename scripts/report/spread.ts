/**
 * How the report reads repeated load steps (results schema 3): a step in `steps` is the median of its runs, and
 * `repeats.spread` holds each compared figure's min and max over them. An older file (schema 2) has no `repeats`,
 * `checks`, `pinning` or `cpuJudged`: each of its steps is read as a single run whose CPU was judged.
 */
import type { Spread, SpreadFigure, StepResult } from '../load/types.ts';

/** How many runs a step's figures are the median of (1 for a single run or an older file). */
export const runsOf = (step: StepResult) => step.repeats?.runs ?? 1;

/** A figure's spread over the step's runs; `null` for a single run, where there is none to draw. */
export const spreadOf = (step: StepResult | null | undefined, figure: SpreadFigure): Spread | null =>
  step && runsOf(step) > 1 ? (step.repeats?.spread[figure] ?? null) : null;

/** The step's window held enough deliveries to judge server CPU per delivery (an older file never said otherwise). */
export const cpuJudged = (step: StepResult) => step.server.cpuJudged !== false;

/** A chart's whisker for one point: `[min, max]` of the figure, scaled as the point is; `null` without a spread. */
export function whisker(spread: Spread | null, scale: (v: number) => number = (v) => v): [number, number] | null {
  return spread ? [round(scale(spread.min)), round(scale(spread.max))] : null;
}

const round = (value: number) => Number(value.toFixed(3));

/** How many runs the steps' figures are medians of: "3", "1–3"; `null` when every step ran once. */
export function runsCount(steps: readonly StepResult[]): string | null {
  const counts = [...new Set(steps.map(runsOf))].sort((a, b) => a - b);
  if (counts.length === 0 || (counts.length === 1 && counts[0] === 1)) return null;
  return counts.length === 1 ? `${counts[0]}` : `${counts[0]}–${counts.at(-1)}`;
}

/** What a chart's points rest on, for its caption: the median of N runs with a min–max whisker, or one run each. */
export function runsNote(steps: readonly StepResult[]): string {
  const runs = runsCount(steps);
  return runs ? `Each point is the median of ${runs} runs; the whisker spans their min–max.` : 'One run each, not repeated.';
}

/** A figure as text with its spread when repeated: `12.3 (11.0–13.1)`; `–` when missing. */
export function withRange(value: number | null | undefined, spread: Spread | null, digits = 2, scale = 1): string {
  if (value === null || value === undefined) return '–';
  const f = (v: number) => (v * scale).toFixed(digits);
  return spread && spread.min !== spread.max ? `${f(value)} (${f(spread.min)}–${f(spread.max)})` : f(value);
}

/** The steps left out of a CPU chart, in words, or '' when none was. */
export function cpuLeftOut(steps: readonly StepResult[], label: (s: StepResult) => string, minDeliveries?: number): string {
  const out = steps.filter((s) => !cpuJudged(s));
  if (out.length === 0) return '';
  const min = minDeliveries === undefined ? '' : ` (fewer than ${minDeliveries.toLocaleString('en-US')} quotes written)`;
  return (
    ` Left out: ${out.map((s) => `${label(s)} at ${s.clients} clients, ${s.rate} quotes/s`).join('; ')}: the window held too ` +
    `few deliveries to judge server CPU${min}, so the point would show the fixed costs and noise, not a delivery's cost.`
  );
}
