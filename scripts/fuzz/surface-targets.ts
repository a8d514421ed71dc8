/**
 * Request targets: raw request lines with odd paths (`//`, `/\`), absolute-form with bad ports,
 * `*`, percent escapes, unicode and huge targets, on every HTTP side: SSE, the ws server's plain
 * HTTP and its upgrade path, socket.io's, and the TCP floor's side /stats port; and as the `:path`
 * of an HTTP/2 request on SSE over HTTP/2 (whose HTTP/2 layer resets what is not a path or `*`).
 *
 * Oracle: a target `new URL(target, base)` cannot parse gets 400 LAB_BAD_REQUEST (or node's own
 * bare 400 when its parser refuses the line first); on the floor's side port any other path than
 * /stats is 404 LAB_NOT_FOUND; a 101 only for /ws, with the right accept key.
 */
import fc from 'fast-check';
import type { Transport } from '../../servers/transports.ts';
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { request, send, type Header, type HttpResponse } from '../lib/raw/http.ts';
import { acceptKey, upgradeHeaders } from '../lib/raw/websocket.ts';
import { junk, percentEscape } from './arbitraries.ts';
import { classifyHttp, expectLab, jsonBody, violation, type HttpOutcome } from './classify.ts';
import { exchangeWith, targetAsRead } from './exchange.ts';
import type { LiveServer } from './live.ts';
import { surface, type AnySurface } from './surface.ts';

interface TargetInput {
  method: string;
  target: string;
}

const hostname = fc.constantFrom('a', 'x', '127.0.0.1', 'localhost', '[::1]', '[', '[::1', 'a b', '', '%41', 'ü', '..', 'a@b', 'u:p@a');
const port = fc.oneof(
  fc.constantFrom('', ':', ':0', ':80', ':65535', ':65536', ':99999', ':-1', ':abc', ':1e3', ': 80'),
  fc.nat().map((n) => `:${n}`),
);
const segment = fc.oneof(
  fc.constantFrom('sse', 'ws', 'stats', 'socket.io', 'ping', '', '.', '..', ';', '@', ':', '\\', '*', '~', 'socket.io.js'),
  percentEscape,
  junk(8),
);
const path = fc.array(segment, { maxLength: 5 }).map((segments) => `/${segments.join('/')}`);
const queryKey = fc.constantFrom('format', 'gc', 'lastEventId', 'since', 'EIO', 'transport', 'sid', '', '__proto__', 'toString');
const queryValue = fc.oneof(junk(6), percentEscape, fc.constantFrom('json', '1', 'binary', 'polling', 'websocket', '4'));
const query = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
const scheme = fc.constantFrom('http://', 'https://', 'ws://', '//', 'HTTP://', 'http:', 'x://', 'http:///');

const requestTarget: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '//',
      '///',
      '*',
      '/',
      '/\\',
      '\\',
      '//stats',
      '//ws',
      '/ws//',
      'http://a:99999/ws',
      'http://x:99999/stats',
      'http://[/',
      '?',
      '#',
      '/stats',
      '/ws',
      '/sse',
    ),
  },
  { weight: 3, arbitrary: fc.tuple(path, query).map(([p, q]) => p + q) },
  { weight: 3, arbitrary: fc.tuple(scheme, hostname, port, path, query).map((parts) => parts.join('')) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('/', '//', '/a', '/%41', '/é', 'http://a:99999/', '?x=a'), fc.integer({ min: 100, max: 6000 }))
      .map(([unit, count]) => (unit.startsWith('?') ? `/stats${unit}${'a'.repeat(count * 3)}` : unit.repeat(count))),
  },
);

const targetInput: fc.Arbitrary<TargetInput> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'POST', 'DELETE'),
  target: requestTarget,
});

interface Side {
  target: string;
  transport: Transport;
  /** Send the valid WebSocket upgrade headers with it. */
  upgrade?: boolean;
  statuses: readonly number[];
  engineIo?: boolean;
  /** What a parseable target must get here, beyond a defined answer. */
  check?(outcome: HttpOutcome, url: URL, input: TargetInput, key: string): void;
}

