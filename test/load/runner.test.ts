/**
 * The load runner end to end at its tiny profile (20 clients, 2 s windows, every transport,
 * one payload step, one ramp step, upstream round trips): real server processes, real worker
 * processes, real sockets. Asserts counts, bytes and the schema of the committed example
 * (test/fixtures/example-load.json) — never timing thresholds. About a minute and a half.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORT_NAMES } from '../../servers/transports.ts';
import { decode } from '../../scripts/load/histogram.ts';
import { resolveLoadOptions } from '../../scripts/load/options.ts';
import { runLoad } from '../../scripts/load/run.ts';
import type { LoadResults, Percentiles } from '../../scripts/load/types.ts';

const EXAMPLE = new URL('../fixtures/example-load.json', import.meta.url);
/** Free-form maps whose keys vary from run to run. */
const RECORDS = new Set(['connect.errors', 'meta.versions', 'claim.figures', 'meta.machine']);

/** Asserts `actual` has the shape of `example`: same keys, same kinds; null matches anything (it means "not applicable"). */
function assertShape(actual: unknown, example: unknown, path: string): void {
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
function children(): number[] {
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

function assertOrdered(p: Percentiles, what: string): void {
  expect(p.count, `${what} count`).toBeGreaterThan(0);
  expect(p.p50! >= 0 && p.p50! <= p.p90! && p.p90! <= p.p99! && p.p99! <= p.max!, `${what} percentiles ordered: ${JSON.stringify(p)}`).toBe(
    true,
  );
}

describe('load runner, tiny profile', () => {
  let dir: string;
  let results: LoadResults;
  let childrenBefore: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-load-'));
    const options = resolveLoadOptions({ out: join(dir, 'load.json'), claims: join(dir, 'claims.json') }, 'tiny');
    childrenBefore = children();
    results = await runLoad(options, { profile: 'tiny' });
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the schema of the committed example result', async () => {
    const example = JSON.parse(await readFile(EXAMPLE, 'utf8')) as LoadResults;
    assertShape(results, example, '$');
    const written = JSON.parse(await readFile(join(dir, 'load.json'), 'utf8')) as LoadResults;
    expect(written.steps.map((s) => s.id)).toEqual(results.steps.map((s) => s.id));
  });

  it('ran every phase for every transport', () => {
    expect(results.aborted).toBe(false);
    expect(results.skipped).toEqual([]);
    for (const phase of ['clients', 'payload', 'ramp'] as const) {
      expect(results.steps.filter((s) => s.phase === phase).map((s) => s.transport)).toEqual([...TRANSPORT_NAMES]);
    }
    expect(results.upstream.map((u) => u.transport)).toEqual(['sse', 'ws', 'socketio']);
    expect(results.ramp.map((r) => r.transport)).toEqual([...TRANSPORT_NAMES]);
  });

  it('connected every client and delivered every quote once, in order', () => {
    for (const step of results.steps) {
      expect(step.error, step.id).toBeNull();
      expect(['failed', 'incomplete', 'loss'], `${step.id} status`).not.toContain(step.status);
      expect(step.connect, step.id).toMatchObject({ attempted: 20, connected: 20, failed: 0, errors: {}, serverCounted: 20 });
      expect(step.window.quotes).toBe(step.window.toSeq! - step.window.fromSeq! + 1);
      expect(step.window.quotes).toBe(Math.round(step.durationS * step.rate));
      expect(step.delivery, step.id).toMatchObject({
        windowClients: 20,
        expected: 20 * step.window.quotes,
        received: 20 * step.window.quotes,
        lost: 0,
        duplicated: 0,
        outOfOrder: 0,
        disconnected: 0,
      });
    }
  });

  it('reports sane latency, connect, memory, CPU and byte figures', () => {
    for (const step of results.steps) {
      assertOrdered(step.delivery.latencyMs, `${step.id} latency`);
      assertOrdered(step.connect.ms, `${step.id} connect`);
      expect(decode(step.delivery.histogram).totalCount).toBe(step.delivery.received);
      expect(decode(step.connect.histogram).totalCount).toBe(step.connect.connected);

      const s = step.server;
      expect(s.loaded, step.id).toMatchObject({ connections: 20, gc: true });
      expect(s.idle, step.id).toMatchObject({ connections: 1, gc: true }); // the twin's one client
      expect(Number.isFinite(s.perConnection.heapBytes)).toBe(true);
      expect(Number.isFinite(s.perConnection.rssBytes)).toBe(true);
      // Each quote goes to every client: the server's count over the window is whole broadcasts.
      expect(s.messagesSent! % 20, step.id).toBe(0);
      expect(s.messagesSent).toBeGreaterThan(0);
      expect(s.cpuMs).toBeGreaterThan(0);
      expect(s.cpuMsPer1kDeliveries).toBeGreaterThan(0);
      // A delivery carries at least the quote's JSON (~60 bytes) and its padding, plus framing.
      expect(s.bytesPerDelivery!, step.id).toBeGreaterThan(step.padding + 50);
      expect(s.bytesPerDelivery!, step.id).toBeLessThan(step.padding * 1.5 + 200);
      expect(s.dropped).toBe(0);

      expect(step.generator.cores).toHaveLength(step.generator.workers);
      expect(step.generator.usPerDelivery, step.id).toBeGreaterThan(0);
      for (const cores of step.generator.cores) expect(cores).toBeGreaterThanOrEqual(0);
    }
  });

  it("frames a quote with each transport's overhead", () => {
    const bytes = Object.fromEntries(
      results.steps.filter((s) => s.phase === 'clients').map((s) => [s.transport, s.server.bytesPerDelivery!]),
    );
    // ws adds a 2-byte frame header to the JSON, NDJSON one newline; socket.io adds ~20 bytes of
    // packet (`42["quote",...,"<offset>"]`) and SSE ~30 (id/event/data lines and the chunk header).
    expect(bytes.socketio! - bytes.ws!).toBeGreaterThan(10);
    expect(bytes.sse! - bytes.ws!).toBeGreaterThan(10);
    expect(bytes.sse! - bytes.tcp!).toBeGreaterThan(10);
    // ws's 2-byte header against NDJSON's newline: exactly 1 byte apart once the runner's own /stats
    // answers (served on the ws port, on a side port for tcp) are taken out; ~20 B/delivery if not.
    expect(Math.abs(bytes.ws! - bytes.tcp! - 1)).toBeLessThan(2);
  });

  it('measured upstream round trips for the three two-way paths', () => {
    for (const u of results.upstream) {
      expect(u.error, u.id).toBeNull();
      expect(u.errors, u.id).toBe(0);
      expect(u.requests, u.id).toBeGreaterThan(0);
      expect(u.latencyMs.count).toBe(u.requests);
      if (u.transport === 'sse') expect(u.histogram).toBeNull();
      else expect(decode(u.histogram!).totalCount).toBe(u.requests);
    }
  });

  it('filled the claim from the steps it names, and left no server running', async () => {
    const claims = JSON.parse(await readFile(join(dir, 'claims.json'), 'utf8')) as {
      claims: Record<string, { verdict: string; decidedBy: string; records: string[] }>;
    };
    const claim = claims.claims['ws-heavier-than-sse']!;
    expect(claim).toMatchObject({ decidedBy: 'load', verdict: results.claim.verdict });
    const ids = new Set(results.steps.map((s) => s.id));
    for (const record of claim.records) expect(ids.has(record), record).toBe(true);
    for (const step of results.steps) expect(() => process.kill(step.server.pid!, 0), `server ${step.server.pid} still alive`).toThrow();
    // Nor a twin, an upstream server or a worker: no child process of this one is left that was not there before.
    expect(children().filter((pid) => !childrenBefore.includes(pid))).toEqual([]);
  });
});
