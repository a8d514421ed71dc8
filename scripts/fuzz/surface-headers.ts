/**
 * Request headers: Last-Event-ID on the SSE stream (with and without ?lastEventId=) and Origin
 * on all three transports (SSE stream, preflight and ping; the ws upgrade; socket.io polling and
 * WebSocket handshakes).
 *
 * Oracles: the stream resumes exactly where the header (or, when the header is absent or empty,
 * the query) says; an Origin passes exactly when node's reading of the header (values trimmed,
 * repeats joined with ", ") is on the allowlist, and an allowed one is reflected, never `*`.
 */
import fc from 'fast-check';
import { DEMO_ORIGINS } from '../../servers/options.ts';
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { closeSession, openSid, packets, POLLING, WEBSOCKET } from '../lib/raw/engineio.ts';
import { host, nodeValue, queryEncode, request, send, type Header } from '../lib/raw/http.ts';
import { acceptKey, upgradeHeaders } from '../lib/raw/websocket.ts';
import { headerText, junk, point, pointText, type Point } from './arbitraries.ts';
import { classifyHttp, expectLab, jsonBody, showOutcome, violation, type HttpOutcome } from './classify.ts';
import type { LiveServer } from './live.ts';
import { checkResume, firstQuoteArrived, parseSeq, sseStart } from './resume.ts';
import { surface, type AnySurface } from './surface.ts';

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
  const headers: Header[] = [host(server.httpPort), ['Accept', 'text/event-stream'], ...lastEventIds];
  const answer = await send(server.httpPort, request('GET', target, headers), ANSWER_MS, { enough: firstQuoteArrived });
  const outcome = classifyHttp(answer, { statuses: [200, 400] });
  if (outcome.kind === 'response' && outcome.said.by === 'bare') return; // node refused a header byte
  if (outcome.kind !== 'response' || outcome.response.status !== 200) violation(`GET ${target} was refused: ${showOutcome(outcome)}`);
  // The contract: an empty (or absent) header says nothing, so the query counts.
  const header = headerValues.length === 0 ? '' : headerValues.map(nodeValue).join(', ');
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
const originAllowed = (origins: readonly string[]): boolean =>
  origins.length === 0 || DEMO_ORIGINS.includes(origins.map(nodeValue).join(', '));

function requestFor(target: OriginTarget, port: number, origins: readonly string[]): { bytes: Buffer; key: string } {
  const base: Header[] = [host(port), ...origins.map((o): Header => ['Origin', o])];
  const { key, headers: upgrade } = upgradeHeaders(port);
  const withOrigin = [...upgrade, ...origins.map((o): Header => ['Origin', o])];
  switch (target) {
    case 'sse-stream':
      return { bytes: request('GET', '/sse', base), key };
    case 'sse-preflight':
      return {
        bytes: request('OPTIONS', '/sse/ping', [
          ...base,
          ['Access-Control-Request-Method', 'POST'],
          ['Access-Control-Request-Headers', 'content-type'],
        ]),
        key,
      };
    case 'sse-ping':
      return {
        bytes: request('POST', '/sse/ping', [...base, ['Content-Type', 'application/json'], ['Content-Length', '7']], '{"t":1}'),
        key,
      };
    case 'ws':
      return { bytes: request('GET', '/ws', withOrigin), key };
    case 'socketio-polling':
      return { bytes: request('GET', POLLING, base), key };
    case 'socketio-websocket':
      return { bytes: request('GET', WEBSOCKET, withOrigin), key };
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

function checkAllowed(outcome: HttpOutcome, input: OriginInput, key: string): void {
  const what = `Origin ${JSON.stringify(input.origins)} on ${input.target}`;
  if (outcome.kind !== 'response' || outcome.response.status !== ALLOWED_STATUS[input.target]) {
    violation(`${what} is allowed but got ${showOutcome(outcome)}`);
  }
  const { headers } = outcome.response;
  if (
    input.target.startsWith('sse') &&
    input.origins.length > 0 &&
    headers['access-control-allow-origin'] !== nodeValue(input.origins[0]!)
  ) {
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
  const { bytes, key } = requestFor(input.target, server.httpPort, input.origins);
  const answer = await send(server.httpPort, bytes, ANSWER_MS, {
    enough: (r) => r.status === 101 || r.headers['content-type']?.startsWith('text/event-stream') === true,
  });
  const outcome = classifyHttp(answer, { statuses: [101, 200, 204, 400, 403], engineIo: true, upgrade: true });
  if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
  const sid = input.target === 'socketio-polling' && outcome.kind === 'response' && openSid(packets(outcome.response)[0]);
  if (sid) await closeSession(server.httpPort, sid);
  if (originAllowed(input.origins)) checkAllowed(outcome, input, key);
  else checkRefused(outcome, input);
}

const TARGETS_OF: Record<'sse' | 'ws' | 'socketio', readonly OriginTarget[]> = {
  sse: ['sse-stream', 'sse-preflight', 'sse-ping'],
  ws: ['ws'],
  socketio: ['socketio-polling', 'socketio-websocket'],
};

export const HEADER_SURFACES: AnySurface[] = [
  surface<LastEventIdInput>({ name: 'last-event-id:sse', transport: 'sse', arbitrary: lastEventId, runs: 150, send: sendLastEventId }),
  ...(['sse', 'ws', 'socketio'] as const).map((transport) =>
    surface<OriginInput>({
      name: `origin:${transport}`,
      transport,
      arbitrary: fc.record({ origins: fc.array(originValue, { maxLength: 2 }), target: fc.constantFrom(...TARGETS_OF[transport]) }),
      runs: 300,
      send: sendOrigin,
    }),
  ),
];