const isStats = (outcome: HttpOutcome) => outcome.kind === 'response' && outcome.response.status === 200;

/** The floor's side port serves /stats and nothing else (contract defect 4). */
function statsOnly(outcome: HttpOutcome, url: URL, input: TargetInput): void {
  if (url.pathname !== '/stats') return expectLab(outcome, 404, 'LAB_NOT_FOUND', `${input.method} ${url.pathname} on the side port`);
  const read = input.method === 'GET' || input.method === 'HEAD';
  if (!isStats(outcome) && (read || outcome.kind !== 'response' || outcome.response.status !== 405)) {
    violation(`${input.method} /stats on the side port did not answer ${read ? '200' : '200 or 405'}`);
  }
}

/** A 101 only for /ws, with the key's accept value. */
function upgradeOnlyOnWs(outcome: HttpOutcome, url: URL, input: TargetInput, key: string): void {
  if (outcome.kind !== 'response' || outcome.response.status !== 101) return;
  if (url.pathname !== '/ws' || input.method !== 'GET') violation(`101 for ${input.method} ${JSON.stringify(input.target)}`);
  if (outcome.response.headers['sec-websocket-accept'] !== acceptKey(key)) violation('101 with a wrong Sec-WebSocket-Accept');
}

const SIDES: readonly Side[] = [
  { target: 'sse', transport: 'sse', statuses: [200, 204, 400, 404, 413, 414, 415, 431] },
  { target: 'sse-h2', transport: 'sse-h2', statuses: [200, 204, 400, 404, 413, 414, 415, 431] },
  { target: 'ws-http', transport: 'ws', statuses: [200, 400, 404, 405, 414, 431] },
  { target: 'ws-upgrade', transport: 'ws', upgrade: true, statuses: [101, 400, 404, 405, 414, 426, 431], check: upgradeOnlyOnWs },
  { target: 'socketio', transport: 'socketio', statuses: [200, 204, 400, 403, 404, 405, 414, 431], engineIo: true },
  { target: 'tcp-side', transport: 'tcp', statuses: [200, 400, 404, 405, 414, 431], check: statsOnly },
];

async function sendTarget(side: Side, input: TargetInput, server: LiveServer): Promise<void> {
  const { key, headers: upgrade } = upgradeHeaders(server.httpPort);
  const options = {
    head: input.method === 'HEAD',
    // A target that opens a stream (an SSE /sse, a 101) is answered once its head is in.
    enough: (response: HttpResponse) =>
      response.status === 101 || response.headers['content-type']?.startsWith('text/event-stream') === true,
  };
  const length: Header[] = input.method === 'POST' ? [['Content-Length', '0']] : [];
  const answer = side.upgrade
    ? await send(server.httpPort, request(input.method, input.target, [...upgrade, ...length]), ANSWER_MS, options)
    : await exchangeWith(server, input.method, input.target, [['Connection', 'close'], ...length], undefined, options);
  // HTTP/2 would not carry the target (a `:path` that is not a path): nothing reached the server's code.
  if (answer === null) return;
  const outcome = classifyHttp(answer, {
    statuses: side.statuses,
    engineIo: side.engineIo,
    upgrade: side.upgrade,
    head: input.method === 'HEAD',
  });
  // Node's parser refused the line: nothing reached the server's code.
  if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
  const target = targetAsRead(server, input.target);
  if (!URL.canParse(target, 'http://lab.invalid')) {
    return expectLab(outcome, 400, 'LAB_BAD_REQUEST', `${input.method} ${JSON.stringify(target.slice(0, 80))} does not parse`, false);
  }
  const hasBody = input.method !== 'HEAD' && outcome.kind === 'response' && outcome.response.status === 200;
  if (hasBody && outcome.response.headers['content-type']?.includes('json')) jsonBody(outcome.response);
  side.check?.(outcome, new URL(target, 'http://lab.invalid'), input, key);
}

export const TARGET_SURFACES: AnySurface[] = SIDES.map((side) =>
  surface<TargetInput>({
    name: `http-target:${side.target}`,
    transport: side.transport,
    arbitrary: targetInput,
    runs: 300,
    send: (input, server) => sendTarget(side, input, server),
  }),
);
