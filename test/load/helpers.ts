/**
 * What the load runner's end-to-end tests share: the committed example result's shape, the
 * children this process left behind, and the checks every step of every run must pass (every
 * client connected, every quote of the window received once and in order, sane figures).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { decode } from '../../scripts/load/histogram.ts';
import { upstreamDriver } from '../../scripts/load/capabilities.ts';
import type { LoadResults, Percentiles, StepResult, UpstreamResult } from '../../scripts/load/types.ts';

const EXAMPLE = new URL('../fixtures/example-load.json', import.meta.url);
/** Free-form maps whose keys vary from run to run. */
const RECORDS = new Set(['connect.errors', 'meta.versions', 'claim.figures', 'meta.machine']);

/**
 * A run's results have the schema of the committed example (example-load.json unless another is named), and the
 * file it wrote at `path` holds the same steps.
 */
export async function assertWrittenLikeExample(results: LoadResults, path: string, example: URL = EXAMPLE): Promise<void> {
  assertShape(results, JSON.parse(await readFile(example, 'utf8')), '$');
  const written = JSON.parse(await readFile(path, 'utf8')) as LoadResults;
  expect(written.steps.map((s) => s.id)).toEqual(results.steps.map((s) => s.id));
}

/** Asserts `actual` has the shape of `example`: same keys, same kinds; null matches anything (it means "not applicable"). */
export function assertShape(actual: unknown, example: unknown, path: string): void {
  if (actual === null || example === null) return;
  expect(Array.isArray(actual), `${path} array-ness`).toBe(Array.isArray(example));
  if (Array.isArray(actual)) {
    const model = (example as unknown[])[0];
    if (model !== undefined) for (const [i, item] of actual.entries()) assertShape(item, model, `${path}[${i}]`);
    return;
  }
  expect(typeof actual, `${path} type`).toBe(typeof example);
  if (typeof actual !== 'object') return;
  const key = path
    .replace(/^\$\./, '')
    .replace(/\[\d+\]/g, '')
    .split('.')
    .slice(-2)
    .join('.');
  if (RECORDS.has(key) || RECORDS.has(path.replace(/^\$\./, ''))) return;
  expect(Object.keys(actual as object).sort(), `${path} keys`).toEqual(Object.keys(example as object).sort());
  for (const [name, value] of Object.entries(actual as object))
    assertShape(value, (example as Record<string, unknown>)[name], `${path}.${name}`);
}

/** Pids of this process's live children, from /proc (Linux). */
export function children(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command name (field 2) is in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return pids;
}

export function assertOrdered(p: Percentiles, what: string): void {
  expect(p.count, `${what} count`).toBeGreaterThan(0);
  expect(p.p50! >= 0 && p.p50! <= p.p90! && p.p90! <= p.p99! && p.p99! <= p.max!, `${what} percentiles ordered: ${JSON.stringify(p)}`).toBe(
    true,
  );
}

/** Every client connected and counted, and every quote of the window received once, in order. */
export function assertDelivered(step: StepResult, clients: number): void {
  expect(step.error, step.id).toBeNull();
  expect(['failed', 'incomplete', 'loss'], `${step.id} status`).not.toContain(step.status);
  expect(step.connect, step.id).toMatchObject({ attempted: clients, connected: clients, failed: 0, errors: {}, serverCounted: clients });
  expect(step.window.quotes).toBe(step.window.toSeq! - step.window.fromSeq! + 1);
  expect(step.window.quotes).toBe(Math.round(step.durationS * step.rate));
  expect(step.delivery, step.id).toMatchObject({
    windowClients: clients,
    expected: clients * step.window.quotes,
    received: clients * step.window.quotes,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    disconnected: 0,
  });
}

/** Latency, connect, memory, CPU and byte figures that hold on any machine. */
export function assertFigures(step: StepResult, clients: number): void {
  assertOrdered(step.delivery.latencyMs, `${step.id} latency`);
  assertOrdered(step.connect.ms, `${step.id} connect`);
  // Latencies are the timed clients' (the probe's): one sample per quote of the window on each.
  expect(decode(step.delivery.histogram).totalCount).toBe(step.delivery.latencyClients * step.window.quotes);
  expect(decode(step.connect.histogram).totalCount).toBe(step.connect.connected);

  const s = step.server;
  expect(s.loaded, step.id).toMatchObject({ connections: clients, gc: true });
  expect(s.idle, step.id).toMatchObject({ connections: 1, gc: true }); // the twin's one client
  expect(Number.isFinite(s.perConnection.heapBytes)).toBe(true);
  expect(Number.isFinite(s.perConnection.rssBytes)).toBe(true);
  // Each quote goes to every client: the server's count over the window is whole broadcasts.
  expect(s.messagesSent! % clients, step.id).toBe(0);
  expect(s.messagesSent).toBeGreaterThan(0);
  expect(s.cpuMs).toBeGreaterThan(0);
  expect(s.cpuMsPer1kDeliveries).toBeGreaterThan(0);
  // A delivery carries at least the quote's JSON (~60 bytes) and its padding, plus framing (and a TLS record's 22 B).
  expect(s.bytesPerDelivery!, step.id).toBeGreaterThan(step.padding + 50);
  expect(s.bytesPerDelivery!, step.id).toBeLessThan(step.padding * 1.5 + 200);
  expect(s.dropped).toBe(0);

  expect(step.generator.cores).toHaveLength(step.generator.workers);
  expect(step.generator.usPerDelivery, step.id).toBeGreaterThan(0);
  for (const cores of step.generator.cores) expect(cores).toBeGreaterThanOrEqual(0);
}

const sum = (values: readonly number[]) => values.reduce((total, v) => total + v, 0);

/** Bytes per delivery of the client sweep's steps, by transport. */
export function bytesByTransport(steps: readonly StepResult[]): Record<string, number> {
  return Object.fromEntries(steps.filter((s) => s.phase === 'clients').map((s) => [s.transport, s.server.bytesPerDelivery!]));
}

/** Round trips completed without an error, over TLS or not as asked; autocannon keeps no microsecond histogram. */
export function assertUpstream(u: UpstreamResult, tls: boolean): void {
  expect(u.error, u.id).toBeNull();
  expect(u.errors, u.id).toBe(0);
  expect(u.requests, u.id).toBeGreaterThan(0);
  expect(u.latencyMs.count).toBe(u.requests);
  expect(u.tls, u.id).toBe(tls);
  expect(u.id.endsWith('-tls'), u.id).toBe(tls);
  if (upstreamDriver(u.transport) === 'autocannon') expect(u.histogram).toBeNull();
  // Repeated: the runs' histograms merged, every round trip of every run.
  else expect(decode(u.histogram!).totalCount).toBe(u.runs > 1 ? sum(u.spread.requests!.values) : u.requests);
  expect(u.spread.requests?.median ?? u.requests).toBe(u.requests);
}
