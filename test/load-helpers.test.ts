/**
 * The load runner's pure helpers, without processes or sockets: histogram merge and encoding,
 * delivery accounting, per-connection and per-delivery arithmetic, client-bound detection,
 * ramp summaries, the claim's verdict and option validation.
 */
import { describe, expect, it } from 'vitest';
import type { StatsSnapshot } from '../servers/stats.ts';
import { speaksHttp2, TRANSPORT_NAMES, UPSTREAM_TRANSPORTS } from '../servers/transports.ts';
import {
  buildStep,
  coresOver,
  fitLine,
  isClientBound,
  limitedBy,
  perConnection,
  summarizeMemory,
  summarizeRamps,
  type StepObservation,
} from '../scripts/load/aggregate.ts';
import { FLOOR, upstreamDriver, upstreamMethod, usesTls } from '../scripts/load/capabilities.ts';
import { checkFigures } from '../scripts/load/consistency.ts';
import { allowedCpus, pinned, planPinning } from '../scripts/load/pinning.ts';
import { medianStatus, summarizeRuns } from '../scripts/load/repeats.ts';
import { createHistogram, decode, encode, merge, percentiles, recordMs } from '../scripts/load/histogram.ts';
import { DUE_WAKE, POLL_MS, PROBE, pollInterval, probeClients, resolveLoadOptions, rampRates, wakeInMs } from '../scripts/load/options.ts';
import type { ReportMessage } from '../scripts/load/protocol.ts';
import { serverArgs, sourceAddresses, splitClients } from '../scripts/load/step.ts';
import { DeliveryTally } from '../scripts/load/tally.ts';
import type { StepResult } from '../scripts/load/types.ts';
import { compare, wsHeavierThanSse } from '../scripts/load/verdict.ts';
import { tlsFloorRamp } from '../scripts/load/run.ts';

const OPTIONS = { clientBoundCores: 0.9, latencyLimitMs: 500, cpuMinDeliveries: 500 };

function snapshot(over: Partial<StatsSnapshot> = {}): StatsSnapshot {
  return {
    transport: 'ws',
    pid: 1,
    connections: 0,
    peakConnections: 0,
    sockets: 0,
    messagesSent: 0,
    bytesWritten: 0,
    bytesRead: 0,
    dropped: 0,
    refused: 0,
    violations: 0,
    resumed: 0,
    resets: 0,
    latestSeq: 0,
    rss: 0,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    cpuUserMicros: 0,
    cpuSystemMicros: 0,
    gc: true,
    ...over,
  };
}

/** A report of `clients` clients that each got every one of `quotes` quotes, latency 1 ms. */
function report(clients: number, quotes: number, over: Partial<ReportMessage> = {}): ReportMessage {
  const h = createHistogram();
  for (let i = 0; i < clients * quotes; i++) recordMs(h, 1);
  return {
    type: 'report',
    clients,
    received: clients * quotes,
    duplicated: 0,
    outOfOrder: 0,
    disconnected: 0,
    negativeLatencies: 0,
    histogram: encode(h),
    timed: true,
    // The worker's marks around the window: 300 ms of CPU for 1,000 quotes read over 1 s.
    marks: { start: { cpuMicros: 0, wallMs: 0, quotes: 50 }, end: { cpuMicros: 300_000, wallMs: 1000, quotes: 1050 } },
    ...over,
  };
}

/** A complete observation of 100 ws clients over 10 quotes, with round numbers. */
function observation(over: Partial<StepObservation> = {}): StepObservation {
  const connectHistogram = createHistogram();
  for (let i = 0; i < 100; i++) recordMs(connectHistogram, 2);
  return {
    plan: { phase: 'clients', transport: 'ws', tls: false, clients: 100, rate: 10, padding: 0 },
    run: 1,
    warmupS: 1,
    durationS: 1,
    sourceAddresses: 1,
    workers: 1,
    pollMs: 0,
    probeClients: 0,
    probeNice: 0,
    connected: [{ type: 'connected', connected: 100, failed: 0, errors: {}, histogram: encode(connectHistogram) }],
    serverCounted: 100,
    window: { from: 11, to: 20 },
    start: {
      loaded: snapshot({ messagesSent: 1000, bytesWritten: 50_000, cpuUserMicros: 100_000 }),
      twin: snapshot({ cpuUserMicros: 80_000 }),
      wallMs: 1000,
    },
    end: {
      loaded: snapshot({ messagesSent: 2000, bytesWritten: 121_000, cpuUserMicros: 150_000, cpuSystemMicros: 10_000 }),
      twin: snapshot({ messagesSent: 10, cpuUserMicros: 90_000 }),
      wallMs: 2000,
    },
    probeBytes: 1000,
    reports: [report(100, 10)],
    // The twin holds one client: 99 connections of difference.
    memory: {
      loaded: snapshot({ connections: 100, heapUsed: 12_000_000, rss: 60_000_000 }),
      twin: snapshot({ connections: 1, heapUsed: 11_604_000, rss: 59_010_000 }),
    },
    ...over,
  };
}

