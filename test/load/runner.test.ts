/**
 * The load runner end to end at its tiny profile (20 clients, 2 s windows, every transport,
 * one payload step, one ramp step, upstream round trips): real server processes, real worker
 * processes, real sockets. sse-h2 runs over TLS among the plain ones, and says so. Asserts counts,
 * bytes and the schema of the committed example (test/fixtures/example-load.json) — never timing
 * thresholds. Two to three minutes on a shared 2-core machine.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORT_NAMES, UPSTREAM_TRANSPORTS } from '../../servers/transports.ts';
import { FLOOR, usesTls } from '../../scripts/load/capabilities.ts';
import { resolveLoadOptions } from '../../scripts/load/options.ts';
import { decode } from '../../scripts/load/histogram.ts';
import { planPinning } from '../../scripts/load/pinning.ts';
import { runLoad } from '../../scripts/load/run.ts';
import type { LoadResults } from '../../scripts/load/types.ts';
import { assertDelivered, assertFigures, assertUpstream, assertWrittenLikeExample, bytesByTransport, children } from './helpers.ts';

describe('load runner, tiny profile', () => {
  let dir: string;
  let results: LoadResults;
  let childrenBefore: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-load-'));
    // Two runs per step: the repeated path end to end (the tiny profile runs once, as the quick one).
    const options = resolveLoadOptions({ out: join(dir, 'load.json'), claims: join(dir, 'claims.json'), repeats: 2 }, 'tiny');
    childrenBefore = children();
    results = await runLoad(options, { profile: 'tiny' });
  }, 420_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the schema of the committed example result', async () => {
    await assertWrittenLikeExample(results, join(dir, 'load.json'));
  });

  it('ran every phase for every transport', () => {
    expect(results.aborted).toBe(false);
    expect(results.skipped).toEqual([]);
    for (const phase of ['clients', 'payload'] as const) {
      expect(results.steps.filter((s) => s.phase === phase).map((s) => s.transport)).toEqual([...TRANSPORT_NAMES]);
    }
    // The ramp again for the floor over TLS: the yardstick of the transport that requires TLS (sse-h2).
    const ramp = results.steps.filter((s) => s.phase === 'ramp');
    expect(ramp.map((s) => `${s.transport}${s.tls ? '+tls' : ''}`)).toEqual([
      ...TRANSPORT_NAMES.map((t) => `${t}${usesTls(t, false) ? '+tls' : ''}`),
      `${FLOOR}+tls`,
    ]);
    expect(results.upstream.map((u) => u.transport)).toEqual(UPSTREAM_TRANSPORTS);
    expect(results.ramp.map((r) => r.transport)).toEqual([...TRANSPORT_NAMES]);
  });

  it('connected every client and delivered every quote once, in order, in every run, plain except where TLS is required', () => {
    for (const step of results.runs) {
      assertDelivered(step, 20);
      const tlsFloor = step.phase === 'ramp' && step.transport === FLOOR && step.tls;
      expect(step.tls, step.id).toBe(usesTls(step.transport, false) || tlsFloor);
      expect(step.id.endsWith(step.tls ? `-tls#${step.run}` : `#${step.run}`), step.id).toBe(true);
    }
    for (const step of results.steps) expect(step.id.endsWith('-tls'), step.id).toBe(step.tls);
    expect(results.options.tls).toBe(false);
    // A TLS transport (sse-h2) ran among the plain ones, so the run says how TLS was set up.
    expect(results.environment.tls === null).toBe(!results.steps.some((s) => s.tls));
  });

  it('reports sane latency, connect, memory, CPU and byte figures in every run', () => {
    for (const step of results.runs) assertFigures(step, 20);
  });

  it('read 15 clients in batched polls and timed the 5 of the probe, every quote of all 20 checked', () => {
    for (const step of results.runs) {
      // Every quote of every client was counted above (assertDelivered); the latencies are the probe's 5 clients'.
      expect(step.generator, step.id).toMatchObject({ workers: 2, probeClients: 5 });
      expect(step.generator.pollMs, step.id).toBeGreaterThanOrEqual(50);
      expect(step.delivery.latencyClients, step.id).toBe(5);
      expect(step.delivery.latencyMs.count, step.id).toBe(5 * step.window.quotes);
    }
  });

  it('ran every step twice on its servers and summarized each by the medians of its runs', () => {
    expect(results.options.repeats).toBe(2);
    expect(results.runs).toHaveLength(results.steps.length * 2);
    for (const step of results.steps) {
      const runs = results.runs.filter((r) => r.id.startsWith(`${step.id}#`));
      expect(runs.map((r) => [r.id, r.run])).toEqual([
        [`${step.id}#1`, 1],
        [`${step.id}#2`, 2],
      ]);
      // Both runs on the same server, its window after the first's.
      expect(runs[1]!.server.pid).toBe(runs[0]!.server.pid);
      expect(runs[1]!.window.fromSeq!).toBeGreaterThan(runs[0]!.window.toSeq!);
      expect(step.repeats).toMatchObject({ runs: 2, ids: runs.map((r) => r.id), statuses: runs.map((r) => r.status) });
      const cpu = step.repeats!.spread.cpuMsPer1kDeliveries!;
      expect(cpu.values).toEqual(runs.map((r) => r.server.cpuMsPer1kDeliveries));
      expect(step.server.cpuMsPer1kDeliveries).toBe(cpu.median);
      expect(decode(step.delivery.histogram).totalCount).toBe(runs[0]!.delivery.latencyMs.count + runs[1]!.delivery.latencyMs.count);
    }
    for (const u of results.upstream) expect(u.runs).toBe(2);
  });

  it('pinned the servers away from the generator and checked its own figures', () => {
    expect(results.pinning).toEqual(planPinning());
    for (const check of results.checks)
      expect(
        results.steps.some((s) => s.id === check.stepId),
        check.stepId,
      ).toBe(true);
  });

  it("frames a quote with each transport's overhead", () => {
    const bytes = bytesByTransport(results.steps);
    // ws adds a 2-byte frame header to the JSON, NDJSON one newline; socket.io adds ~20 bytes of
    // packet (`42["quote",...,"<offset>"]`) and SSE ~30 (id/event/data lines and the chunk header).
    expect(bytes.socketio! - bytes.ws!).toBeGreaterThan(10);
    expect(bytes.sse! - bytes.ws!).toBeGreaterThan(10);
    expect(bytes.sse! - bytes.tcp!).toBeGreaterThan(10);
    // ws's 2-byte header against NDJSON's newline: exactly 1 byte apart once the runner's own /stats
    // answers (served on the ws port, on a side port for tcp) are taken out; ~20 B/delivery if not.
    expect(Math.abs(bytes.ws! - bytes.tcp! - 1)).toBeLessThan(2);
    // The same event over HTTP/2 and TLS: a 9-byte DATA frame header and a TLS 1.3 record (5-byte header, 1-byte type,
    // 16-byte tag) instead of HTTP/1.1's chunk framing (2 hex digits and two CRLFs): 9 + 22 - 6 = 25 bytes more.
    expect(Math.abs(bytes['sse-h2']! - bytes.sse! - 25)).toBeLessThan(2);
  });

  it('measured upstream round trips for every transport with an upstream path', () => {
    for (const u of results.upstream) assertUpstream(u, usesTls(u.transport, false));
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
