/**
 * The report's wire section on the recorded sessions: SSE over HTTP/2 next to SSE over HTTP/1.1.
 * The comparison table must show each transport's own overhead figures, and the sentences under it
 * must say what those figures say (which side costs more per quote and by how much, what the
 * frame header and TLS add, what HPACK did to the reconnect's headers), never a fixed claim.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Block, Cell } from '../scripts/report/blocks.ts';
import { wireSections } from '../scripts/report/wire-sections.ts';
import { decodeH2Capture } from '../scripts/wire/annotate/h2.ts';
import { type DecodedSession, decodeTranscript } from '../scripts/wire/annotate/session.ts';
import type { H2Wire, TranscriptFile, TransportWire, WireResults, WireTransport } from '../scripts/wire/types.ts';

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const sse = decodeTranscript(read('fixtures/wire/chromium-sse.transcript.json') as TranscriptFile);
const h2 = decodeH2Capture(read('fixtures/wire/chromium-sse-h2.tshark.json'), read('fixtures/wire/chromium-sse-h2.transcript.json'));

/** A transport's results as runWire writes them, around a decoded session (the page's view is not what this tests). */
function wireOf(transport: WireTransport, decoded: DecodedSession, extra: { h2?: H2Wire } = {}): TransportWire {
  return {
    transport,
    serverUrl: '',
    relayUrl: '',
    pageUrl: '',
    drop: { mode: 'end', why: 'the server ends the stream' },
    steps: [],
    page: { quotes: [], opens: 2, reconnected: true, recovered: null, pong: null, close: null, connectionsAfterDrop: 0 },
    connections: decoded.connections,
    messages: decoded.messages,
    overhead: decoded.overhead,
    stats: decoded.stats,
    pcap: { path: null, tool: null, note: '' },
    transcript: '',
    notes: [],
    ...extra,
  };
}

const results = {
  method: 'recorded sessions',
  transports: { sse: wireOf('sse', sse), 'sse-h2': wireOf('sse-h2', h2, { h2: { ...h2.h2, capture: 'results/wire/sse-h2.tshark.json' } }) },
  evidence: {},
} as unknown as WireResults;
const blocks = wireSections(results)[0]!.blocks;
const table = blocks.find((b): b is Extract<Block, { kind: 'table' }> => b.kind === 'table' && /HTTP\/2 bytes/.test(b.head.join()))!;
const rowOf = (item: string) => table.rows.find((r) => r[0] === item)!;
const says = (blocks[blocks.indexOf(table) + 1] as { text: string }).text;
const overhead = (d: DecodedSession, item: string) => d.overhead.find((r) => r.item === item)!;
const both = (d: DecodedSession, item: string): Cell => `${overhead(d, item).c2sBytes} / ${overhead(d, item).s2cBytes}`;

describe('the report: SSE over HTTP/2 beside SSE over HTTP/1.1', () => {
  it("puts each transport's own figures side by side: handshake, quotes, heartbeat, TLS", () => {
    for (const [label, item] of [
      ['handshake (HTTP, before the first quote)', 'handshake'],
      ['one JSON quote', 'quote (JSON)'],
      ['one base64 quote', 'quote (binary)'],
      ['heartbeat', 'heartbeat'],
    ] as const) {
      expect(rowOf(label).slice(1, 3)).toEqual([both(sse, item), both(h2, item)]);
    }
    const tls = overhead(h2, 'TLS handshake');
    expect(rowOf('TLS handshake')[3]).toBe(`${tls.c2sBytes} / ${tls.s2cBytes}`);
    expect(rowOf('one JSON quote')[3]).toBe(`0 / ${overhead(h2, 'quote (JSON)').tlsBytes!.s2c}`);
  });

  it('says from the figures what a quote costs on each, and what the frame header and TLS add', () => {
    const [q1, q2] = [overhead(sse, 'quote (JSON)').s2cBytes, overhead(h2, 'quote (JSON)').s2cBytes];
    const difference = q2 > q1 ? `${q2 - q1} B more` : q2 < q1 ? `${q1 - q2} B fewer` : 'the same';
    expect(says).toContain(`A JSON quote took ${q1} B as an HTTP/1.1 chunk`);
    expect(says).toContain(`and ${q2} B as an HTTP/2 DATA frame (a 9-byte frame header around its event): ${difference} per quote`);
    const onWire = overhead(h2, 'quote (JSON)').tlsBytes!.s2c;
    expect(says).toContain(`TLS then carried it in ${onWire} B, ${onWire - q2} B of record header`);
  });

  it("says what HPACK made of the reconnect's headers, counted from the header list", () => {
    const reconnect = h2.h2.headerBlocks.filter((b) => b.dir === 'c2s' && b.what === 'GET /sse').at(-1)!;
    const oneByte = reconnect.fields.filter((f) => f.bytes === 1).length;
    expect(says).toContain(`${oneByte} of its ${reconnect.fields.length} fields one byte each`);
    const [h1Row, h2Row] = [
      rowOf('reconnect request (Last-Event-ID)')[1] as number,
      rowOf('reconnect request (Last-Event-ID)')[2] as number,
    ];
    expect(says).toContain(`the reconnect with Last-Event-ID took ${h1Row} B against ${h2Row} B`);
    expect(h2Row).toBeLessThan(h1Row);
  });

  it('shows the HTTP/2 session its own tables: the TLS handshake message by message and every header list', () => {
    const captions = blocks.filter((b) => b.kind === 'table').map((b) => (b as { caption?: string }).caption ?? '');
    expect(captions.some((c) => c.startsWith('The TLS handshake (TLS 1.3'))).toBe(true);
    const lists = blocks.find((b) => b.kind === 'table' && b.caption?.startsWith('Header lists')) as { rows: Cell[][] };
    expect(lists.rows).toHaveLength(h2.h2.headerBlocks.length);
  });

  it('says in one line when the HTTP/2 session was not run', () => {
    const without = { ...results, transports: { sse: results.transports.sse }, notRun: { 'sse-h2': 'tshark is not installed' } };
    const texts = wireSections(without as WireResults)[0]!.blocks.flatMap((b) => (b.kind === 'p' ? [b.text] : []));
    expect(texts).toContain('**SSE over HTTP/2** was not run: tshark is not installed.');
    expect(texts.some((t) => t.startsWith('A JSON quote took'))).toBe(false);
  });
});
