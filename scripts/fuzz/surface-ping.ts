/**
 * SSE's upstream path, POST /sse/ping, over HTTP/1.1 and HTTP/2: header combinations
 * (Content-Type, Content-Encoding and a body really encoded that way or not, Content-Length exact,
 * absent, short, long, chunked, both) and bodies (JSON-ish values with `t` of every type, junk,
 * big, deeply nested). Over HTTP/2 a body without Content-Length is well framed (its DATA frames end
 * the stream), chunked framing does not exist (no Transfer-Encoding), and a lying length is the HTTP/2
 * layer's to reset.
 *
 * Oracles: a well-framed JSON body whose `t` is a number gets its pong with that t; any other
 * well-framed JSON body 400 LAB_BAD_MESSAGE; over 64 KiB 413 LAB_PAYLOAD_TOO_LARGE; a JSON
 * Content-Type with an unknown Content-Encoding 415 LAB_UNSUPPORTED_ENCODING.
 */
import fc from 'fast-check';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Header } from '../lib/raw/http.ts';
import { deepJson, jsonField, jsonText, junk, trapJson } from './arbitraries.ts';
import { classifyHttp, expectLab, jsonBody, showOutcome, violation, type HttpOutcome } from './classify.ts';
import { speaksHttp2 } from '../../servers/transports.ts';
import { exchangeWith, valuesAsRead } from './exchange.ts';
import type { LiveServer } from './live.ts';
import { surface, transportsWhere, type AnySurface } from './surface.ts';

/** The servers' default limit on a client message (maxPayloadBytes). */
const MAX_BODY = 64 * 1024;
const STATUSES = [200, 400, 413, 415];

