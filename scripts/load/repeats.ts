/**
 * A step measured several times: its runs (one window each on the same servers and connections) folded into one summary
 * whose every figure is the runs' median, with the spread of the figures a reader compares (SPREAD_FIGURES). Medians,
 * not means: one run disturbed by a GC or a scheduler hiccup moves a mean, not a median of three.
 */
import { encode, merge } from './histogram.ts';
import type { Repeats, Spread, SpreadFigure, StepResult, StepStatus, UpstreamResult } from './types.ts';

/** How each compared figure is read from a step. */
export const SPREAD_FIGURES: Record<SpreadFigure, (s: StepResult) => number | null> = {
  deliveriesPerSecond: (s) => s.delivery.deliveriesPerSecond,
  p50Ms: (s) => s.delivery.latencyMs.p50,
  p99Ms: (s) => s.delivery.latencyMs.p99,
  heapPerConnectionBytes: (s) => s.server.perConnection.heapBytes,
  rssPerConnectionBytes: (s) => s.server.perConnection.rssBytes,
  cpuMsPer1kDeliveries: (s) => s.server.cpuMsPer1kDeliveries,
  netCpuMsPer1kDeliveries: (s) => s.server.netCpuMsPer1kDeliveries,
  serverCores: (s) => s.server.cores,
  bytesPerDelivery: (s) => s.server.bytesPerDelivery,
  generatorUsPerDelivery: (s) => s.generator.usPerDelivery,
  generatorCores: (s) => s.generator.maxCores,
};

/** Worst last: a summary's status is the median of its runs' in this order. */
const SEVERITY: readonly StepStatus[] = ['ok', 'slow', 'saturated', 'loss', 'client-bound', 'incomplete', 'failed'];
const UPSTREAM_SEVERITY: readonly UpstreamResult['status'][] = ['ok', 'errors', 'client-bound', 'failed'];

/** The middle of `values` ranked by `order` (for an even count, the worse of the middle two). */
function medianByRank<T>(values: readonly T[], order: readonly T[]): T {
  const ranked = [...values].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return ranked[ranked.length >> 1]!;
}

/** A figure and its spread as "median (min-max)", or the one value when the runs agree (or there was one). */
export function formatSpread(s: Spread, digits: number): string {
  const f = (v: number) => v.toFixed(digits);
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
}

/** The median of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spreadOf(values: readonly (number | null)[]): Spread | null {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return null;
  // Rounded as medianDeep rounds a summary's whole counts, so a summary's figure is always its spread's median.
  const m = median(present);
  return {
    values: present,
    median: present.every(Number.isInteger) ? Math.round(m) : m,
    min: Math.min(...present),
    max: Math.max(...present),
  };
}

/** Two spreads overlap: neither's range lies wholly above the other's. */
export const overlaps = (a: Spread, b: Spread) => a.min <= b.max && b.min <= a.max;

/** The median status: ranked by SEVERITY, the middle run's (for an even count, the worse of the middle two). */
export const medianStatus = (statuses: readonly StepStatus[]) => medianByRank(statuses, SEVERITY);

/**
 * The leaf-wise median of values of the same shape: numbers by their median (nulls ignored, null if all are), arrays
 * element by element, objects key by key, booleans by majority, anything else the first value's.
 */
export function medianDeep<T>(values: readonly T[]): T {
  const [first] = values;
  if (typeof first === 'number' || first === null) {
    const numbers = values.filter((v): v is T & number => typeof v === 'number');
    if (numbers.length === 0) return first;
    const m = median(numbers);
    // Counts stay whole where every run's is: a median of 3 runs always is; of an even count, rounded.
    return (numbers.every(Number.isInteger) ? Math.round(m) : m) as T;
  }
  if (typeof first === 'boolean') return (values.filter(Boolean).length * 2 > values.length) as T;
  // A run that failed before a figure was read has null there: the median is of the runs that have it.
  const present = values.filter((v) => v !== null && v !== undefined);
  const [model] = present;
  if (Array.isArray(model)) return model.map((_, i) => medianDeep(present.map((v) => (v as unknown[])[i]))) as T;
  if (typeof model === 'object' && model !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(model)) out[key] = medianDeep(present.map((v) => (v as Record<string, unknown>)[key]));
    return out as T;
  }
  return model ?? first;
}

/** The id of a step's summary, from any of its runs' (`...#2` -> `...`). */
const summaryId = (runId: string) => runId.replace(/#\d+$/, '');

/**
 * One summary StepResult from a step's runs: figures are medians, the status the median status; `error` and
 * `limitedBy` come from a run with that status; the latency histogram merges every run's; `repeats` lists the runs.
 */
export function summarizeRuns(runs: readonly StepResult[]): StepResult {
  const statuses = runs.map((r) => r.status);
  const status = medianStatus(statuses);
  const typical = runs.find((r) => r.status === status)!;
  const summary = medianDeep(runs);
  const spread = Object.fromEntries(
    Object.entries(SPREAD_FIGURES).map(([name, read]) => [name, spreadOf(runs.map(read))]),
  ) as Repeats['spread'];
  return {
    ...summary,
    id: summaryId(typical.id),
    run: null,
    status,
    error: typical.error,
    limitedBy: typical.limitedBy,
    connect: typical.connect,
    // A median of sequence numbers names no window: each run's is in its own record.
    window: { ...summary.window, fromSeq: null, toSeq: null },
    delivery: { ...summary.delivery, histogram: encode(merge(runs.map((r) => r.delivery.histogram))) },
    // Judged when every run that measured its window was (a failed run read no CPU at all).
    server: { ...summary.server, cpuJudged: runs.some((r) => !r.error) && runs.every((r) => r.error !== null || r.server.cpuJudged) },
    repeats: { runs: runs.length, ids: runs.map((r) => r.id), statuses, spread },
  };
}

/** Upstream round trips measured several times (a fresh server each): medians, the spread of rate, p99 and server CPU. */
export function summarizeUpstream(runs: readonly UpstreamResult[]): UpstreamResult {
  const status = medianByRank(
    runs.map((r) => r.status),
    UPSTREAM_SEVERITY,
  );
  const typical = runs.find((r) => r.status === status)!;
  const histograms = runs.map((r) => r.histogram).filter((h): h is string => h !== null);
  return {
    ...medianDeep(runs),
    status,
    error: typical.error,
    histogram: histograms.length ? encode(merge(histograms)) : null,
    runs: runs.length,
    spread: {
      requests: spreadOf(runs.map((r) => r.requests)),
      requestsPerSecond: spreadOf(runs.map((r) => r.requestsPerSecond)),
      p99Ms: spreadOf(runs.map((r) => r.latencyMs.p99)),
      serverCpuMsPer1kRequests: spreadOf(runs.map((r) => r.serverCpuMsPer1kRequests)),
    },
  };
}
