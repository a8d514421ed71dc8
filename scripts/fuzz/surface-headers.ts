/**
 * Request headers: Last-Event-ID on the SSE stream (with and without ?lastEventId=) and Origin
 * on every transport (SSE stream, preflight and ping, over HTTP/1.1 and HTTP/2; the ws upgrade;
 * socket.io polling and WebSocket handshakes).
 *
 * Oracles: the stream resumes exactly where the header (or, when the header is absent or empty,
 * the query) says; an Origin passes exactly when node's reading of the header (HTTP/1.1: values
 * trimmed; HTTP/2: a value edged with whitespace or holding a control byte dropped; repeats joined
 * with ", ") is on the allowlist, and an allowed one is reflected, never `*`.
 */
import fc from 'fast-check';
import { DEMO_ORIGINS } from '../../servers/options.ts';
import { BROWSER_TRANSPORTS, TRANSPORTS, type TransportSpec } from '../../servers/transports.ts';
import { closeSession, openSid, packets, POLLING, WEBSOCKET } from '../lib/raw/engineio.ts';
import { queryEncode, type Header } from '../lib/raw/http.ts';
import { acceptKey, upgradeHeaders } from '../lib/raw/websocket.ts';
import { headerText, junk, point, pointText, type Point } from './arbitraries.ts';
import { classifyHttp, expectLab, jsonBody, showOutcome, violation, type HttpOutcome } from './classify.ts';
import { exchangeWith, valuesAsRead } from './exchange.ts';
import type { LiveServer } from './live.ts';
import { checkResume, firstQuoteArrived, parseSeq, sseStart } from './resume.ts';
import { surface, transportsWhere, type AnySurface } from './surface.ts';

// Last-Event-ID ---------------------------------------------------------------------------------

interface LastEventIdInput {
  /** Last-Event-ID headers sent (0, 1 or a repeat). */
  headers: Point[];
  query: Point | null;
}

async function sendLastEventId(input: LastEventIdInput, server: LiveServer): Promise<void> {
  const { latestSeq } = await server.stats();
  const headerValues = input.headers.map((p) => pointText(p, latestSeq));
  const queryValue = input.query && pointText(input.query, latestSeq);
  const target = `/sse${queryValue === null ? '' : `?lastEventId=${queryEncode(queryValue)}`}`;
  const lastEventIds = headerValues.map((v): Header => ['Last-Event-ID', v]);
  const headers: Header[] = [['Accept', 'text/event-stream'], ...lastEventIds];
  const answer = await exchangeWith(server, 'GET', target, headers, undefined, { enough: firstQuoteArrived });
  if (answer === null) return; // HTTP/2 would not carry the header value (a NUL, a CR, a space at its end)
  const outcome = classifyHttp(answer, { statuses: [200, 400] });
  if (outcome.kind === 'response' && outcome.said.by === 'bare') return; // node refused a header byte
  if (outcome.kind !== 'response' || outcome.response.status !== 200) violation(`GET ${target} was refused: ${showOutcome(outcome)}`);
  // The contract: an empty (or absent) header says nothing, so the query counts.
  const header = valuesAsRead(server, headerValues).join(', ');
  const raw = header || new URL(target, 'http://lab.invalid').searchParams.get('lastEventId') || undefined;
  const what = `Last-Event-ID ${JSON.stringify(header)}, ${target}`;
  checkResume(
    sseStart(outcome.response, (data) => (JSON.parse(data) as { seq: number }).seq, what),
    parseSeq(raw),
    latestSeq,
    what,
  );
}

const lastEventId: fc.Arbitrary<LastEventIdInput> = fc.record({
  headers: fc.oneof(fc.array(point, { maxLength: 2 }), fc.constant<Point[]>([{ text: '' }])),
  query: fc.option(point, { nil: null }),
});

// Origin ----------------------------------------------------------------------------------------

const originValue: fc.Arbitrary<string> = headerText(
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...DEMO_ORIGINS) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'http://127.0.0.1:8080/',
        'HTTP://127.0.0.1:8080',
        'http://127.0.0.1:8081',
        ' http://localhost:8080 ',
        'http://localhost:8080\t',
        'http://127.0.0.1:80800',
        'https://127.0.0.1:8080',
        'null',
        '',
        '*',
        'file://',
        'http://127.0.0.1:8080, http://localhost:8080',
        'http://evil.example',
        'http://127.0.0.1:8080.evil.example',
        'http://ü.example',
        'http://127.0.0.1:8080\u0000',
      ),
    },
    { weight: 2, arbitrary: junk(24) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 8000 }).map((n) => `http://${'a'.repeat(n)}.example`) },
  ),
);

type OriginTarget = 'sse-stream' | 'sse-preflight' | 'sse-ping' | 'ws' | 'socketio-polling' | 'socketio-websocket';

interface OriginInput {
  origins: string[];
  target: OriginTarget;
}

/** Whether the server must let these Origin headers through: none at all, or node's joined reading on the list. */
const originAllowed = (read: readonly string[]): boolean => read.length === 0 || DEMO_ORIGINS.includes(read.join(', '));

