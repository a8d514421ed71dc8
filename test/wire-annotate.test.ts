/**
 * The annotation of whole recorded Chromium sessions (test/fixtures/wire/chromium-*.transcript.json)
 * of the transports decoded from the relay's bytes (HTTP/2 is TLS: test/wire-h2.test.ts):
 * every byte in exactly one row, rows showing the bytes as recorded (masked payloads stay masked),
 * the protocol facts the report relies on, the overhead table and the claims evidence. Also the
 * committed example result against the results schema.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTranscript, type DecodedSession } from '../scripts/wire/annotate/session.ts';
import { describeEnginePacket } from '../scripts/wire/describe.ts';
import { ssePreambleNote, wireEvidence } from '../scripts/wire/evidence.ts';
import { overheadTable } from '../scripts/wire/overhead.ts';
import { type TranscriptFile, WIRE_TRANSPORTS, wireKind, type WireTransportOf } from '../scripts/wire/types.ts';
import { wireResultsProblems } from '../scripts/wire/validate.ts';
import { expectRowsTile } from './wire-rows.ts';

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
/** The transports whose bytes the relay sees as they are (not TLS). */
type Relayed = WireTransportOf<'event-stream' | 'websocket' | 'engineio'>;
const RELAYED = WIRE_TRANSPORTS.filter((t): t is Relayed => wireKind(t) !== 'h2');
const transcripts = Object.fromEntries(
  RELAYED.map((t) => [t, read(`fixtures/wire/chromium-${t}.transcript.json`) as TranscriptFile]),
) as Record<Relayed, TranscriptFile>;
const decoded = Object.fromEntries(RELAYED.map((t) => [t, decodeTranscript(transcripts[t])])) as Record<Relayed, DecodedSession>;
const item = (t: Relayed, name: string) => decoded[t].overhead.find((r) => r.item === name);

describe.each(RELAYED)('%s session: byte accounting', (transport) => {
  it('puts every recorded byte in exactly one row, showing the bytes as recorded', () => {
    const { messages, connections } = decoded[transport];
    for (const conn of transcripts[transport].connections) {
      for (const dir of ['c2s', 's2c'] as const) {
        const bytes = Buffer.concat(conn.chunks.filter((c) => c.dir === dir).map((c) => Buffer.from(c.data, 'base64')));
        expectRowsTile(
          messages.filter((m) => m.conn === conn.conn && m.dir === dir),
          bytes,
        );
      }
    }
    expect(decoded[transport].stats.undecodedBytes).toBe(0);
    expect(connections.every((c) => c.protocols[0] === 'HTTP/1.1' || c.bytes.c2s + c.bytes.s2c === 0)).toBe(true);
  });

  it('decodes at least three quotes from the bytes', () => {
    expect(decoded[transport].stats.quoteSeqs.length).toBeGreaterThanOrEqual(3);
  });
});

