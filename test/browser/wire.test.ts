/**
 * The wire step for real: Chromium, the three lab servers and the recording relay on loopback,
 * writing into a temporary folder. Checks that the transcripts hold each transport's handshake,
 * at least three quotes decoded from the bytes, the reconnect behaviour each protocol defines, and
 * that the results file matches its schema. About 10-15 s.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTranscript } from '../../scripts/wire/annotate.ts';
import { runWire } from '../../scripts/wire/run.ts';
import { WIRE_TRANSPORTS, type TranscriptFile, type WireResults } from '../../scripts/wire/types.ts';
import { wireResultsProblems } from '../../scripts/wire/validate.ts';

describe('npm run wire in Chromium', () => {
  let dir: string;
  let results: WireResults;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-wire-'));
    results = await runWire({ out: join(dir, 'wire.json'), dir: `${dir}/`, reconnectWatchMs: 300 });
  }, 90_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a results file that matches its schema', async () => {
    const written = JSON.parse(await readFile(join(dir, 'wire.json'), 'utf8'));
    expect(wireResultsProblems(written)).toEqual([]);
    expect(written.meta.chromium).toMatch(/^\d+\./);
    expect(Object.keys(written.transports)).toEqual([...WIRE_TRANSPORTS]);
  });

  it.each(WIRE_TRANSPORTS)('%s: the transcript holds the handshake and at least three decoded quotes', async (transport) => {
    const transcript = JSON.parse(await readFile(join(dir, `${transport}.transcript.json`), 'utf8')) as TranscriptFile;
    const decoded = decodeTranscript(transcript);
    const wire = results.transports[transport]!;
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
    if (transport === 'sse') {
      expect(heads[0]!.rows[0]!.text).toMatch(/^GET \/sse HTTP\/1\.1/);
      expect(rowsOf('Content-Type header').some((r) => /text\/event-stream/.test(r.meaning))).toBe(true);
      expect(wire.page.reconnected).toBe(true);
      expect(rowsOf('Last-Event-ID header')).toHaveLength(1);
    } else if (transport === 'ws') {
      expect(heads.some((m) => m.summary.startsWith('101 Switching Protocols'))).toBe(true);
      expect(rowsOf('Sec-WebSocket-Accept header').every((r) => r.meaning.endsWith(': matches'))).toBe(true);
      expect(wire.page.close?.code).toBe(1001);
      expect(wire.page.connectionsAfterDrop).toBe(0);
    } else {
      expect(decoded.messages.some((m) => m.carries === 'handshake' && /engine\.io open/.test(m.summary))).toBe(true);
      expect(decoded.messages.some((m) => /2probe/.test(m.summary))).toBe(true);
      expect(wire.page.recovered).toBe(true);
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
