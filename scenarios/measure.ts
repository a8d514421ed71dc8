/**
 * Small, pure measurements the scenarios share: loss and duplicates from received sequence
 * numbers, percentiles of a sample, and code-line counts of source files (for `sse-simpler`).
 */
import { readFile } from 'node:fs/promises';
import { ROOT } from '../scripts/lib/paths.ts';
import type { TimedEvent } from './types.ts';

export function round(ms: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(ms * f) / f;
}

/** Against the published range 1..latest: how many were never received, and how many arrived more than once. */
export function lossAndDuplicates(received: readonly number[], latest: number): { lost: number; duplicated: number } {
  const seen = new Set(received);
  let lost = 0;
  for (let seq = 1; seq <= latest; seq++) if (!seen.has(seq)) lost++;
  return { lost, duplicated: received.length - seen.size };
}

/** The `seq` of every event of `type` (quote events, ws messages), in arrival order. */
export function seqsOf(events: readonly TimedEvent[], type: string): number[] {
  return events.filter((e) => e.type === type && typeof e.detail?.seq === 'number').map((e) => e.detail!.seq as number);
}

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, ms rounded to 0.01. */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    min: round(sorted[0] ?? 0, 2),
    p50: round(rank(50), 2),
    p90: round(rank(90), 2),
    p99: round(rank(99), 2),
    max: round(sorted.at(-1) ?? 0, 2),
    mean: round(mean, 2),
  };
}

/** Lines that are code: not blank, not a `//` comment, not inside a block comment. */
export function codeLines(text: string): number {
  let count = 0;
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    if (line.startsWith('/*')) {
      inBlock = !line.includes('*/');
      continue;
    }
    count++;
  }
  return count;
}

/** The lines between a `BEGIN <marker>` and an `END <marker>` comment. */
export function between(text: string, marker: string): string {
  const begin = text.indexOf(`BEGIN ${marker}`);
  const end = text.indexOf(`END ${marker}`);
  if (begin === -1 || end === -1) throw new Error(`lab: markers BEGIN/END ${marker} not found`);
  return text.slice(text.indexOf('\n', begin) + 1, text.lastIndexOf('\n', end));
}

export function readSource(path: string): Promise<string> {
  return readFile(`${ROOT}${path}`, 'utf8');
}

/** npm packages a source file imports (not node: built-ins, not relative files). */
export function packagesImported(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)) {
    const spec = match[1]!;
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return [...names].sort();
}

/** The lab's own modules a source file imports from its folder (`./x.ts` -> `x.ts`). */
export function localImports(text: string): string[] {
  return [...text.matchAll(/^import\s[^'"]*['"]\.\/([^'"]+)['"]/gm)].map((match) => match[1]!).sort();
}

/** Publishes `n` quotes by hand on a lab server whose feed is paused. */
export function publish(server: { feed: { publish(): unknown } }, n: number): void {
  for (let i = 0; i < n; i++) server.feed.publish();
}

/** How many events of one type a page or client logged. */
export function countOf(events: readonly { type: string }[], type: string): number {
  return events.filter((e) => e.type === type).length;
}