describe('histograms', () => {
  it('merges encoded histograms into one with every sample', () => {
    const a = createHistogram();
    const b = createHistogram();
    for (let ms = 1; ms <= 100; ms++) recordMs(a, ms);
    for (let ms = 101; ms <= 200; ms++) recordMs(b, ms);
    const merged = percentiles(merge([encode(a), encode(b)]));
    expect(merged.count).toBe(200);
    expect(merged.p50).toBeCloseTo(100, 0);
    expect(merged.max).toBeCloseTo(200, 0);
    expect(merged.p50! <= merged.p90! && merged.p90! <= merged.p99! && merged.p99! <= merged.max!).toBe(true);
  });

  it('survives encode/decode and reports no samples as nulls', () => {
    const h = createHistogram();
    recordMs(h, 12.345);
    // 3 significant digits: within 0.1% of the recorded value.
    expect(Math.abs(percentiles(decode(encode(h))).max! - 12.345) / 12.345).toBeLessThan(0.001);
    expect(percentiles(merge([]))).toEqual({ count: 0, mean: null, p50: null, p90: null, p99: null, max: null });
  });

  it('records a negative latency (clock skew) as 0 and says so', () => {
    const h = createHistogram();
    expect(recordMs(h, -0.2)).toBe(false);
    expect(recordMs(h, 0.2)).toBe(true);
    expect(h.totalCount).toBe(2);
  });
});

describe('DeliveryTally', () => {
  it('counts received, duplicated and out-of-order quotes of the window only', () => {
    const tally = new DeliveryTally();
    const a = tally.add();
    const b = tally.add();
    tally.record(a, 4, 0, 1); // before the window is set: ignored
    tally.window(5, 8);
    tally.record(a, 4, 0, 1); // before the window's range: ignored
    for (const seq of [5, 6, 7, 8]) tally.record(a, seq, 100, 101);
    tally.record(b, 5, 100, 101);
    tally.record(b, 7, 100, 101);
    tally.record(b, 6, 100, 101); // after 7: out of order
    tally.record(b, 6, 100, 101); // again: duplicate
    expect(tally.snapshot()).toMatchObject({ clients: 2, received: 7, duplicated: 1, outOfOrder: 1, disconnected: 0 });
    expect(tally.latency.totalCount).toBe(7);
    expect(tally.allDone).toBe(false); // b never saw seq 8
    tally.record(b, 9, 100, 101); // past the window: not counted, but b is done
    expect(tally.allDone).toBe(true);
    expect(tally.snapshot().received).toBe(7);
  });

  it('counts a client that closed mid-window as disconnected and done, and skips one closed before', () => {
    const tally = new DeliveryTally();
    const early = tally.add();
    const late = tally.add();
    tally.closed(early);
    tally.window(1, 3);
    tally.record(late, 1, 0, 1);
    tally.closed(late);
    expect(tally.snapshot()).toMatchObject({ clients: 1, received: 1, disconnected: 1 });
    expect(tally.allDone).toBe(true);
  });

  it('starts every count again when re-armed, so receipts of the first window cannot fill the second', () => {
    const tally = new DeliveryTally();
    const a = tally.add();
    tally.window(10, 14);
    tally.record(a, 10, 100, 101);
    tally.record(a, 11, 100, 101);
    tally.record(a, 11, 100, 101); // duplicate in the first window
    tally.record(a, 12, 102, 101); // negative latency in the first window
    tally.window(20, 24);
    for (const seq of [20, 21, 22]) tally.record(a, seq, 100, 101);
    expect(tally.snapshot()).toMatchObject({
      clients: 1,
      received: 3,
      duplicated: 0,
      outOfOrder: 0,
      disconnected: 0,
      negativeLatencies: 0,
    });
    expect(tally.latency.totalCount).toBe(3);
    expect(tally.allDone).toBe(false); // 23 and 24 are still missing
  });

  it('grows past its initial capacity', () => {
    const tally = new DeliveryTally();
    const ids = Array.from({ length: 1000 }, () => tally.add());
    tally.window(1, 1);
    for (const id of ids) tally.record(id, 1, 0, 1);
    expect(tally.snapshot()).toMatchObject({ clients: 1000, received: 1000 });
    expect(tally.allDone).toBe(true);
  });
});

