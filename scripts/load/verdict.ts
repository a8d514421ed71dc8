/**
 * The `ws-heavier-than-sse` verdict (article A: "websocket的资源占用过大EventSource更轻量"),
 * computed from the client sweep: at the largest N where both the ws and the SSE step are
 * `ok` (all connected, zero loss, not client-bound) and held enough deliveries to judge CPU (the largest `ok` one if none
 * did), compare the server's heap per connection and its CPU per 1,000 deliveries, ws over SSE: each step's median over
 * its runs, and whether the runs' ranges overlap, which the explanation says. A ratio above 1 + margin is "heavier", below
 * 1 - margin "lighter", else "similar". Confirmed when ws is heavier on both, refuted when it
 * is heavier on neither, depends when the two disagree. Every other transport measured at the
 * same N (socket.io, since "WebSocket" in practice often means socket.io; SSE over HTTP/2, marked
 * when it ran over TLS beside plain peers; the raw-TCP floor) is reported beside them.
 */
import { TRANSPORT_NAMES, TRANSPORTS, type Transport } from '../../servers/transports.ts';
import type { ClaimResult } from '../lib/claims.ts';
import { summarizeMemory } from './aggregate.ts';
import { overlaps } from './repeats.ts';
import type { Spread, SpreadFigure, StepResult } from './types.ts';

/** The claim's two subjects; every other transport is reported beside them. */
const SUBJECTS: readonly Transport[] = ['ws', 'sse'];

/** `sse-h2` -> `sseH2`: a transport's prefix in the claim's figure names. */
const figureName = (transport: Transport) => transport.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

type Comparison = 'heavier' | 'lighter' | 'similar';

export function compare(ratio: number, margin: number): Comparison {
  if (ratio > 1 + margin) return 'heavier';
  if (ratio < 1 - margin) return 'lighter';
  return 'similar';
}

/** "the runs' ranges overlap (ws a-b, SSE c-d)" when they do, so a reader knows the difference is within the noise; else null. */
function rangesOverlap(ws: StepResult, sse: StepResult, figure: SpreadFigure): string | null {
  const [a, b] = [ws.repeats?.spread[figure], sse.repeats?.spread[figure]];
  if (!a || !b || a.values.length < 2 || b.values.length < 2 || !overlaps(a, b)) return null;
  const digits = figure === 'heapPerConnectionBytes' ? 0 : 3;
  const r = (s: Spread) => `${fmt(s.min, digits)}-${fmt(s.max, digits)}`;
  return `the runs' ranges overlap (ws ${r(a)}, SSE ${r(b)}): within run-to-run noise, so counted as similar`;
}

const fmt = (value: number | null, digits = 1) => (value === null ? 'n/a' : value.toFixed(digits));
const ratioOf = (a: number | null, b: number | null) =>
  a !== null && b !== null && a > 0 && b > 0 ? Math.round((a / b) * 1000) / 1000 : null;

/** Net CPU (the one-client twin's taken out) when both are positive, else the raw figure for both. */
function cpuFigures(ws: StepResult, sse: StepResult): { basis: 'net' | 'raw'; ws: number | null; sse: number | null } {
  const net = { ws: ws.server.netCpuMsPer1kDeliveries, sse: sse.server.netCpuMsPer1kDeliveries };
  if (net.ws !== null && net.sse !== null && net.ws > 0 && net.sse > 0) return { basis: 'net', ...net };
  return { basis: 'raw', ws: ws.server.cpuMsPer1kDeliveries, sse: sse.server.cpuMsPer1kDeliveries };
}

