/**
 * The HTTP/2 annotation on a recorded Chromium session to the sse-h2 server: tshark's dissection
 * (test/fixtures/wire/chromium-sse-h2.tshark.json, decrypted with the browser's TLS key log) and the
 * relay's transcript of the same TLS connection (chromium-sse-h2.transcript.json). Checks that every
 * decrypted byte lands in one row, the frame types the session must have, the header lists HPACK
 * carried, the quotes read from the DATA frames in order, the TLS layer, and that a connection tshark
 * could not decrypt stays undecoded instead of breaking the session. No tshark is needed to run it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeH2Capture } from '../scripts/wire/annotate/h2.ts';
import { PayloadCounter, tcpConnections } from '../scripts/wire/decode/h2.ts';
import { ssePreambleNote } from '../scripts/wire/evidence.ts';
import { trimPacket } from '../scripts/wire/tshark.ts';
import type { H2HeaderBlock, TranscriptFile, TsharkCapture, WireMessage } from '../scripts/wire/types.ts';
import { expectRowsTile } from './wire-rows.ts';

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const capture = read('fixtures/wire/chromium-sse-h2.tshark.json') as TsharkCapture;
const transcript = read('fixtures/wire/chromium-sse-h2.transcript.json') as TranscriptFile;
const session = decodeH2Capture(capture, transcript);
const { messages, connections, h2 } = session;

const relayBytes = (conn: number, dir: 'c2s' | 's2c') =>
  transcript.connections
    .find((c) => c.conn === conn)!
    .chunks.filter((c) => c.dir === dir)
    .reduce((n, c) => n + Buffer.byteLength(c.data, 'base64'), 0);
const fieldsOf = (block: H2HeaderBlock) => Object.fromEntries(block.fields.map((f) => [f.name, f.value]));
const requests = h2.headerBlocks.filter((b) => b.dir === 'c2s');
const frameType = (m: WireMessage) => m.summary.split(/[ ,:]/)[0];

describe('an HTTP/2 session from tshark: byte accounting', () => {
  it('puts every decrypted HTTP/2 byte in exactly one row, showing the bytes tshark decrypted', () => {
    const [tcp] = tcpConnections(capture);
    expect(tcp).toBeDefined();
    for (const dir of ['c2s', 's2c'] as const) {
      const bytes = Buffer.concat(tcp!.frames.filter((f) => f.dir === dir).map((f) => f.bytes));
      expectRowsTile(
        messages.filter((m) => m.dir === dir),
        bytes,
      );
      expect(connections[0]!.bytes[dir]).toBe(bytes.length);
    }
    expect(session.stats.undecodedBytes).toBe(0);
    // Every byte explained by a field tshark placed: no gap rows.
    expect(messages.flatMap((m) => m.rows).filter((r) => r.label === 'bytes')).toEqual([]);
  });

  it('gives each frame a 9-byte header row, and the browser a 24-byte preface first', () => {
    const browser = messages.filter((m) => m.dir === 'c2s').sort((a, b) => a.offset - b.offset);
    expect(browser[0]).toMatchObject({ layer: 'h2-preface', offset: 0, length: 24, carries: 'handshake' });
    const frames = messages.filter((m) => m.layer === 'h2-frame');
    expect(frames.every((m) => m.rows[0]!.label === 'frame header' && m.rows[0]!.length === 9)).toBe(true);
    expect(frames.length).toBe(Object.values(h2.frames).reduce((a, b) => a + b, 0));
  });
});

describe('the frames of the session', () => {
  it('has the frames the session must produce: SETTINGS and their ACKs, two HEADERS per request, RST_STREAM, GOAWAY', () => {
    const streams = connections[0]!.requests.length;
    expect(streams).toBe(5); // GET /sse, OPTIONS and POST /sse/ping, GET /sse?format=base64, the reconnect's GET /sse
    expect(h2.frames.SETTINGS).toBe(4); // each side's, each acknowledged
    expect(messages.filter((m) => m.summary.startsWith('SETTINGS ACK'))).toHaveLength(2);
    expect(h2.frames.HEADERS).toBe(2 * streams);
    // The page closed its base64 EventSource and, at the end, its main one: one RST_STREAM (CANCEL) each.
    expect(messages.filter((m) => frameType(m) === 'RST_STREAM').map((m) => m.summary)).toEqual([
      expect.stringMatching(/^RST_STREAM on stream 7 \(CANCEL\): GET \/sse\?format=base64/),
      expect.stringMatching(/^RST_STREAM on stream 9 \(CANCEL\): GET \/sse /),
    ]);
    const goaway = messages.find((m) => frameType(m) === 'GOAWAY')!;
    expect(goaway.dir).toBe('s2c');
    expect(goaway.rows.map((r) => r.label)).toEqual(['frame header', 'last stream id', 'error code']);
    expect(goaway.rows[1]!.meaning).toMatch(/^last stream id 9:/);
    expect(goaway.rows[2]!.meaning).toBe('error code 0 = NO_ERROR');
    expect(h2.frames.WINDOW_UPDATE).toBe(messages.filter((m) => frameType(m) === 'WINDOW_UPDATE').length);
  });

  it('shows each SETTINGS entry in its own 6-byte row', () => {
    const settings = messages.find((m) => m.dir === 'c2s' && frameType(m) === 'SETTINGS' && !m.summary.includes('ACK'))!;
    const rows = settings.rows.slice(1);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.label === 'setting' && r.length === 6)).toBe(true);
    expect(settings.length).toBe(9 + 6 * rows.length);
  });
});

describe('header lists as tshark decoded them from HPACK', () => {
  const first = requests.find((b) => b.what === 'GET /sse')!;
  const reconnect = requests.filter((b) => b.what === 'GET /sse').at(-1)!;

  it("the event stream's request: pseudo-headers first, Accept text/event-stream, the page's Origin, no Last-Event-ID", () => {
    expect(first.fields.slice(0, 4).map((f) => f.name)).toEqual([':method', ':authority', ':scheme', ':path']);
    const fields = fieldsOf(first);
    expect(fields).toMatchObject({ ':method': 'GET', ':scheme': 'https', ':path': '/sse', accept: 'text/event-stream' });
    expect(fields[':authority']).toBe(`127.0.0.1:${capture.port}`);
    expect(fields.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fields['last-event-id']).toBeUndefined();
    const response = h2.headerBlocks.find((b) => b.dir === 's2c' && b.stream === first.stream)!;
    expect(fieldsOf(response)).toMatchObject({ ':status': '200', 'content-type': 'text/event-stream' });
    // Each field's row sits in the HEADERS frame, with its HPACK representation and size.
    const frame = messages.find((m) => m.dir === 'c2s' && m.t === first.t && frameType(m) === 'HEADERS')!;
    const fieldRows = frame.rows.filter((r) => r.label.endsWith(' header') && r.label !== 'frame header');
    expect(fieldRows.map((r) => r.length)).toEqual(first.fields.map((f) => f.bytes));
  });

  it('the reconnect carries Last-Event-ID, and HPACK sends the repeated fields as one-byte indexes', () => {
    expect(reconnect.stream).toBeGreaterThan(first.stream);
    expect(fieldsOf(reconnect)['last-event-id']).toBe('4'); // the last id the page saw before the drop
    const names = (b: H2HeaderBlock) => b.fields.map((f) => f.name).filter((n) => n !== 'last-event-id');
    expect(names(reconnect)).toEqual(names(first));
    const indexed = reconnect.fields.filter((f) => f.representation === 'Indexed Header Field');
    expect(indexed.every((f) => f.bytes === 1)).toBe(true);
    expect(indexed.length).toBeGreaterThan(reconnect.fields.length / 2);
    expect(reconnect.encodedBytes).toBeLessThan(first.encodedBytes / 4);
    expect(reconnect.plainBytes).toBeGreaterThan(first.plainBytes); // the same list and one field more, as text
  });
});

describe('quotes in DATA frames', () => {
  const quoteFrames = messages.filter((m) => m.dir === 's2c' && m.seqs.length > 0).sort((a, b) => a.offset - b.offset);
  const stream = (m: WireMessage) => Number(/on stream (\d+)/.exec(m.summary)![1]);

  it('decodes every quote with its seq, in order, each event id equal to its seq', () => {
    expect(quoteFrames.flatMap((m) => m.seqs)).toEqual([1, 2, 3, 4, 4, 5, 6]);
    expect(quoteFrames.map((m) => m.carries)).toEqual([
      'quote-json',
      'quote-json',
      'quote-json',
      'quote-json',
      'quote-base64',
      'quote-json',
      'quote-json',
    ]);
    for (const m of quoteFrames) {
      expect(frameType(m)).toBe('DATA');
      expect(m.rows.map((r) => r.label)).toEqual(['frame header', 'id line', 'event line', 'data line', 'blank line']);
      expect(m.rows[1]!.meaning).toContain(`the last event id becomes '${m.seqs[0]}'`);
    }
    expect(session.stats.quoteSeqs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('the drop ends stream 1 with an empty END_STREAM DATA frame; the missed quote 5 comes on the reconnect', () => {
    const byStream = (id: number) => quoteFrames.filter((m) => stream(m) === id).flatMap((m) => m.seqs);
    const main = stream(quoteFrames[0]!);
    const end = messages.find((m) => m.dir === 's2c' && m.carries === 'close' && frameType(m) === 'DATA')!;
    expect(stream(end)).toBe(main);
    expect(end.length).toBe(9);
    expect(end.summary).toMatch(/END_STREAM/);
    const resumed = quoteFrames.find((m) => m.seqs[0] === 5)!;
    expect(stream(resumed)).toBeGreaterThan(main);
    expect(resumed.offset).toBeGreaterThan(end.offset);
    expect(byStream(main)).toEqual([1, 2, 3, 4]);
    expect(byStream(stream(resumed))).toEqual([5, 6]);
  });

  it('a JSON quote costs its event plus a 9-byte frame header; its TLS record adds the rest', () => {
    const row = session.overhead.find((r) => r.item === 'quote (JSON)')!;
    const frame = messages.find((m) => m.conn === row.refs[0]!.conn && m.dir === 's2c' && m.offset === row.refs[0]!.offset)!;
    const event = frame.rows.slice(1).reduce((n, r) => n + r.length, 0);
    expect(row.s2cBytes).toBe(9 + event);
    expect(row.tlsBytes!.s2c).toBeGreaterThan(row.s2cBytes);
    expect(ssePreambleNote(session.facts)).toMatch(/^The event stream's first body bytes.*"retry: \d+"/);
  });

  it('the ping POST and its pong ride their own stream on the same connection', () => {
    const ping = messages.filter((m) => m.carries === 'ping' || m.carries === 'pong');
    expect(new Set(ping.map(stream)).size).toBe(1);
    expect(ping.map((m) => `${m.dir} ${frameType(m)}`)).toEqual(['c2s HEADERS', 'c2s DATA', 's2c HEADERS', 's2c DATA', 's2c DATA']);
  });
});

describe('the TLS layer', () => {
  const tls = connections[0]!.tls!;
  it('is TLS 1.3 with h2 agreed by ALPN, and the capture holds every byte the relay carried', () => {
    expect(connections[0]!.protocols).toEqual(['TLS 1.3', 'HTTP/2']);
    expect(tls).toMatchObject({ version: 'TLS 1.3', alpn: 'h2' });
    expect(tls.bytes).toEqual({ c2s: relayBytes(1, 'c2s'), s2c: relayBytes(1, 's2c') });
    expect(h2.bytes.tls).toEqual(tls.bytes);
  });

  it('lists the handshake in order, and its bytes are the handshake row of the overhead table', () => {
    expect(tls.handshake.slice(0, 2).map((h) => `${h.dir} ${h.message}`)).toEqual(['c2s Client Hello', 's2c Server Hello']);
    expect(tls.handshake.filter((h) => h.message === 'Finished').map((h) => h.dir)).toEqual(['s2c', 'c2s']);
    const row = session.overhead.find((r) => r.item === 'TLS handshake')!;
    expect([row.c2sBytes, row.s2cBytes]).toEqual([tls.handshakeBytes.c2s, tls.handshakeBytes.s2c]);
    // Records carry the messages (5-byte header each, plus the change_cipher_spec record): at least their sizes.
    const messageBytes = (dir: 'c2s' | 's2c') => tls.handshake.filter((h) => h.dir === dir).reduce((n, h) => n + h.bytes, 0);
    expect(tls.handshakeBytes.c2s).toBeGreaterThan(messageBytes('c2s'));
    expect(tls.handshakeBytes.s2c).toBeGreaterThan(messageBytes('s2c'));
  });
});

describe('a connection tshark did not decrypt', () => {
  it('keeps its TLS bytes as undecoded rows, adding up to what the relay carried', () => {
    const noKeys: TsharkCapture = { ...capture, packets: capture.packets.map(({ http2: _, http2_raw: __, ...rest }) => rest) };
    const opaque = decodeH2Capture(noKeys, transcript);
    expect(opaque.messages.every((m) => m.layer === 'undecoded')).toBe(true);
    expect(opaque.stats.undecodedBytes).toBe(relayBytes(1, 'c2s') + relayBytes(1, 's2c'));
    expect(opaque.connections[0]!.purpose).toMatch(/did not decrypt/);
    expect(opaque.stats.quoteSeqs).toEqual([]);
  });
});

describe('counting TCP payload from a capture', () => {
  it('counts each byte once: a retransmitted segment adds nothing, an overlapping one only its new bytes', () => {
    const counter = new PayloadCounter();
    expect(counter.add('a', 1, 100)).toBe(100);
    expect(counter.add('a', 1, 100)).toBe(0); // retransmission
    expect(counter.add('b', 1, 10)).toBe(10); // another flow
    expect(counter.add('a', 101, 50)).toBe(50);
    expect(counter.add('a', 120, 60)).toBe(29); // 120..179, of which 151..179 are new
  });
});

describe('trimming tshark output', () => {
  it('is idempotent: trimming the recorded packets again changes no annotation', () => {
    const again: TsharkCapture = { ...capture, packets: capture.packets.map((p) => trimPacket(p as Record<string, unknown>)!) };
    expect(JSON.stringify(decodeH2Capture(again, transcript))).toBe(JSON.stringify(session));
  });
});