describe('per-connection and per-delivery arithmetic', () => {
  it('divides the loaded server minus its one-client twin by the difference in connections', () => {
    const loaded = { connections: 100, heapUsed: 12_000_000, rss: 60_000_000, external: 500, heapTotal: 0, gc: true };
    const idle = { connections: 1, heapUsed: 11_604_000, rss: 59_010_000, external: 302, heapTotal: 0, gc: true };
    expect(perConnection(loaded, idle)).toEqual({ heapBytes: 4000, rssBytes: 10_000, externalBytes: 2 });
    expect(perConnection({ ...loaded, connections: 1 }, idle)).toEqual({ heapBytes: null, rssBytes: null, externalBytes: null });
  });

  it('builds CPU per 1,000 deliveries and bytes per delivery from /stats deltas, without the probe bytes', () => {
    const step = buildStep(observation(), OPTIONS);
    expect(step.status).toBe('ok');
    expect(step.delivery).toMatchObject({ expected: 1000, received: 1000, lost: 0, deliveriesPerSecond: 1000 });
    expect(step.server.messagesSent).toBe(1000);
    expect(step.server.cpuMs).toBe(60); // (150 + 10 - 100) ms
    expect(step.server.idleCpuMs).toBe(10);
    expect(step.server.cpuMsPer1kDeliveries).toBe(60);
    expect(step.server.netCpuMsPer1kDeliveries).toBe(50.5051); // (60 - 10) ms over 1000 - 10 twin deliveries
    expect(step.server.bytesWritten).toBe(70_000); // 71,000 - 1,000 of /stats answers
    expect(step.server.bytesPerDelivery).toBe(70);
    expect(step.server.perConnection.heapBytes).toBe(4000);
    expect(step.server.cores).toBe(0.06);
    expect(step.generator).toMatchObject({ cores: [0.3], maxCores: 0.3, clientBound: false, hostCores: 0.37, usPerDelivery: 300 });
    expect(step.id).toBe('load/clients/ws/n100-r10-p0#1');
    expect(step.server.cpuJudged).toBe(true);
    expect(buildStep(observation(), { ...OPTIONS, cpuMinDeliveries: 1001 }).server.cpuJudged).toBe(false);
    expect(step.tls).toBe(false);
  });

  it('takes latencies from the workers that read as data arrived, and counts every worker for loss and CPU', () => {
    const late = createHistogram();
    for (let i = 0; i < 950 * 10; i++) recordMs(late, 90);
    const step = buildStep(
      observation({
        workers: 2,
        pollMs: 100,
        probeClients: 5,
        reports: [report(95, 10, { timed: false, histogram: encode(late) }), report(5, 10)],
      }),
      OPTIONS,
    );
    expect(step.delivery).toMatchObject({ windowClients: 100, received: 1000, lost: 0, latencyClients: 5 });
    expect(step.delivery.latencyMs).toMatchObject({ count: 50, max: 1 });
    expect(step.generator).toMatchObject({ workers: 2, pollMs: 100, probeClients: 5 });
  });

  it('marks a TLS step in its result and its id, so plain and TLS ids never collide', () => {
    const o = observation();
    const step = buildStep({ ...o, plan: { ...o.plan, tls: true } }, OPTIONS);
    expect(step).toMatchObject({ id: 'load/clients/ws/n100-r10-p0-tls#1', tls: true, status: 'ok' });
  });

  it('reports loss, incompleteness and failure in that order of precedence', () => {
    expect(buildStep(observation({ reports: [report(100, 10, { received: 999 })] }), OPTIONS)).toMatchObject({
      status: 'loss',
      delivery: { lost: 1 },
    });
    const incomplete = buildStep(
      observation({ connected: [{ ...observation().connected![0]!, connected: 98, failed: 2, errors: { EMFILE: 2 } }] }),
      OPTIONS,
    );
    expect(incomplete.status).toBe('incomplete');
    expect(incomplete.limitedBy).toMatch(/^2 of 100 clients failed to connect: EMFILE x2 \(the per-process file-descriptor limit/);
    const closedEarly = buildStep(observation({ reports: [report(97, 10)] }), OPTIONS);
    expect(closedEarly).toMatchObject({
      status: 'incomplete',
      limitedBy: '3 of 100 connected clients closed before the window opened',
      delivery: { windowClients: 97, expected: 970, lost: 0 },
    });
    const uncounted = buildStep(observation({ serverCounted: 99 }), OPTIONS);
    expect(uncounted).toMatchObject({
      status: 'incomplete',
      limitedBy: 'the server counted 99 of 100 connected clients before the window',
    });
    const failed = buildStep({ ...observation(), error: 'lab: boom', reports: undefined, memory: undefined }, OPTIONS);
    expect(failed.status).toBe('failed');
    expect(failed.server.perConnection.heapBytes).toBeNull();
  });
});

describe('saturation', () => {
  it('flags a step whose feed fell behind its schedule', () => {
    const o = observation();
    const late = buildStep({ ...o, end: { ...o.end!, wallMs: 2300 } }, OPTIONS);
    expect(late.window).toMatchObject({ quotes: 10, seconds: 1.3, plannedSeconds: 1 });
    expect(late.status).toBe('saturated');
    expect(buildStep({ ...o, end: { ...o.end!, wallMs: 2150 } }, OPTIONS).status).toBe('ok');
  });
});

describe('client-bound detection', () => {
  it("measures a worker's cores between its two CPU marks over the window or the marks' span, whichever is longer", () => {
    const start = { cpuMicros: 1_000_000, wallMs: 0, quotes: 0 };
    expect(coresOver(start, { cpuMicros: 1_950_000, wallMs: 1000, quotes: 0 }, 1)).toBeCloseTo(0.95);
    // A batched worker that read a 10-s window in one 50-ms wake: 0.02 cores over the window, not 0.4.
    expect(coresOver(start, { cpuMicros: 1_020_000, wallMs: 50, quotes: 10_000 }, 10)).toBeCloseTo(0.002);
    // One that read late, its marks 2 s apart around a 1-s window: 1 core, not 2.
    expect(coresOver(start, { cpuMicros: 3_000_000, wallMs: 2000, quotes: 0 }, 1)).toBeCloseTo(1);
    expect(coresOver(start, { cpuMicros: 1_000_010, wallMs: 0, quotes: 0 }, 0)).toBe(0);
  });

  it('flags a step when any worker reaches the threshold', () => {
    expect(isClientBound([0.2, 0.95], 0.9)).toBe(true);
    expect(isClientBound([0.5, 0.89], 0.9)).toBe(false);
    expect(isClientBound([], 0.9)).toBe(false);
    const step = buildStep(
      observation({
        reports: [
          report(100, 10, {
            marks: { start: { cpuMicros: 0, wallMs: 0, quotes: 0 }, end: { cpuMicros: 920_000, wallMs: 1000, quotes: 1000 } },
          }),
        ],
      }),
      OPTIONS,
    );
    expect(step.status).toBe('client-bound');
  });
});

describe('what stopped a step', () => {
  it('names each error code and the limit behind it', () => {
    expect(limitedBy(10, {})).toBeNull();
    const text = limitedBy(5000, { EADDRNOTAVAIL: 3, ETIMEDOUT: 1 })!;
    expect(text).toMatch(/^4 of 5000 clients failed to connect: EADDRNOTAVAIL x3 \(the ephemeral ports/);
    expect(text).toContain('ETIMEDOUT x1 (connects not finishing');
    expect(limitedBy(1, { SOMETHING: 1 })).toBe('1 of 1 clients failed to connect: SOMETHING x1');
  });
});

/** A passing or failing step for summaries and verdicts. */
function step(over: {
  phase?: StepResult['phase'];
  transport: StepResult['transport'];
  clients?: number;
  rate?: number;
  status?: StepResult['status'];
  heap?: number;
  cpu?: number;
  dps?: number;
  tls?: boolean;
}): StepResult {
  const plan = {
    phase: over.phase ?? 'clients',
    transport: over.transport,
    tls: over.tls ?? false,
    clients: over.clients ?? 100,
    rate: over.rate ?? 10,
    padding: 0,
  };
  // What the verdict and the ramps read: a step's summary (here of one run).
  const base = summarizeRuns([buildStep(observation({ plan }), OPTIONS)]);
  base.status = over.status ?? 'ok';
  base.server.perConnection.heapBytes = over.heap ?? 4000;
  base.server.netCpuMsPer1kDeliveries = over.cpu ?? 50;
  base.delivery.deliveriesPerSecond = over.dps ?? 1000;
  if (base.status === 'slow') base.delivery.latencyMs.p99 = 900;
  return base;
}

describe('ramp summaries', () => {
  const ramps = (tcpEnd: StepResult['status'] | null) => [
    step({ phase: 'ramp', transport: 'tcp', rate: 10, dps: 1000 }),
    step({ phase: 'ramp', transport: 'tcp', rate: 20, dps: 2000 }),
    ...(tcpEnd ? [step({ phase: 'ramp', transport: 'tcp', rate: 40, dps: 3000, status: tcpEnd })] : []),
    step({ phase: 'ramp', transport: 'ws', rate: 10, dps: 1000 }),
    step({ phase: 'ramp', transport: 'ws', rate: 20, dps: 2000, status: 'slow' }),
    step({ phase: 'clients', transport: 'ws', clients: 100 }),
    step({ phase: 'clients', transport: 'ws', clients: 1000, status: 'loss' }),
    step({ phase: 'clients', transport: 'tcp', clients: 100 }),
    step({ phase: 'clients', transport: 'tcp', clients: 1000 }),
  ];

  it('keeps the last passing step before the first failure and gives a ratio to the TCP floor when both found a server limit', () => {
    const summary = summarizeRamps(ramps('saturated'), ['ws', 'tcp'], { latencyLimitMs: 500, rampClients: 100, tls: false });
    const [ws, tcp] = summary;
    expect(ws).toMatchObject({ highestRate: 10, highestDeliveriesPerSecond: 1000, limitFound: true, ratioToTcp: 0.5, highestClients: 100 });
    expect(ws).not.toHaveProperty('highestClientsRatioToTcp');
    expect(ws!.stoppedBy).toBe('p99 900 ms > 500 ms at 20 quotes/s');
    expect(ws!.clientsStoppedBy).toMatch(/^loss at 1000 clients/);
    expect(tcp).toMatchObject({ highestRate: 20, limitFound: true, ratioToTcp: 1 });
  });

  it('writes no ratio when the floor only reached a lower bound (last step passed, client-bound or failed)', () => {
    for (const tcpEnd of [null, 'client-bound', 'failed'] as const) {
      const summary = summarizeRamps(ramps(tcpEnd), ['ws', 'tcp'], { latencyLimitMs: 500, rampClients: 100, tls: false });
      const [ws, tcp] = summary;
      expect(tcp!.limitFound).toBe(false);
      expect(ws!.limitFound).toBe(true);
      expect([ws!.ratioToTcp, tcp!.ratioToTcp]).toEqual([null, null]);
    }
    const [, tcp] = summarizeRamps(ramps(null), ['ws', 'tcp'], { latencyLimitMs: 500, rampClients: 100, tls: false });
    expect(tcp!.stoppedBy).toBe('the last step passed: the figure is a lower bound');
  });

  it('writes no ratio between a TLS ramp and a plain floor, even when both found a limit', () => {
    const steps = [
      ...ramps('saturated').filter((s) => s.transport === 'tcp'),
      step({ phase: 'ramp', transport: 'sse-h2', tls: true, rate: 10, dps: 1000 }),
      step({ phase: 'ramp', transport: 'sse-h2', tls: true, rate: 20, dps: 2000, status: 'slow' }),
    ];
    const [h2, tcp] = summarizeRamps(steps, ['sse-h2', 'tcp'], { latencyLimitMs: 500, rampClients: 100, tls: false });
    expect([h2!.limitFound, tcp!.limitFound]).toEqual([true, true]);
    expect(h2!.ratioToTcp).toBeNull();
  });

  it("compares a TLS-only transport with the floor's ramp over TLS, and keeps the plain floor's summary plain", () => {
    const tlsFloor = [
      step({ phase: 'ramp', transport: 'tcp', tls: true, rate: 10, dps: 1000 }),
      step({ phase: 'ramp', transport: 'tcp', tls: true, rate: 20, dps: 4000 }),
      step({ phase: 'ramp', transport: 'tcp', tls: true, rate: 40, dps: 5000, status: 'saturated' }),
    ];
    const steps = [
      ...ramps('saturated').filter((s) => s.transport === 'tcp'),
      ...tlsFloor,
      step({ phase: 'ramp', transport: 'sse-h2', tls: true, rate: 10, dps: 1000 }),
      step({ phase: 'ramp', transport: 'sse-h2', tls: true, rate: 20, dps: 2000, status: 'slow' }),
    ];
    const [h2, tcp] = summarizeRamps(steps, ['sse-h2', 'tcp'], { latencyLimitMs: 500, rampClients: 100, tls: false });
    expect(h2!.ratioToTcp).toBe(0.25); // 1,000 against the TLS floor's 4,000 deliveries/s
    expect(tcp).toMatchObject({ highestDeliveriesPerSecond: 2000, ratioToTcp: 1 });
    expect(tcp!.steps.every((id) => !id.endsWith('-tls'))).toBe(true);
    expect(tlsFloorRamp({ transports: ['sse-h2', 'tcp'], tls: false })).toBe(true);
    expect(tlsFloorRamp({ transports: ['sse-h2', 'tcp'], tls: true })).toBe(false);
    expect(tlsFloorRamp({ transports: ['ws', 'tcp'], tls: false })).toBe(false);
  });
});

describe('memory line across the client sweep', () => {
  it('fits slope and intercept by least squares, and needs two distinct x', () => {
    expect(
      fitLine([
        [0, 10],
        [10, 30],
        [20, 50],
      ]),
    ).toEqual({ slope: 2, intercept: 10 });
    expect(fitLine([[5, 1]])).toBeNull();
    expect(
      fitLine([
        [5, 1],
        [5, 2],
      ]),
    ).toBeNull();
  });

  it("uses the ok client-sweep steps only, with x = connections beyond the twin's one", () => {
    const sized = (clients: number, heapPerConn: number, status: StepResult['status'] = 'ok') => {
      const s = step({ transport: 'ws', clients, status });
      s.server.loaded = {
        connections: clients,
        heapUsed: 1_000_000 + 50_000 + (clients - 1) * heapPerConn,
        rss: 0,
        heapTotal: 0,
        external: 0,
        gc: true,
      };
      s.server.idle = { connections: 1, heapUsed: 1_000_000, rss: 0, heapTotal: 0, external: 0, gc: true };
      s.server.perConnection = perConnection(s.server.loaded, s.server.idle);
      return s;
    };
    const [ws, sse] = summarizeMemory(
      [sized(101, 3000), sized(1001, 3000), sized(5001, 9999, 'loss'), step({ phase: 'ramp', transport: 'ws' })],
      ['ws', 'sse'],
    );
    expect(ws).toMatchObject({
      clients: [101, 1001],
      heapBytesPerConnection: 3000,
      heapFixedBytes: 50_000,
      heapPerConnectionRange: [3050, 3500],
    });
    expect(sse).toMatchObject({ clients: [], heapBytesPerConnection: null, heapPerConnectionRange: null });
  });
});

describe('the ws-heavier-than-sse verdict', () => {
  it('compares with a margin', () => {
    expect(compare(1.2, 0.1)).toBe('heavier');
    expect(compare(0.85, 0.1)).toBe('lighter');
    expect(compare(1.05, 0.1)).toBe('similar');
  });

  it('uses the largest N where both are ok and decides from memory and CPU together', () => {
    const refuted = wsHeavierThanSse(
      [step({ transport: 'ws', heap: 3000, cpu: 40 }), step({ transport: 'sse', heap: 5000, cpu: 60 })],
      0.1,
    );
    expect(refuted).toMatchObject({
      verdict: 'refuted',
      decidedBy: 'load',
      records: ['load/clients/ws/n100-r10-p0', 'load/clients/sse/n100-r10-p0'],
    });
    expect(refuted.figures).toMatchObject({ clients: 100, heapRatioWsOverSse: 0.6, cpuRatioWsOverSse: 0.667, cpuBasis: 'net' });

    const confirmed = wsHeavierThanSse(
      [step({ transport: 'ws', heap: 9000, cpu: 90 }), step({ transport: 'sse', heap: 5000, cpu: 60 })],
      0.1,
    );
    expect(confirmed.verdict).toBe('confirmed');
    const depends = wsHeavierThanSse(
      [step({ transport: 'ws', heap: 9000, cpu: 30 }), step({ transport: 'sse', heap: 5000, cpu: 60 })],
      0.1,
    );
    expect(depends.verdict).toBe('depends');

    const larger = wsHeavierThanSse(
      [
        step({ transport: 'ws', heap: 9000 }),
        step({ transport: 'sse', heap: 5000 }),
        step({ transport: 'ws', clients: 1000, heap: 3000, cpu: 40 }),
        step({ transport: 'sse', clients: 1000, heap: 5000, cpu: 60 }),
        step({ transport: 'ws', clients: 5000, status: 'client-bound' }),
        step({ transport: 'sse', clients: 5000 }),
      ],
      0.1,
    );
    expect(larger.figures?.clients).toBe(1000);
  });

  it('reports every other transport at the same N beside ws and SSE, marking one over TLS among plain ones', () => {
    const claim = wsHeavierThanSse(
      [
        step({ transport: 'ws', heap: 3000, cpu: 40 }),
        step({ transport: 'sse', heap: 5000, cpu: 60 }),
        step({ transport: 'socketio', heap: 9000, cpu: 70 }),
        step({ transport: 'sse-h2', tls: true, heap: 8000, cpu: 80 }),
        step({ transport: 'tcp', heap: 1000, cpu: 20 }),
      ],
      0.1,
    );
    // ws and SSE first, then the others in registry order.
    const id = (t: string) => `load/clients/${t}/n100-r10-p0${t === 'sse-h2' ? '-tls' : ''}`;
    expect(claim.records).toEqual(['ws', 'sse', ...TRANSPORT_NAMES.filter((t) => t !== 'ws' && t !== 'sse')].map(id));
    expect(claim.explanation).toContain('SSE over HTTP/2 at the same N (over TLS, beside plain ones): 8000 B heap per connection');
    expect(claim.explanation).toContain('The raw TCP floor: 1000 B heap per connection');
    expect(claim.figures).toMatchObject({
      sseH2HeapPerConnectionBytes: 8000,
      tcpNetCpuMsPer1kDeliveries: 20,
      socketioHeapPerConnectionBytes: 9000,
    });
  });

  it('says not-run when no pair of ok steps exists', () => {
    const verdict = wsHeavierThanSse([step({ transport: 'ws', status: 'client-bound' }), step({ transport: 'sse' })], 0.1);
    expect(verdict.verdict).toBe('not-run');
    expect(verdict.explanation).toContain('load/clients/ws/n100-r10-p0: client-bound');
  });
});

describe('options and planning', () => {
  it('resolves profiles over the defaults', () => {
    expect(resolveLoadOptions({}, 'quick').clients).toEqual([100, 1000]);
    expect(resolveLoadOptions({ clients: [5] }, 'tiny').clients).toEqual([5]);
    expect(resolveLoadOptions().clients).toEqual([100, 1000, 5000, 10000]);
    expect(rampRates({ rampStart: 10, rampSteps: 4 })).toEqual([10, 20, 40, 80]);
  });

  it('sends a TLS pass to its own file and leaves the claim to the plain run, unless told otherwise', () => {
    const plain = resolveLoadOptions({}, 'quick');
    const tls = resolveLoadOptions({ tls: true }, 'quick');
    expect(plain).toMatchObject({ tls: false, claims: expect.stringMatching(/results\/claims\.json$/) });
    expect(plain.out).toMatch(/results\/load\.json$/);
    expect(tls).toMatchObject({ tls: true, claims: null });
    expect(tls.out).toMatch(/results\/load-tls\.json$/);
    expect(resolveLoadOptions({ tls: true, out: '/tmp/x.json', claims: '/tmp/c.json' })).toMatchObject({
      out: '/tmp/x.json',
      claims: '/tmp/c.json',
    });
    expect(() => resolveLoadOptions({ tls: 'yes' as never })).toThrow(/tls is "yes"/);
  });

  it("reads what it needs of a transport from the registry's capabilities", () => {
    // TLS: every transport with --tls; one that requires it (HTTP/2) always.
    expect(TRANSPORT_NAMES.filter((t) => usesTls(t, false))).toEqual(['sse-h2']);
    expect(TRANSPORT_NAMES.every((t) => usesTls(t, true))).toBe(true);
    expect(FLOOR).toBe('tcp');
    // Its /stats probe speaks HTTP/2 to the one server that speaks nothing else.
    expect(TRANSPORT_NAMES.filter(speaksHttp2)).toEqual(['sse-h2']);
    expect(Object.fromEntries(UPSTREAM_TRANSPORTS.map((t) => [t, [upstreamDriver(t), upstreamMethod(t)]]))).toEqual({
      sse: ['autocannon', 'POST /sse/ping (autocannon, HTTP/1.1)'],
      ws: ['reader-ping', 'ping message -> pong message'],
      socketio: ['reader-ping', 'emit ping -> ack'],
      'sse-h2': ['h2-post', 'POST /sse/ping (closed loop, HTTP/2)'],
    });
  });

  it('rejects bad input eagerly with a lab: error and a hint', () => {
    expect(() => resolveLoadOptions({ transports: ['sse', 'carrier-pigeon' as never] })).toThrow(
      /^lab: LAB_BAD_OPTION: transports is .*\(a list of distinct names/,
    );
    expect(() => resolveLoadOptions({ clients: [0] })).toThrow(/clients is \[0\]/);
    expect(() => resolveLoadOptions({ rate: 0 })).toThrow(/rate is 0/);
    expect(() => resolveLoadOptions({ duration: 0.5, maxDuration: 0.5, rate: 0.5 })).toThrow(/the window must hold 1\.\.1000000 quotes/);
    expect(() => resolveLoadOptions({ clients: [100_000], clientsPerAddress: 100 })).toThrow(/need more than 254 source addresses/);
  });

  it('spreads clients over source addresses and workers', () => {
    expect(sourceAddresses(10_000, 1000)).toHaveLength(10);
    expect(sourceAddresses(10_000, 1000).at(-1)).toBe('127.0.0.10');
    expect(sourceAddresses(20, 1000)).toEqual(['127.0.0.1']);
    expect(splitClients(10, 3)).toEqual([4, 3, 3]);
    expect(splitClients(2, 8)).toEqual([1, 1]);
    // The probe: 2% of the clients within PROBE, never all of them; none when nothing is batched.
    const batched = { pollQuotes: 4, probeShare: 0.02 };
    expect([1, 2, 20, 100, 1000, 10_000].map((n) => probeClients(n, batched))).toEqual([0, 1, PROBE.min, PROBE.min, 20, PROBE.max]);
    expect(probeClients(1000, { ...batched, pollQuotes: 0 })).toBe(0);
    // Polls far enough apart for 4 quotes, within POLL_MS.
    expect([0.2, 0.5, 1, 20, 40, 1000].map((rate) => pollInterval(rate, 0, batched))).toEqual([
      POLL_MS.max,
      8000,
      4000,
      200,
      100,
      POLL_MS.min,
    ]);
    // A batched worker wakes DUE_WAKE.marginMs after the window's last quote is due (seq 100 sent at t 5000, rate 2/s:
    // seq 110 is due at 10000), never later than its poll; past it, and before any quote is read, every DUE_WAKE.afterMs.
    const due = { to: 110, rate: 2, seq: 100, ts: 5000 };
    expect(wakeInMs(due, 16_000, 5000)).toBe(5000 + DUE_WAKE.marginMs);
    expect(wakeInMs(due, 1000, 5000)).toBe(1000);
    expect(wakeInMs(due, 16_000, 10_000 + DUE_WAKE.marginMs + 1)).toBe(DUE_WAKE.afterMs);
    expect(wakeInMs({ ...due, seq: 0 }, 16_000, 5000)).toBe(DUE_WAKE.afterMs);
    expect(wakeInMs({ ...due, rate: 0 }, 16_000, 5000)).toBe(16_000);
    // Big quotes: at most POLL_BYTES wait on a connection (16 KiB at 5/s: two quotes a poll, not five).
    expect(pollInterval(5, 16_384, batched)).toBe(396);
    expect(pollInterval(20, 0, { pollQuotes: 0 })).toBe(0);
    expect(() => resolveLoadOptions({ pollQuotes: -1 })).toThrow(/pollQuotes/);
    expect(serverArgs({ rate: 5, padding: 64, clients: 30_000, tls: true }, { seed: 7, heartbeatMs: 3_600_000 })).toEqual([
      '--tls',
      '--rate',
      '5',
      '--padding',
      '64',
      '--seed',
      '7',
      '--heartbeat',
      '3600000',
      '--max-connections',
      '30000',
      '--stats-gc',
    ]);
  });
});

describe('repeated runs, their summary and the checks on it', () => {
  /** One run of a ws step at 100 clients: `cpuMs` of server CPU (20 ms of it the twin's), p99 from the 1 ms reports. */
  const run = (n: number, cpuMs: number, over: Partial<StepObservation> = {}) => {
    const o = observation(over);
    const end = { ...o.end!, loaded: { ...o.end!.loaded, cpuUserMicros: 100_000 + cpuMs * 1000, cpuSystemMicros: 0 } };
    return buildStep({ ...o, run: n, end }, OPTIONS);
  };

  it('folds runs into medians with their spread, the median status and every latency sample', () => {
    const runs = [run(1, 60), run(2, 90, { reports: [report(100, 10, { received: 999 })] }), run(3, 66)];
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      ['load/clients/ws/n100-r10-p0#1', 'ok'],
      ['load/clients/ws/n100-r10-p0#2', 'loss'],
      ['load/clients/ws/n100-r10-p0#3', 'ok'],
    ]);
    const summary = summarizeRuns(runs);
    expect(summary).toMatchObject({ id: 'load/clients/ws/n100-r10-p0', run: null, status: 'ok', error: null });
    expect(summary.server.cpuMsPer1kDeliveries).toBe(66);
    expect(summary.repeats).toMatchObject({ runs: 3, ids: runs.map((r) => r.id), statuses: ['ok', 'loss', 'ok'] });
    expect(summary.repeats!.spread.cpuMsPer1kDeliveries).toEqual({ values: [60, 90, 66], median: 66, min: 60, max: 90 });
    expect(summary.delivery.lost).toBe(0);
    expect(summary.delivery.latencyMs.count).toBe(1000);
    expect(percentiles(decode(summary.delivery.histogram)).count).toBe(3000);
    expect(medianStatus(['ok', 'slow', 'loss', 'ok'])).toBe('slow');
    // A run that failed before its memory and figures were read: the others' medians, its own error kept in the run.
    const failed = run(3, 66, { error: 'lab: boom', reports: undefined, memory: undefined });
    const partial = summarizeRuns([run(1, 60), run(2, 70), failed]);
    expect(partial).toMatchObject({ status: 'ok', error: null });
    expect(partial.server.perConnection.heapBytes).toBe(4000);
    expect(partial.server.cpuJudged).toBe(true);
    expect(partial.repeats!.statuses).toEqual(['ok', 'ok', 'failed']);
    expect(medianStatus(['failed'])).toBe('failed');
  });

  it('reports a transport cheaper than the TCP floor beyond both spreads, a window too small to judge and a heavy generator', () => {
    const of = (transport: 'ws' | 'tcp', cpus: number[], over: Partial<StepObservation> = {}) => {
      const plan = { ...observation().plan, transport };
      return summarizeRuns(cpus.map((cpu, i) => run(i + 1, cpu, { plan, ...over })));
    };
    const light = {
      reports: [
        report(100, 10, {
          marks: { start: { cpuMicros: 0, wallMs: 0, quotes: 0 }, end: { cpuMicros: 10_000, wallMs: 1000, quotes: 1000 } },
        }),
      ],
    };
    const cheap = checkFigures([of('ws', [20, 22, 25], light), of('tcp', [40, 45, 50], light)]);
    expect(cheap.map((c) => [c.kind, c.stepId, c.against])).toEqual([
      ['cheaper-than-floor', 'load/clients/ws/n100-r10-p0', 'load/clients/tcp/n100-r10-p0'],
    ]);
    expect(checkFigures([of('ws', [20, 42, 45], light), of('tcp', [40, 45, 50], light)])).toEqual([]);
    // 300 µs of generator CPU per delivery against the server's 60: on a ramp step the generator may have set the pace;
    // on a client-sweep step where its worker used 0.3 cores it cannot have, and the figure is not flagged.
    const ramp = { plan: { ...observation().plan, phase: 'ramp' as const } };
    expect(checkFigures([summarizeRuns([run(1, 60, ramp)])]).map((c) => c.kind)).toEqual(['generator-heavy']);
    expect(checkFigures([of('ws', [60])])).toEqual([]);
    const small = summarizeRuns([buildStep(observation(), { ...OPTIONS, cpuMinDeliveries: 5000 })]);
    expect(checkFigures([small]).map((c) => c.kind)).toEqual(['too-few-deliveries']);
  });

  it('finds the ramp limit among doubled and bisected rates, out of order', () => {
    const rates: [number, StepResult['status']][] = [
      [20, 'ok'],
      [40, 'ok'],
      [80, 'saturated'],
      [60, 'ok'],
      [70, 'slow'],
    ];
    const steps = rates.map(([rate, status]) => step({ phase: 'ramp', transport: 'ws', rate, status, dps: rate * 100 }));
    const [ws] = summarizeRamps(steps, ['ws'], { latencyLimitMs: 500, rampClients: 100, tls: false });
    expect(ws).toMatchObject({ highestRate: 60, failedRate: 70, limitFound: true, highestDeliveriesPerSecond: 6000 });
    expect(ws!.deliveriesPerServerCore).toBe(Math.round(6000 / ws!.serverCoresAtHighest!));
  });

  it('says in the verdict when the runs of ws and SSE overlap', () => {
    const pair = (transport: 'ws' | 'sse', cpus: number[]) =>
      summarizeRuns(cpus.map((cpu, i) => run(i + 1, cpu, { plan: { ...observation().plan, transport } })));
    const claim = wsHeavierThanSse([pair('ws', [60, 70, 80]), pair('sse', [65, 75, 85])], 0.1);
    expect(claim.figures).toMatchObject({ runs: 3, cpuRangesOverlap: true, cpuComparison: 'similar' });
    // Lighter by median beyond the margin, but the ranges overlap: not established, so similar.
    const apart = wsHeavierThanSse([pair('ws', [50, 60, 80]), pair('sse', [75, 80, 90])], 0.1);
    expect(apart.figures).toMatchObject({ cpuRatioWsOverSse: expect.any(Number), cpuComparison: 'similar' });
    expect(claim.explanation).toContain("the runs' ranges overlap");
  });
});

describe('pinning', () => {
  it('gives the server the last core and the client side the rest, or pins nothing and says why', () => {
    expect(planPinning([0, 1], () => true)).toMatchObject({ method: 'taskset', cores: 2, server: [1], generator: [0] });
    expect(planPinning([0, 1, 2, 3], () => true)).toMatchObject({ server: [3], generator: [0, 1, 2] });
    // A cpuset need not start at 0 nor be contiguous.
    expect(planPinning([2, 5], () => true)).toMatchObject({ server: [5], generator: [2] });
    expect(planPinning([0], () => true)).toMatchObject({ method: 'none', server: null, note: expect.stringMatching(/one core/) });
    expect(planPinning([0, 1], () => false)).toMatchObject({ method: 'none', note: expect.stringMatching(/taskset/) });
    expect(allowedCpus().length).toBeGreaterThan(0);
    expect(pinned('node', ['a.js'], [1])).toEqual(['taskset', ['-c', '1', 'node', 'a.js']]);
    expect(pinned('node', ['a.js'], null)).toEqual(['node', ['a.js']]);
  });
});
