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
  return { values: present, median: present.every(Number.isInteger) ? Math.round(m) : m, min: Math.min(...present), max: Math.max(...present) };
}

/** Two spreads overlap: neither's range lies wholly above the other's. */
export const overlaps = (a: Spread, b: Spread) => a.min <= b.max && b.min <= a.max;

/** The median status: ranked by SEVERITY, the middle run's (for an even count, the worse of the middle two). */
export function medianStatus(statuses: readonly StepStatus[]): StepStatus {
  const ranked = [...statuses].sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b));
  return ranked[ranked.length >> 1]!;
}

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
  if (Array.isArray(first)) return first.map((_, i) => medianDeep(values.map((v) => (v as unknown[])[i]))) as T;
  if (typeof first === 'object' && first !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = medianDeep(values.map((v) => (v as Record<string, unknown>)[key]));
    return out as T;
  }
  return first;
}

/** The id of a step's summary, from any of its runs' (`...#2` -> `...`). */
export const summaryId = (runId: string) => runId.replace(/#\d+$/, '');

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
    server: { ...summary.server, cpuJudged: runs.every((r) => r.server.cpuJudged) },
    repeats: { runs: runs.length, ids: runs.map((r) => r.id), statuses, spread },
  };
}

const UPSTREAM_SEVERITY: readonly UpstreamResult['status'][] = ['ok', 'errors', 'client-bound', 'failed'];

/** Upstream round trips measured several times (a fresh server each): medians, the spread of rate, p99 and server CPU. */
export function summarizeUpstream(runs: readonly UpstreamResult[]): UpstreamResult {
  const ranked = runs.map((r) => r.status).sort((a, b) => UPSTREAM_SEVERITY.indexOf(a) - UPSTREAM_SEVERITY.indexOf(b));
  const status = ranked[ranked.length >> 1]!;
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