/** What the contract says a well-framed JSON request with this body gets. */
function expectedPong(body: Buffer): { status: 200; t: unknown } | { status: 400 | 413 } {
  if (body.length > MAX_BODY) return { status: 413 };
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  // body-parser's strict mode: only an object or an array, after JSON whitespace.
  if (!/^[\x20\x09\x0a\x0d]*[[{]/.test(text)) return { status: 400 };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { status: 400 };
  }
  const t = (value as { t?: unknown } | null)?.t;
  return typeof t === 'number' ? { status: 200, t: JSON.parse(JSON.stringify(t)) as unknown } : { status: 400 };
}

function checkPong(outcome: HttpOutcome, body: Buffer, what: string): void {
  const expected = expectedPong(body);
  if (expected.status === 413) return expectLab(outcome, 413, 'LAB_PAYLOAD_TOO_LARGE', what, false);
  if (!('t' in expected)) return expectLab(outcome, 400, 'LAB_BAD_MESSAGE', what, false);
  if (outcome.kind !== 'response' || outcome.response.status !== 200) violation(`${what}: expected a pong, got ${showOutcome(outcome)}`);
  const pong = jsonBody(outcome.response) as { type?: unknown; t?: unknown; serverTs?: unknown };
  if (pong.type !== 'pong' || JSON.stringify(pong.t) !== JSON.stringify(expected.t) || typeof pong.serverTs !== 'number') {
    violation(`${what}: pong ${JSON.stringify(pong)} does not carry t ${JSON.stringify(expected.t)}`);
  }
}

const ping = (server: LiveServer, headers: readonly Header[], body: Buffer, endAfter = false) =>
  exchangeWith(server, 'POST', '/sse/ping', [['Connection', 'close'], ...headers], body, { endAfter });

// Bodies ----------------------------------------------------------------------------------------

const bodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: jsonField.map((t) => `{"t":${t}}`) },
  { weight: 2, arbitrary: jsonText },
  { weight: 1, arbitrary: trapJson.map((trap) => `{"t":1,"x":${trap}}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"t":1}}',
      '{"constructor":{"prototype":{"t":1}}}',
      '{"t":1,"t":"x"}',
      '{"t":"x","t":2}',
      '\uFEFF{"t":3}',
      ' \n{"t":4}',
    ),
  },
  { weight: 2, arbitrary: junk(40) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 100, max: 200_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'))
      .map(([d, k]) => deepJson(d, k)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: MAX_BODY - 64, max: MAX_BODY + 64 })
      .map((size) => `{"t":1,"pad":"${'x'.repeat(Math.max(0, size - 17))}"}`),
  },
);

async function sendBody(text: string, server: LiveServer): Promise<void> {
  const body = Buffer.from(text);
  const answer = await ping(
    server,
    [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(body.length)],
    ],
    body,
  );
  if (answer === null) violation(`POST /sse/ping with ${body.length} bytes could not be sent over HTTP/2`);
  checkPong(classifyHttp(answer, { statuses: STATUSES }), body, `POST /sse/ping with ${body.length} bytes`);
}

// Header combinations ---------------------------------------------------------------------------

type Coding = 'identity' | 'gzip' | 'deflate' | 'br' | 'junk';
type Framing = 'exact' | 'absent' | 'chunked' | 'short' | 'long' | 'both';

interface PingHeadersInput {
  contentType: string | null;
  contentEncoding: string | null;
  /** How the body's bytes really are encoded. */
  coding: Coding;
  framing: Framing;
  body: string;
}

/** Content-Types body-parser surely reads as JSON (well-formed, UTF-8). */
const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'];
const SUPPORTED_CODINGS = ['', 'identity', 'gzip', 'deflate', 'br'];

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(...JSON_TYPES),
    fc.constantFrom(
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/json; charset=utf-foo',
      'application/json;charset="utf-8"',
    ),
    fc.constantFrom(
      'text/plain',
      'application/*',
      '*/*',
      'application/json, text/plain',
      'application/vnd.api+json',
      'multipart/form-data; boundary=x',
      '',
    ),
    junk(12).map((t) => t.replace(/[\r\n]/g, '')),
  ),
  { nil: null },
);
const contentEncoding = fc.option(
  fc.oneof(
    fc.constantFrom(...SUPPORTED_CODINGS, 'GZIP', ' gzip '),
    fc.constantFrom('zstd', 'compress', 'x-gzip', 'gzip, gzip', 'gzip,identity', 'foo', 'identity;q=1'),
    junk(8).map((t) => t.replace(/[\r\n]/g, '')),
  ),
  { nil: null },
);

function encode(body: Buffer, coding: Coding): Buffer {
  switch (coding) {
    case 'identity':
      return body;
    case 'gzip':
      return gzipSync(body);
    case 'deflate':
      return deflateSync(body);
    case 'br':
      return brotliCompressSync(body);
    case 'junk':
      return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), body]);
  }
}

function framed(bytes: Buffer, framing: Framing): { headers: Header[]; body: Buffer; endAfter: boolean } {
  const length = (n: number): Header => ['Content-Length', String(n)];
  const chunked = Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n0\r\n\r\n')]);
  switch (framing) {
    case 'exact':
      return { headers: [length(bytes.length)], body: bytes, endAfter: false };
    case 'absent':
      return { headers: [], body: bytes, endAfter: false };
    case 'chunked':
      return { headers: [['Transfer-Encoding', 'chunked']], body: chunked, endAfter: false };
    case 'short':
      return { headers: [length(Math.max(0, bytes.length - 3))], body: bytes, endAfter: false };
    case 'long':
      // The server waits for bytes that never come, until the client ends its side: an answer or a close must follow.
      return { headers: [length(bytes.length + 10)], body: bytes, endAfter: true };
    case 'both':
      return { headers: [length(chunked.length), ['Transfer-Encoding', 'chunked']], body: chunked, endAfter: false };
  }
}

async function sendPingHeaders(input: PingHeadersInput, server: LiveServer): Promise<void> {
  const plain = Buffer.from(input.body);
  const { headers, body, endAfter } = framed(encode(plain, input.coding), input.framing);
  if (input.contentType !== null) headers.push(['Content-Type', input.contentType]);
  if (input.contentEncoding !== null) headers.push(['Content-Encoding', input.contentEncoding]);
  const answer = await ping(server, headers, body, endAfter);
  // HTTP/2: Transfer-Encoding is not sent (node's client refuses it), a lying Content-Length is reset by the HTTP/2 layer.
  if (answer === null) return;
  const outcome = classifyHttp(answer, { statuses: STATUSES });
  if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
  const what = `POST /sse/ping ${JSON.stringify(headers)}`;
  // HTTP/1.1 frames a body by its length or by chunks; HTTP/2 by its length or by DATA frames alone, a length absent.
  const wellFramed = input.framing === 'exact' || input.framing === (speaksHttp2(server.ready.transport) ? 'absent' : 'chunked');
  const isJson = input.contentType !== null && JSON_TYPES.includes(input.contentType);
  // As the server reads it: over HTTP/2 a value edged with whitespace never arrives, so the body counts as unencoded.
  const [declared = ''] = valuesAsRead(server, input.contentEncoding === null ? [] : [input.contentEncoding]);
  const encoding = declared.toLowerCase();
  if (!wellFramed || !isJson || encoding === 'zstd') return; // defined answers only: which one depends on the parser's order
  if (!SUPPORTED_CODINGS.includes(encoding))
    return expectLab(outcome, 415, 'LAB_UNSUPPORTED_ENCODING', `${what}: unknown Content-Encoding`, false);
  const matches = (encoding || 'identity') === input.coding;
  if (matches) checkPong(outcome, plain, what);
  else if (outcome.kind === 'response' && outcome.response.status === 200)
    violation(`${what}: a body not encoded as declared was answered 200`);
}

const pingHeaders: fc.Arbitrary<PingHeadersInput> = fc.record({
  contentType,
  contentEncoding,
  coding: fc.constantFrom<Coding>('identity', 'gzip', 'deflate', 'br', 'junk'),
  framing: fc.constantFrom<Framing>('exact', 'exact', 'chunked', 'absent', 'short', 'long', 'both'),
  body: fc.oneof(
    fc.constant('{"t":1}'),
    jsonField.map((t) => `{"t":${t}}`),
    junk(16),
  ),
});

/** Every server whose upstream is a POST beside the stream (POST /sse/ping). */
export const PING_SURFACES: AnySurface[] = transportsWhere((s) => s.upstream === 'post').flatMap((transport) => [
  surface<PingHeadersInput>({ name: `ping-headers:${transport}`, transport, arbitrary: pingHeaders, runs: 300, send: sendPingHeaders }),
  surface<string>({ name: `sse-body:${transport}`, transport, arbitrary: bodyText, runs: 300, send: sendBody }),
]);
