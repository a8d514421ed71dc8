/**
 * The lean load readers (clients/lean/), one suite run against every transport as the conformance
 * suite runs against the full clients: real in-process servers at rate 0, quotes published by hand,
 * so the assertions are on counts, order and values, never on timing. Then the SSE readers (HTTP/1.1
 * and HTTP/2) against hand-written servers that frame the event stream in unusual but valid ways.
 */
import { createServer, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectLean, type LeanReader } from '../clients/lean/index.ts';
import type { Quote } from '../servers/contract.ts';
import { labCertificate } from '../servers/tls.ts';
import { TRANSPORT_NAMES, TRANSPORTS, type Transport } from '../servers/transports.ts';
import { startServer, type RunningServer } from '../servers/index.ts';
import { publish, tick, waitFor } from './helpers.ts';
import { caFor } from './trust.ts';

/** What a reader hands its callbacks, in arrival order. */
function watch() {
  const quotes: { seq: number; ts: number }[] = [];
  const closes: string[] = [];
  return {
    quotes,
    closes,
    onQuote: (seq: number, ts: number) => void quotes.push({ seq, ts }),
    onClose: (reason: string) => void closes.push(reason),
  };
}

describe.each(TRANSPORT_NAMES)('%s lean reader', (transport) => {
  let server: RunningServer;
  let readers: LeanReader[];
  let ca: string | undefined;

  beforeEach(async () => {
    ca = await caFor(transport);
    server = await startServer(transport, { rate: 0, heartbeatMs: null });
    readers = [];
  });
  afterEach(async () => {
    for (const reader of readers) reader.close();
    await server.close();
  });

  /** Resolves once the server counts the reader as a client, so a quote published next reaches it. */
  const open = async () => {
    const seen = watch();
    const reader = await connectLean(transport, { url: server.url, ca, onQuote: seen.onQuote, onClose: seen.onClose });
    readers.push(reader);
    await waitFor(() => server.stats.connections === readers.length, 'the server to count the reader');
    return { reader, seen };
  };

  it('connects and receives every published quote in order with its seq and ts', async () => {
    const sent: Quote[] = [];
    server.feed.subscribe((frame) => sent.push(frame.quote));
    const { reader, seen } = await open();
    expect(typeof reader.connectMs).toBe('number');
    expect(reader.connectMs).toBeGreaterThanOrEqual(0);
    publish(server.feed, 25);
    await waitFor(() => seen.quotes.length >= 25, '25 quotes');
    expect(seen.quotes).toEqual(sent.map(({ seq, ts }) => ({ seq, ts })));
    expect(seen.quotes.map((q) => q.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  // Only the two-way transports ping on their own connection; SSE's upstream is a separate POST (autocannon's), TCP has none.
  const { upstream } = TRANSPORTS[transport];
  const twoWay = upstream === 'message' || upstream === 'ack';
  it(twoWay ? 'times round trips on its own connection' : 'has no ping: its connection is one-way', async () => {
    const { reader } = await open();
    if (!twoWay) return expect(reader.ping).toBeUndefined();
    const rtts = [await reader.ping!(), await reader.ping!(), await reader.ping!()];
    for (const rtt of rtts) expect(rtt).toBeGreaterThan(0);
  });

  it('calls onClose once when the server drops the connection', async () => {
    const { seen } = await open();
    server.drop('destroy');
    await waitFor(() => seen.closes.length > 0, 'onClose');
    await waitFor(() => server.stats.connections === 0, 'the server to let go');
    await tick(20);
    expect(seen.closes).toHaveLength(1);
  });

  it('close() ends the connection without calling onClose', async () => {
    const { reader, seen } = await open();
    reader.close();
    await waitFor(() => server.stats.connections === 0, 'the server to see the close');
    await tick(20);
    expect(seen.closes).toEqual([]);
  });
});

/** A quote as the SSE data a server would send; ts is exact in binary, so equality holds after JSON. */
const quote = (seq: number) => JSON.stringify({ seq, symbol: 'AAPL', price: 1.25, ts: 1_700_000_000_000 + seq / 4 });
const expected = (seqs: number[]) => seqs.map((seq) => ({ seq, ts: 1_700_000_000_000 + seq / 4 }));

/** Named streams, each valid per the WHATWG event-stream grammar, and the quote seqs a reader must see in them. */
const STREAMS: Record<string, { body: string; seqs: number[] }> = {
  'the lab server form': { body: `retry: 3000\n\nid: 1\nevent: quote\ndata: ${quote(1)}\n\n`, seqs: [1] },
  'fields without the space after the colon': {
    body: `event:quote\ndata:${quote(2)}\n\nid:3\nevent:quote\ndata:${quote(3)}\n\n`,
    seqs: [2, 3],
  },
  'CRLF line ends': { body: `id: 4\r\nevent: quote\r\ndata: ${quote(4)}\r\n\r\nevent: quote\r\ndata: ${quote(5)}\r\n\r\n`, seqs: [4, 5] },
  // The comment last: a CR that ends a chunk may be the first half of a CRLF, so the parser waits for the next byte.
  'CR line ends': { body: `event: quote\rdata: ${quote(6)}\r\revent: quote\rdata: ${quote(7)}\r\r: end\r`, seqs: [6, 7] },
  'multi-line data': { body: `event: quote\ndata: {"seq":8,\ndata:"ts":1700000000002,\ndata: "symbol":"AAPL"}\n\n`, seqs: [8] },
  'comments between and inside events': {
    body: `: hello\n:\n\nevent: quote\n: inside\ndata: ${quote(9)}\n:\n\n: heartbeat\n\n`,
    seqs: [9],
  },
  'id: and retry: lines and an unknown field': {
    body: `id: 10\nretry: 500\nevent: quote\nfoo: bar\ndata: ${quote(10)}\nid\n\nretry: x\n\n`,
    seqs: [10],
  },
  'events that are not quotes': {
    body: [
      `event: reset\ndata: {"lastSeen":1,"firstAvailable":5,"missed":3,"reason":"expired"}\n\n`,
      `data: ${quote(90)}\n\n`, // no event field: a `message`
      `event: quotes\ndata: ${quote(91)}\n\n`,
      `event: quote\n\n`, // no data: nothing is dispatched, and the type does not carry over
      `data: ${quote(92)}\n\n`,
      `event: quote\ndata: ${quote(11)}\n\n`,
      `data: ${quote(93)}\n\n`, // the event type of the quote before does not carry over either
    ].join(''),
    seqs: [11],
  },
  'a BOM, and an unterminated event at the end of the stream': {
    body: `\uFEFFevent: quote\ndata: ${quote(12)}\n\nevent: quote\ndata: ${quote(94)}\n`,
    seqs: [12],
  },
};

/** What writeStream uses of node:http's response and of node:http2's compatibility response. */
interface StreamResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): unknown;
  end(): unknown;
  end(text: string): unknown;
}

/** GET /<whole|bytes>/<name> writes that stream in one chunk or one byte per chunk (HTTP/2: per DATA frame), then ends it. */
async function writeStream(req: { url: string }, res: StreamResponse): Promise<void> {
  const [, mode, name] = req.url.split('/');
  const { body } = STREAMS[decodeURIComponent(name!)]!;
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  if (mode === 'whole') return void res.end(body);
  for (const byte of Buffer.from(body)) {
    res.write(Buffer.of(byte));
    await tick(); // a timer turn between writes, so the reader's socket takes each byte as its own chunk
  }
  res.end();
}

/** The event-stream readers (HTTP/1.1 and HTTP/2 share their framing code), each with a hand-written server of its version. */
const EVENT_STREAM_READERS = [
  ['sse', async () => createServer((req, res) => void writeStream({ url: req.url! }, res))],
  ['sse-h2', async () => createSecureServer(await labCertificate(), (req, res) => void writeStream(req, res))],
] as const satisfies readonly [Transport, () => Promise<Server | Http2SecureServer>][];

describe.each(EVENT_STREAM_READERS)('lean %s reader on unusual but valid streams', (transport, createRaw) => {
  let raw: Server | Http2SecureServer;
  let origin: string;

  beforeAll(async () => {
    raw = await createRaw();
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const scheme = TRANSPORTS[transport].tls === 'required' ? 'https' : 'http';
    origin = `${scheme}://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => raw.close(() => resolve())));

  describe.each(['whole', 'bytes'])('written %s', (mode) => {
    it.each(Object.keys(STREAMS))('%s', async (name) => {
      const seen = watch();
      const url = `${origin}/${mode}/${encodeURIComponent(name)}`;
      await connectLean(transport, { url, ca: await caFor(transport), onQuote: seen.onQuote, onClose: seen.onClose });
      await waitFor(() => seen.closes.length > 0, 'the end of the stream'); // every byte was read before it ends
      expect(seen.quotes).toEqual(expected(STREAMS[name]!.seqs));
      expect(seen.closes).toHaveLength(1);
    });
  });
});
