/**
 * The wire step for real: Chromium, the lab servers and the recording relay on loopback, writing
 * into a temporary folder. Checks that the transcripts hold each transport's handshake, at least
 * three quotes decoded from the bytes, the reconnect behaviour each protocol defines, and that the
 * results file matches its schema. SSE over HTTP/2 is TLS: where tshark is installed (CI installs
 * it) its frames come from tshark's decrypted capture, and the test checks them the same way;
 * without tshark the run must say it did not run it, and why. About 20-40 s.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeH2Capture } from '../../scripts/wire/annotate/h2.ts';
import { decodeTranscript } from '../../scripts/wire/annotate/session.ts';
import { runWire } from '../../scripts/wire/run.ts';
import { tsharkPath } from '../../scripts/wire/tshark.ts';
import {
  type TranscriptFile,
  type TsharkCapture,
  WIRE_TRANSPORTS,
  type WireResults,
  type WireTransport,
  wireKind,
} from '../../scripts/wire/types.ts';
import { wireResultsProblems } from '../../scripts/wire/validate.ts';

describe('npm run wire in Chromium', () => {
  let dir: string;
  let results: WireResults;
  const json = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8'));
  /** The session decoded again from the files the run wrote: the relay's transcript, and for HTTP/2 tshark's dissection. */
  const decode = async (transport: WireTransport) => {
    const transcript = (await json(`${transport}.transcript.json`)) as TranscriptFile;
    if (wireKind(transport) !== 'h2') return decodeTranscript(transcript);
    return decodeH2Capture((await json(`${transport}.tshark.json`)) as TsharkCapture, transcript);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-wire-'));
    results = await runWire({ out: join(dir, 'wire.json'), dir: `${dir}/`, reconnectWatchMs: 300 });
  }, 150_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a results file that matches its schema, with every transport run or said why not', async () => {
    const written = await json('wire.json');
    expect(wireResultsProblems(written)).toEqual([]);
    expect(written.meta.chromium).toMatch(/^\d+\./);
    expect([...Object.keys(written.transports), ...Object.keys(written.notRun ?? {})].sort()).toEqual([...WIRE_TRANSPORTS].sort());
    // Only a transport read through tshark may be left out: when tshark is missing, or may not capture here.
    for (const [transport, reason] of Object.entries(written.notRun ?? {})) {
      expect(wireKind(transport as WireTransport)).toBe('h2');
      expect(reason).toMatch(tsharkPath() ? /^tshark did not start capturing/ : /^tshark is not installed/);
    }
  });

  it.each(WIRE_TRANSPORTS)('%s: the transcript holds the handshake and at least three decoded quotes', async (transport) => {
    const wire = results.transports[transport];
    if (!wire) {
      expect(results.notRun?.[transport]).toMatch(/tshark/);
      return;
    }
    const decoded = await decode(transport);
    expect(decoded.stats.undecodedBytes).toBe(0);
    expect(decoded.stats.quoteSeqs.length).toBeGreaterThanOrEqual(3);
    // What the page's handlers got is exactly what the bytes carried: the same (seq, format) pairs,
    // each as many times (a multiset: a replayed quote counts twice on both sides).
    const FORMATS = { 'quote-json': 'json', 'quote-binary': 'binary', 'quote-base64': 'base64' } as Record<string, string>;
    const fromBytes = decoded.messages
      .filter((m) => FORMATS[m.carries])
      .flatMap((m) => m.seqs.map((seq) => `${seq} ${FORMATS[m.carries]}`));
    const fromPage = wire.page.quotes.map((q) => `${q.seq} ${q.format}`);
    expect(wire.page.quotes.length).toBeGreaterThanOrEqual(3);
    expect(decoded.stats.decodedQuotes).toBe(wire.page.quotes.length);
    expect(fromBytes.sort()).toEqual(fromPage.sort());
    expect(wire.page.quotes.some((q) => q.format !== 'json')).toBe(true);

    const heads = decoded.messages.filter((m) => m.layer === 'http-head');
    const rowsOf = (label: string) => decoded.messages.flatMap((m) => m.rows).filter((r) => r.label === label);
    switch (wireKind(transport)) {
      case 'event-stream':
        expect(heads[0]!.rows[0]!.text).toMatch(/^GET \/sse HTTP\/1\.1/);
        expect(rowsOf('Content-Type header').some((r) => /text\/event-stream/.test(r.meaning))).toBe(true);
        expect(wire.page.reconnected).toBe(true);
        expect(rowsOf('Last-Event-ID header')).toHaveLength(1);
        break;
      case 'h2': {
        const h2 = wire.h2!;
        const [first] = h2.headerBlocks;
        expect(first).toMatchObject({ dir: 'c2s', what: 'GET /sse' });
        expect(h2.headerBlocks.find((b) => b.dir === 's2c')!.fields).toContainEqual(
          expect.objectContaining({ name: 'content-type', value: 'text/event-stream' }),
        );
        expect(wire.page.reconnected).toBe(true);
        expect(wire.page.connectionsAfterDrop).toBe(0); // the reconnect is a new stream on the same connection
        expect(rowsOf('last-event-id header')).toHaveLength(1);
        expect(h2.frames).toMatchObject({ GOAWAY: 1 });
        expect(h2.frames.SETTINGS).toBeGreaterThanOrEqual(2);
        const [connection] = wire.connections;
        expect(connection!.protocols).toEqual(['TLS 1.3', 'HTTP/2']);
        expect(connection!.tls).toMatchObject({ alpn: 'h2' });
        // The capture holds every TLS byte the relay carried (retransmissions counted once).
        const transcript = (await json(`${transport}.transcript.json`)) as TranscriptFile;
        const relayed = (d: 'c2s' | 's2c') =>
          transcript.connections[0]!.chunks.filter((c) => c.dir === d).reduce((n, c) => n + Buffer.byteLength(c.data, 'base64'), 0);
        expect(connection!.tls!.bytes).toEqual({ c2s: relayed('c2s'), s2c: relayed('s2c') });
        expect(wire.overhead.map((r) => r.item)).toEqual(expect.arrayContaining(['handshake', 'TLS handshake', 'quote (JSON)']));
        expect(wire.pcap).toMatchObject({ path: null, tool: 'tshark' });
        break;
      }
      case 'websocket':
        expect(heads.some((m) => m.summary.startsWith('101 Switching Protocols'))).toBe(true);
        expect(rowsOf('Sec-WebSocket-Accept header').every((r) => r.meaning.endsWith(': matches'))).toBe(true);
        expect(wire.page.close?.code).toBe(1001);
        expect(wire.page.connectionsAfterDrop).toBe(0);
        break;
      case 'engineio':
        expect(decoded.messages.some((m) => m.carries === 'handshake' && /engine\.io open/.test(m.summary))).toBe(true);
        expect(decoded.messages.some((m) => /2probe/.test(m.summary))).toBe(true);
        expect(wire.page.recovered).toBe(true);
        break;
    }
  });

  it('gives evidence fields for the three claims from the decoded bytes', () => {
    const e = results.evidence;
    expect(e['ws-tcp-sse-http'].sseAllBytesHttp).toBe(true);
    expect(e['ws-tcp-sse-http'].wsOnlyFramesAfter101).toBe(true);
    expect(e['sse-text-only'].sseBodyControlBytes).toBe(0);
    expect(e['sse-base64-costs-bandwidth'].base64Bytes).toBeGreaterThan(e['sse-base64-costs-bandwidth'].binaryQuoteBytes!);
  });
});