describe('SSE session', () => {
  const { messages } = decoded.sse;
  it('shows the request headers EventSource sends, and Last-Event-ID only on the reconnect', () => {
    const streams = messages.filter((m) => m.layer === 'http-head' && m.dir === 'c2s' && /^GET \/sse/.test(m.summary));
    const labels = (i: number) => streams[i]!.rows.map((r) => r.label);
    expect(labels(0)).toEqual(expect.arrayContaining(['Accept header', 'Origin header']));
    expect(labels(0)).not.toContain('Last-Event-ID header');
    const reconnect = streams.find((m) => m.rows.some((r) => r.label === 'Last-Event-ID header'));
    expect(reconnect).toBeDefined();
  });

  it('explains the retry preamble the browser does not dispatch', () => {
    const first = messages.find((m) => m.layer === 'http-chunk')!;
    expect(first.carries).toBe('control');
    expect(first.rows.map((r) => r.label)).toEqual(['chunk size line', 'retry line', 'blank line', 'chunk CRLF']);
    expect(first.rows[2]!.meaning).toMatch(/data buffer is empty/);
    expect(ssePreambleNote(decoded.sse.facts)).toMatch(/^The event stream's first body bytes.*"retry: \d+"/);
  });

  it('counts one JSON quote and one base64 quote against their payloads', () => {
    const json = item('sse', 'quote (JSON)')!;
    expect(json.c2sBytes).toBe(0);
    expect(json.s2cBytes).toBeGreaterThan(json.payloadBytes!);
    const base64 = item('sse', 'quote (binary)')!;
    expect(base64.payloadBytes).toBe(32);
  });
});

describe('WebSocket session', () => {
  const { messages } = decoded.ws;
  it('verifies Sec-WebSocket-Accept and shows masking keys only on client frames', () => {
    const accept = messages.flatMap((m) => m.rows).find((r) => r.label === 'Sec-WebSocket-Accept header')!;
    expect(accept.meaning).toMatch(/: matches$/);
    const frames = messages.filter((m) => m.layer === 'ws-frame');
    expect(frames.filter((m) => m.dir === 'c2s').every((m) => m.rows.some((r) => r.label === 'masking key'))).toBe(true);
    expect(frames.filter((m) => m.dir === 's2c').some((m) => m.rows.some((r) => r.label === 'masking key'))).toBe(false);
    expect(frames.some((m) => m.rows.some((r) => r.label === 'close code'))).toBe(true);
  });

  it('a JSON quote costs a 2-byte frame header; a binary one too', () => {
    expect(item('ws', 'quote (JSON)')).toMatchObject({ c2sBytes: 0, overheadBytes: 2 });
    expect(item('ws', 'quote (binary)')).toMatchObject({ payloadBytes: 32, overheadBytes: 2 });
  });
});

describe('socket.io session', () => {
  it('counts the placeholder packet and its attachment frame as one binary quote', () => {
    const binary = item('socketio', 'quote (binary)')!;
    expect(binary.refs).toHaveLength(2);
    expect(binary.payloadBytes).toBe(32);
    expect(binary.note).toMatch(/socket\.io attachments/);
  });

  it('shows the recovery: a CONNECT carrying pid and offset after the drop', () => {
    expect(decoded.socketio.messages.some((m) => m.dir === 'c2s' && /with recovery/.test(m.summary))).toBe(true);
  });
});

describe('evidence from the recorded sessions', () => {
  const evidence = wireEvidence(decoded);
  it('ws-tcp-sse-http: both start as HTTP requests; only WebSocket leaves HTTP, after a 101', () => {
    expect(evidence['ws-tcp-sse-http']).toMatchObject({
      sseRequestLine: 'GET /sse HTTP/1.1',
      sseResponseStatus: 200,
      sseAllBytesHttp: true,
      sseTransferEncoding: 'chunked',
      wsRequestLine: 'GET /ws HTTP/1.1',
      wsResponseStatus: 101,
      wsAcceptVerified: true,
      wsOnlyFramesAfter101: true,
      socketioUpgraded: true,
    });
    expect(evidence['ws-tcp-sse-http'].socketioFirstRequestLine).toMatch(/^GET \/socket\.io\/\?EIO=4&transport=polling/);
  });

  it('sse-text-only and sse-base64-costs-bandwidth: base64 is 4/3 of the bytes, rounded up to whole groups', () => {
    expect(evidence['sse-text-only']).toMatchObject({
      sseBodyValidUtf8: true,
      sseBodyControlBytes: 0,
      wsBinaryFrames: 1,
      socketioBinaryAttachments: 1,
    });
    const b = evidence['sse-base64-costs-bandwidth'];
    expect(b.base64Bytes).toBe(Math.ceil(b.binaryQuoteBytes! / 3) * 4);
    expect(b.quoteWireBytes.wsBinary).toBe(b.binaryQuoteBytes! + 2);
  });
});

describe('the committed example result', () => {
  it('matches the results schema, byte accounting included', () => {
    expect(wireResultsProblems(read('fixtures/example-wire.json'))).toEqual([]);
  });

  it('the schema check finds a broken file', () => {
    const broken = read('fixtures/example-wire.json');
    broken.transports.ws.messages[0].rows[0].length += 1;
    delete broken.evidence['sse-text-only'];
    expect(wireResultsProblems(broken).length).toBeGreaterThanOrEqual(2);
  });
});

describe('bytes a decoder cannot describe become rows, never exceptions', () => {
  /** The recorded ws session with its first quote frame (connection 1, third chunk) replaced by `frames`. */
  const withFrames = (frames: Buffer): TranscriptFile => {
    const copy = structuredClone(transcripts.ws);
    const conn = copy.connections[0]!;
    const first = Buffer.from(conn.chunks[2]!.data, 'base64');
    expect(first[0]).toBe(0x81); // a final text frame: the quote this test replaces
    conn.chunks[2] = { ...conn.chunks[2]!, data: frames.toString('base64') };
    return copy;
  };
  const quoteText = () => Buffer.from(transcripts.ws.connections[0]!.chunks[2]!.data, 'base64').subarray(2);
  const unmasked = (b0: number, payload: Buffer) => Buffer.concat([Buffer.from([b0, payload.length]), payload]);

  it('reassembles a fragmented message (FIN=0, a ping in between, continuations) and describes it on its final fragment', () => {
    const text = quoteText();
    const parts = [text.subarray(0, 10), text.subarray(10, 30), text.subarray(30)];
    const frames = Buffer.concat([
      unmasked(0x01, parts[0]!),
      unmasked(0x00, parts[1]!),
      unmasked(0x89, Buffer.alloc(0)),
      unmasked(0x80, parts[2]!),
    ]);
    const session = decodeTranscript(withFrames(frames));
    const onConn = session.messages.filter((m) => m.conn === 1 && m.dir === 's2c' && m.layer === 'ws-frame');
    const [f1, f2, ping, last] = onConn;
    expect([f1!.carries, f2!.carries, ping!.carries]).toEqual(['other', 'other', 'heartbeat']);
    expect(f2!.summary).toMatch(/fragment 2 of a fragmented message/);
    expect(last!.carries).toBe('quote-json');
    expect(last!.seqs).toEqual([JSON.parse(text.toString()).seq]);
    expect(last!.summary).toMatch(/reassembled from 3 fragments/);
    expect(session.stats.undecodedBytes).toBe(0);
    expect(session.stats.decodedQuotes).toBe(decoded.ws.stats.decodedQuotes);
  });

  it('leaves a frame claiming more than 2^53 payload bytes undecoded', () => {
    const huge = Buffer.from([0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    const session = decodeTranscript(withFrames(huge));
    const rest = session.messages.find((m) => m.conn === 1 && m.dir === 's2c' && m.layer === 'undecoded');
    expect(rest?.rows[0]?.offset).toBe(Buffer.from(transcripts.ws.connections[0]!.chunks[1]!.data, 'base64').length);
    expect(session.stats.undecodedBytes).toBeGreaterThanOrEqual(huge.length);
  });

  it('describes an engine.io open packet with bad JSON as undecoded, not a crash', () => {
    const content = describeEnginePacket(Buffer.from('0{"sid":'), 's2c', { pending: 0 });
    expect(content.carries).toBe('other');
    expect(content.items.map((i) => i.label)).toEqual(['engine.io type', 'undecoded']);
  });
});

describe('an SSE event split across HTTP chunks', () => {
  it('counts the quote with the chunk that started it, so its overhead is never negative', () => {
    const copy = structuredClone(transcripts.sse);
    const chunks = copy.connections[0]!.chunks;
    const original = Buffer.from(chunks[2]!.data, 'base64');
    const data = original.subarray(original.indexOf('\r\n') + 2, original.length - 2);
    expect(data.toString()).toMatch(/^id: 1\nevent: quote\ndata: /);
    const httpChunk = (part: Buffer) => Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]);
    chunks[2] = {
      ...chunks[2]!,
      data: Buffer.concat([httpChunk(data.subarray(0, data.length - 20)), httpChunk(data.subarray(data.length - 20))]).toString('base64'),
    };
    const session = decodeTranscript(copy);
    const onConn = session.messages.filter((m) => m.conn === 1 && m.dir === 's2c' && m.layer === 'http-chunk');
    const quote = onConn.find((m) => m.seqs[0] === 1)!;
    expect(quote.payloadBytes).toBeGreaterThan(quote.length); // the event's bytes are not all in its last chunk
    // Only this quote, so the table has to use it.
    const messages = session.messages.filter((m) => m.carries !== 'quote-json' || m === quote);
    const row = overheadTable(messages, session.connections).find((r) => r.item === 'quote (JSON)')!;
    expect(row.refs).toHaveLength(2);
    expect(row.s2cBytes).toBe(original.length + 6); // one more chunk size line and chunk CRLF
    expect(row.overheadBytes).toBeGreaterThan(0);
  });
});
