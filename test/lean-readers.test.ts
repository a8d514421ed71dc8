/**
 * The lean load readers (clients/lean/), one suite run against every transport as the conformance
 * suite runs against the full clients: real in-process servers at rate 0, quotes published by hand,
 * so the assertions are on counts, order and values, never on timing. Then the SSE readers (HTTP/1.1
 * and HTTP/2) against hand-written servers that frame the event stream in unusual but valid ways,
 * the quote reader that spares JSON.parse, and the SSE reader's own HTTP/1.1 response reading.
 */
import { createServer, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MalformedResponse, ResponseReader } from '../clients/lean/http1-response.ts';
import { connectLean, type LeanReader } from '../clients/lean/index.ts';
import { readQuote } from '../clients/lean/quote-json.ts';
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

describe.each(TRANSPORT_NAMES)('%s lean reader over TLS', (transport) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(transport, { rate: 0, heartbeatMs: null, tls: true });
  });
  afterAll(() => server.close());

  it('reads quotes trusting the lab certificate, and refuses the connection without it', async () => {
    const { cert } = await labCertificate();
    const seen = watch();
    // Twice: the second connection reuses the first one's TLS context for the same certificate.
    const readers = [await connectLean(transport, { url: server.url, ca: cert, onQuote: seen.onQuote })];
    readers.push(await connectLean(transport, { url: server.url, ca: cert, onQuote: () => {} }));
    await waitFor(() => server.stats.connections === 2, 'the server to count both readers');
    publish(server.feed, 3);
    await waitFor(() => seen.quotes.length >= 3, '3 quotes');
    expect(seen.quotes.map((q) => q.seq)).toEqual([1, 2, 3]);
    for (const reader of readers) reader.close();
    await expect(connectLean(transport, { url: server.url, onQuote: () => {} })).rejects.toThrow(/connect failed/);
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

describe('quote-json: seq and ts without JSON.parse', () => {
  afterEach(() => vi.restoreAllMocks());

  /** readQuote's result and what it handed onQuote, with the number of JSON.parse calls it made. */
  function read(text: string) {
    const parse = vi.spyOn(JSON, 'parse');
    const quotes: { seq: number; ts: number; receivedAt: number }[] = [];
    const returned = readQuote(text, 7, (seq, ts, receivedAt) => void quotes.push({ seq, ts, receivedAt }));
    const parses = parse.mock.calls.length;
    parse.mockRestore();
    return { quotes, returned, parses };
  }
  const json = (quote: Record<string, unknown>) => JSON.stringify(quote);

  it.each([
    ['a quote as encodeJson writes it', json({ seq: 17, symbol: 'AAPL', price: 187.25, ts: 1_764_465_271_234.5679 })],
    ['a padded quote', json({ seq: 18, symbol: 'MSFT', price: 410, ts: 1_764_465_271_235.25, pad: 'x'.repeat(16_384) })],
    ['seq 0 and an empty symbol and pad', json({ seq: 0, symbol: '', price: 0, ts: 0, pad: '' })],
    ['a symbol outside ASCII', json({ seq: 19, symbol: 'Äé€😀', price: 1, ts: 2 })],
  ])('reads %s without JSON.parse', (_name, text) => {
    const { quotes, returned, parses } = read(text);
    const quote = JSON.parse(text) as Quote;
    expect(quotes).toEqual([{ seq: quote.seq, ts: quote.ts, receivedAt: 7 }]);
    expect(returned).toBeUndefined();
    expect(parses).toBe(0);
  });

  // Every number form JSON.stringify writes: integers, fractions, negatives, exponents both ways, the extremes.
  const NUMBERS = [0, -0, 1, -1, 0.1, -2.5, 1_764_465_271_234.5679, 2 ** 53 + 2, 1e21, -1.5e300, 1.2345e-7, 5e-324, Number.MAX_VALUE];
  it.each(NUMBERS)('reads %d as seq, price and ts exactly as JSON.parse does', (n) => {
    const text = json({ seq: n, symbol: 'NVDA', price: n, ts: n });
    const { quotes, parses } = read(text);
    expect(parses).toBe(0);
    expect(quotes).toEqual([{ seq: JSON.parse(text).seq, ts: JSON.parse(text).ts, receivedAt: 7 }]);
  });

  it.each([
    ['an escaped quote in the symbol', json({ seq: 20, symbol: 'A"B', price: 1, ts: 2 })],
    ['a backslash in the pad', json({ seq: 21, symbol: 'A', price: 1, ts: 2, pad: 'x\\x' })],
    ['a control character in the pad', json({ seq: 22, symbol: 'A', price: 1, ts: 2, pad: 'x\nx' })],
    ['keys in another order', '{"ts":2,"seq":23,"symbol":"A","price":1}'],
    ['spaces', '{"seq": 24, "symbol": "A", "price": 1, "ts": 2}'],
    ['a key more', '{"seq":25,"symbol":"A","price":1,"ts":2,"pad":"x","more":1}'],
  ])('falls back to JSON.parse for %s and reads the same fields', (_name, text) => {
    const { quotes, parses } = read(text);
    const quote = JSON.parse(text) as Quote;
    expect(parses).toBe(1);
    expect(quotes).toEqual([{ seq: quote.seq, ts: quote.ts, receivedAt: 7 }]);
  });

  it('counts a pad holding a raw control character, the one text it reads that JSON.parse refuses', () => {
    const text = `${json({ seq: 28, symbol: 'A', price: 1, ts: 2, pad: 'x' }).slice(0, -3)}x\u0001x"}`;
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(read(text)).toMatchObject({ quotes: [{ seq: 28, ts: 2, receivedAt: 7 }], parses: 0 });
  });

  it('returns any other JSON message parsed, without calling onQuote', () => {
    for (const text of [
      '{"type":"pong","t":1,"serverTs":2}',
      '{"error":{"code":"LAB_CONNECTION_CAP"}}',
      '{"seq":"1","ts":2}',
      '[1]',
      'null',
    ]) {
      const { quotes, returned } = read(text);
      expect(quotes).toEqual([]);
      expect(returned).toEqual(JSON.parse(text));
    }
  });

  it('throws on malformed JSON, however close to a quote', () => {
    const quote = json({ seq: 26, symbol: 'A', price: 1, ts: 2 });
    for (const text of [quote.slice(0, -1), `${quote}}`, quote.replace('"ts":2', '"ts":2.'), quote.replace('26', '026'), ''])
      expect(() => read(text), text).toThrow(SyntaxError);
  });

  it('accepts no mutated quote that JSON.parse would read differently or refuse', () => {
    const quote = json({ seq: 27, symbol: 'AMD', price: 1.5, ts: 1_764_465_271_234.5679, pad: 'xx' });
    const alphabet = '{}[]":,.-+eE0123456789\\ xp';
    let random = 1;
    const next = (n: number) => (random = (random * 48_271) % 2_147_483_647) % n;
    for (let i = 0; i < 5000; i++) {
      const at = next(quote.length);
      const char = alphabet[next(alphabet.length)]!;
      const kind = next(3);
      const text =
        kind === 0 ? quote.slice(0, at) + quote.slice(at + 1) : quote.slice(0, at) + char + quote.slice(at + (kind === 1 ? 0 : 1));
      let expected: unknown;
      try {
        expected = JSON.parse(text);
      } catch {
        expect(() => read(text), text).toThrow(SyntaxError);
        continue;
      }
      const { quotes, returned } = read(text);
      const { seq, ts } = (expected ?? {}) as { seq?: unknown; ts?: unknown };
      if (typeof seq === 'number' && typeof ts === 'number') expect(quotes, text).toEqual([{ seq, ts, receivedAt: 7 }]);
      else expect(returned, text).toEqual(expected);
    }
  });
});

describe('http1-response: the SSE reader’s HTTP/1.1 response', () => {
  /** Pushes `response` in pieces of `size` bytes (0: whole); returns the status, the body, whether it ended by its framing. */
  function readIn(response: string, size = 0) {
    const pieces: Buffer[] = [];
    const reader = new ResponseReader((piece) => pieces.push(Buffer.from(piece)));
    const bytes = Buffer.from(response);
    const step = size || bytes.length;
    for (let i = 0; i < bytes.length; i += step) reader.push(bytes.subarray(i, i + step));
    return { status: reader.status, body: Buffer.concat(pieces).toString(), done: reader.done };
  }
  const head = (...fields: string[]) => `HTTP/1.1 200 OK\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n`;
  const chunked =
    `${head('Content-Type: text/event-stream', 'Transfer-Encoding: chunked')}` +
    '5\r\nhello\r\n1;ext=1\r\n \r\n0000B\r\nworld! 😀\r\n0\r\nX-Trailer: 1\r\n\r\n';

  it.each([0, 1, 2, 3, 7])('reads a chunked body with extensions and trailer fields, pushed %i bytes at a time (0: whole)', (size) => {
    expect(readIn(chunked, size)).toEqual({ status: 200, body: 'hello world! 😀', done: true });
  });

  it('reads a body of Content-Length, and one delimited by the close', () => {
    expect(readIn(`${head('Content-Length: 5')}hello`, 2)).toEqual({ status: 200, body: 'hello', done: true });
    expect(readIn(`${head('Content-Length: 0')}`)).toEqual({ status: 200, body: '', done: true });
    expect(readIn(`${head('Content-Type: text/event-stream')}data: 1\n\n`, 3)).toEqual({ status: 200, body: 'data: 1\n\n', done: false });
    // Transfer-Encoding wins over Content-Length; a last coding other than chunked means the close ends it.
    expect(readIn(`${head('Content-Length: 99', 'Transfer-Encoding: gzip, chunked')}2\r\nhi\r\n0\r\n\r\n`)).toMatchObject({ body: 'hi' });
    expect(readIn(`${head('Transfer-Encoding: gzip')}raw`)).toEqual({ status: 200, body: 'raw', done: false });
  });

  it('takes bare LF line ends, as node:http does, and reads the status of any answer', () => {
    expect(readIn('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nhi\n0\n\n', 1)).toEqual({ status: 200, body: 'hi', done: true });
    expect(readIn('HTTP/1.0 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}').status).toBe(503);
  });

  it.each([
    ['no status line', 'hello\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n'],
    ['a bad Content-Length', `${head('Content-Length: 1x')}`],
    ['two Content-Lengths that differ', `${head('Content-Length: 1', 'Content-Length: 2')}`],
    ['a chunk size that is not hex', `${head('Transfer-Encoding: chunked')}zz\r\n`],
    ['chunk data longer than its size', `${head('Transfer-Encoding: chunked')}2\r\nhello\r\n`],
    ['a chunk size of more than 12 hex digits', `${head('Transfer-Encoding: chunked')}1000000000000\r\n`],
    ['a head without end', `HTTP/1.1 200 OK\r\nX: ${'y'.repeat(70_000)}`],
  ])('refuses %s', (_name, response) => {
    expect(() => readIn(response)).toThrow(MalformedResponse);
    expect(() => readIn(response, 1)).toThrow(MalformedResponse);
  });
});

describe('lean sse reader on raw HTTP/1.1 answers', () => {
  let raw: NetServer;
  let url: string;
  /** What the server writes to the next connection, then whether it closes. */
  let answer: { text: string; close: boolean };

  beforeAll(async () => {
    raw = createNetServer((socket) => {
      socket.once('data', () => socket.write(answer.text, () => answer.close && socket.end()));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/sse`;
  });
  afterAll(() => new Promise<void>((resolve) => raw.close(() => resolve())));

  it('reads a stream delimited by the close, and calls onClose once at its end', async () => {
    answer = { text: `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nevent: quote\ndata: ${quote(1)}\n\n`, close: true };
    const seen = watch();
    await connectLean('sse', { url, onQuote: seen.onQuote, onClose: seen.onClose });
    await waitFor(() => seen.closes.length > 0, 'the end of the stream');
    expect(seen.quotes).toEqual(expected([1]));
    expect(seen.closes).toHaveLength(1);
  });

  it.each([
    ['a status other than 200', 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', false, 'HTTP_503'],
    ['a malformed answer', 'SSH-2.0-OpenSSH\r\n\r\n', false, 'HTTP_MALFORMED'],
    ['a close before the head', 'HTTP/1.1 200 OK\r\n', true, 'ECONNRESET'],
  ])('fails to connect on %s with its code', async (_name, text, close, code) => {
    answer = { text, close };
    await expect(connectLean('sse', { url, onQuote: () => {} })).rejects.toMatchObject({ code });
  });
});