/** The request for a target: method, path, headers (without Host, which exchangeWith adds for HTTP/1.1) and body. */
function requestFor(target: OriginTarget, port: number, origins: readonly string[]) {
  const base: Header[] = origins.map((o): Header => ['Origin', o]);
  const { key, headers: upgrade } = upgradeHeaders(port);
  const withOrigin = [...upgrade.filter(([name]) => name !== 'Host'), ...base];
  const sent = (method: string, path: string, headers: Header[], body?: string) => ({ method, path, headers, body, key });
  switch (target) {
    case 'sse-stream':
      return sent('GET', '/sse', base);
    case 'sse-preflight':
      return sent('OPTIONS', '/sse/ping', [
        ...base,
        ['Access-Control-Request-Method', 'POST'],
        ['Access-Control-Request-Headers', 'content-type'],
      ]);
    case 'sse-ping':
      return sent('POST', '/sse/ping', [...base, ['Content-Type', 'application/json'], ['Content-Length', '7']], '{"t":1}');
    case 'ws':
      return sent('GET', '/ws', withOrigin);
    case 'socketio-polling':
      return sent('GET', POLLING, base);
    case 'socketio-websocket':
      return sent('GET', WEBSOCKET, withOrigin);
  }
}

const ALLOWED_STATUS: Record<OriginTarget, number> = {
  'sse-stream': 200,
  'sse-preflight': 204,
  'sse-ping': 200,
  ws: 101,
  'socketio-polling': 200,
  'socketio-websocket': 101,
};

function checkAllowed(outcome: HttpOutcome, input: OriginInput, read: readonly string[], key: string): void {
  const what = `Origin ${JSON.stringify(input.origins)} on ${input.target}`;
  if (outcome.kind !== 'response' || outcome.response.status !== ALLOWED_STATUS[input.target]) {
    violation(`${what} is allowed but got ${showOutcome(outcome)}`);
  }
  const { headers } = outcome.response;
  if (input.target.startsWith('sse') && read.length > 0 && headers['access-control-allow-origin'] !== read.join(', ')) {
    violation(`${what}: Access-Control-Allow-Origin is ${JSON.stringify(headers['access-control-allow-origin'])}`);
  }
  if (headers['access-control-allow-origin'] === '*') violation(`${what}: Access-Control-Allow-Origin is *`);
  if (outcome.response.status === 101 && headers['sec-websocket-accept'] !== acceptKey(key))
    violation(`${what}: wrong Sec-WebSocket-Accept`);
  if (input.target === 'sse-ping' && (jsonBody(outcome.response) as { type?: unknown }).type !== 'pong') violation(`${what}: no pong`);
}

function checkRefused(outcome: HttpOutcome, input: OriginInput): void {
  const what = `Origin ${JSON.stringify(input.origins)} on ${input.target} is not on the allowlist`;
  if (!input.target.startsWith('socketio')) return expectLab(outcome, 403, 'LAB_ORIGIN_REFUSED', what, false);
  // engine.io refuses a polling handshake with 403 and its JSON; an upgrade always with its own 400 and plain text.
  const statuses = input.target === 'socketio-polling' ? [403] : [400, 403];
  const named = outcome.kind === 'response' && outcome.response.body.toString('utf8').includes('LAB_ORIGIN_REFUSED');
  if (outcome.kind !== 'response' || !statuses.includes(outcome.response.status) || !named) {
    violation(`${what}: expected ${statuses.join(' or ')} naming LAB_ORIGIN_REFUSED, got ${showOutcome(outcome)}`);
  }
}

async function sendOrigin(input: OriginInput, server: LiveServer): Promise<void> {
  const { method, path, headers, body, key } = requestFor(input.target, server.httpPort, input.origins);
  const answer = await exchangeWith(server, method, path, headers, body, {
    enough: (r) => r.status === 101 || r.headers['content-type']?.startsWith('text/event-stream') === true,
  });
  if (answer === null) return; // HTTP/2 would not carry the header value
  const outcome = classifyHttp(answer, { statuses: [101, 200, 204, 400, 403], engineIo: true, upgrade: true });
  if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
  const sid = input.target === 'socketio-polling' && outcome.kind === 'response' && openSid(packets(outcome.response)[0]);
  if (sid) await closeSession(server.httpPort, sid);
  const read = valuesAsRead(server, input.origins);
  if (originAllowed(read)) checkAllowed(outcome, input, read, key);
  else checkRefused(outcome, input);
}

/** Where a browser API's requests carry an Origin: an EventSource server's stream and upstream, an upgrade, a handshake. */
const TARGETS_OF: Record<NonNullable<TransportSpec['browserApi']>, readonly OriginTarget[]> = {
  EventSource: ['sse-stream', 'sse-preflight', 'sse-ping'],
  WebSocket: ['ws'],
  'socket.io': ['socketio-polling', 'socketio-websocket'],
};

export const HEADER_SURFACES: AnySurface[] = [
  ...transportsWhere((s) => s.resume === 'last-event-id').map((transport) =>
    surface<LastEventIdInput>({ name: `last-event-id:${transport}`, transport, arbitrary: lastEventId, runs: 150, send: sendLastEventId }),
  ),
  // Origin is what a browser sends: every transport a browser can open.
  ...BROWSER_TRANSPORTS.map((transport) =>
    surface<OriginInput>({
      name: `origin:${transport}`,
      transport,
      arbitrary: fc.record({
        origins: fc.array(originValue, { maxLength: 2 }),
        target: fc.constantFrom(...TARGETS_OF[TRANSPORTS[transport].browserApi]),
      }),
      runs: 300,
      send: sendOrigin,
    }),
  ),
];