export function wsHeavierThanSse(steps: readonly StepResult[], margin: number, date = new Date().toISOString()): ClaimResult {
  const ok = (transport: Transport, clients: number) =>
    steps.find((s) => s.phase === 'clients' && s.transport === transport && s.clients === clients && s.status === 'ok');
  const candidates = steps
    .filter((s) => s.phase === 'clients' && s.transport === 'ws' && s.status === 'ok' && ok('sse', s.clients))
    .map((s) => s.clients);
  const base = { id: 'ws-heavier-than-sse' as const, decidedBy: 'load' as const, date };
  if (candidates.length === 0) {
    const seen = steps.filter((s) => s.phase === 'clients' && SUBJECTS.includes(s.transport)).map((s) => `${s.id}: ${s.status}`);
    return {
      ...base,
      verdict: 'not-run',
      explanation:
        'No client-sweep step where both ws and SSE were ok (all connected, zero loss, not client-bound), so nothing to compare.' +
        (seen.length ? ` Steps: ${seen.join('; ')}.` : ' ws and SSE were not both measured.'),
      records: steps.filter((s) => s.phase === 'clients').map((s) => s.id),
    };
  }
  const judged = candidates.filter((c) => ok('ws', c)!.server.cpuJudged && ok('sse', c)!.server.cpuJudged);
  const n = Math.max(...(judged.length ? judged : candidates));
  const ws = ok('ws', n)!;
  const sse = ok('sse', n)!;
  const beside = TRANSPORT_NAMES.filter((t) => !SUBJECTS.includes(t)).flatMap((t) => ok(t, n) ?? []);
  const heap = { ws: ws.server.perConnection.heapBytes, sse: sse.server.perConnection.heapBytes };
  const cpu = cpuFigures(ws, sse);
  const heapRatio = ratioOf(heap.ws, heap.sse);
  const cpuJudged = ws.server.cpuJudged && sse.server.cpuJudged;
  const cpuRatio = cpuJudged ? ratioOf(cpu.ws, cpu.sse) : null;
  const heapOverlap = rangesOverlap(ws, sse, 'heapPerConnectionBytes');
  const cpuOverlap = rangesOverlap(ws, sse, cpu.basis === 'net' ? 'netCpuMsPer1kDeliveries' : 'cpuMsPer1kDeliveries');
  // A difference beyond the margin whose runs' ranges overlap is not established: counted as similar, and said.
  const heapSays = heapRatio === null ? null : heapOverlap ? 'similar' : compare(heapRatio, margin);
  // The marginal cost from the sweep's line (two or more ok steps), reported beside the decision.
  const [wsLine, sseLine] = summarizeMemory(steps, ['ws', 'sse']);
  const cpuSays = cpuRatio === null ? null : cpuOverlap ? 'similar' : compare(cpuRatio, margin);

  let verdict: ClaimResult['verdict'];
  if (heapSays === null || cpuSays === null) verdict = 'depends';
  else if (heapSays === 'heavier' && cpuSays === 'heavier') verdict = 'confirmed';
  else if (heapSays !== 'heavier' && cpuSays !== 'heavier') verdict = 'refuted';
  else verdict = 'depends';

  const pct = `±${Math.round(margin * 100)}%`;
  const cpuName =
    cpu.basis === 'net' ? 'server CPU per 1,000 deliveries (the one-client twin subtracted)' : 'server CPU per 1,000 deliveries';
  const heapWords = heapSays ? `ws ${heapSays}; a ratio within ${pct} of 1 counts as similar` : 'not comparable';
  const slopes =
    wsLine!.heapBytesPerConnection !== null && sseLine!.heapBytesPerConnection !== null
      ? `; the sweep's marginal cost per connection: ws ${wsLine!.heapBytesPerConnection} B, SSE ${sseLine!.heapBytesPerConnection} B`
      : '';
  const runs = ws.repeats?.runs ?? 1;
  const overlapWords = (overlap: string | null) => (overlap ? `; ${overlap}` : '');
  const sentences = [
    `At ${n} concurrent clients and ${ws.rate} quotes/s (same run, each server in its own process` +
      `${runs > 1 ? `; medians of ${runs} runs` : '; one run each'}):`,
    `plain ws held ${fmt(heap.ws, 0)} B of server heap per connection against SSE's ${fmt(heap.sse, 0)} B ` +
      `(ws/SSE ${fmt(heapRatio, 2)}: ${heapWords}${slopes}${overlapWords(heapOverlap)});`,
    `${cpuName}: ws ${fmt(cpu.ws, 3)} ms, SSE ${fmt(cpu.sse, 3)} ms ` +
      `(ws/SSE ${fmt(cpuRatio, 2)}: ${cpuSays ? `ws ${cpuSays}` : cpuJudged ? 'not comparable' : 'too few deliveries to judge'}` +
      `${overlapWords(cpuOverlap)});`,
    `bytes on the wire per quote: ws ${fmt(ws.server.bytesPerDelivery)}, SSE ${fmt(sse.server.bytesPerDelivery)}.`,
  ];
  for (const other of beside) {
    const over = other.tls && !ws.tls ? ' (over TLS, beside plain ones)' : '';
    const { label, floor } = TRANSPORTS[other.transport];
    sentences.push(
      `${floor ? `The ${label}` : `${label} at the same N`}${over}: ${fmt(other.server.perConnection.heapBytes, 0)} B heap ` +
        `per connection, ${fmt(other.server.netCpuMsPer1kDeliveries, 3)} ms net CPU per 1,000 deliveries, ` +
        `${fmt(other.server.bytesPerDelivery)} B per quote.`,
    );
  }
  sentences.push(
    verdict === 'confirmed'
      ? 'ws is heavier than SSE on both memory and CPU.'
      : verdict === 'refuted'
        ? 'Plain WebSocket is not heavier than SSE on either memory or CPU per delivery.'
        : 'Memory and CPU disagree (or one could not be compared), so the answer depends on which resource matters.',
  );

  return {
    ...base,
    verdict,
    explanation: sentences.join(' '),
    records: [ws.id, sse.id, ...beside.map((s) => s.id)],
    figures: {
      clients: n,
      rate: ws.rate,
      margin,
      wsHeapPerConnectionBytes: heap.ws,
      sseHeapPerConnectionBytes: heap.sse,
      heapRatioWsOverSse: heapRatio,
      heapComparison: heapSays,
      cpuBasis: cpu.basis,
      wsCpuMsPer1kDeliveries: cpu.ws,
      sseCpuMsPer1kDeliveries: cpu.sse,
      cpuRatioWsOverSse: cpuRatio,
      cpuComparison: cpuSays,
      runs,
      heapRangesOverlap: heapOverlap !== null,
      cpuRangesOverlap: cpuOverlap !== null,
      wsBytesPerDelivery: ws.server.bytesPerDelivery,
      sseBytesPerDelivery: sse.server.bytesPerDelivery,
      wsHeapSlopeBytes: wsLine!.heapBytesPerConnection,
      sseHeapSlopeBytes: sseLine!.heapBytesPerConnection,
      wsRssPerConnectionBytes: ws.server.perConnection.rssBytes,
      sseRssPerConnectionBytes: sse.server.perConnection.rssBytes,
      ...Object.fromEntries(
        beside.flatMap((s) => [
          [`${figureName(s.transport)}HeapPerConnectionBytes`, s.server.perConnection.heapBytes],
          [`${figureName(s.transport)}NetCpuMsPer1kDeliveries`, s.server.netCpuMsPer1kDeliveries],
        ]),
      ),
    },
  };
}
