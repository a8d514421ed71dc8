/**
 * "SSE, WebSocket and socket.io in brief": what each is, in a few plain sentences, and a glossary of the words the
 * rest of the report uses, each pointing at the section where the lab shows it. Teaching text only: no figure here
 * comes from a run (those are in the decision guide and the claims' sections).
 */
import type { Block, Section } from './blocks.ts';
import { excerpt } from './code.ts';

const WHAT = [
  '**Server-Sent Events (SSE)**: the browser’s `EventSource` makes one HTTP GET, and the server answers with a response ' +
    'that never ends, `Content-Type: text/event-stream`, writing an event whenever it has one. Text only, server to ' +
    'client only; the browser reconnects by itself and sends back the id of the last event it saw.',
  '**WebSocket**: the browser’s `WebSocket` sends an HTTP request asking to switch protocols; after the server’s `101` ' +
    'the TCP connection carries frames both ways, text or binary, until either side closes it. No reconnection, no ids: ' +
    'that is the application’s job.',
  '**socket.io**: a library on both sides, not a protocol of the browser: its own packets over engine.io, which starts ' +
    'with HTTP long-polling and upgrades to a WebSocket, reconnects by itself and can replay what a client missed ' +
    '(connection state recovery). A socket.io client speaks only to a socket.io server.',
];

/** Each term, what it means, and where the report shows it. */
const GLOSSARY: [term: string, meaning: string, shown: string][] = [
  [
    'event stream',
    'the body of an SSE response: lines `field: value` (`data`, `id`, `event`, `retry`), an empty line ending each event, ' +
      '`:` starting a comment',
    '#wire',
  ],
  ['frame', 'the unit a WebSocket carries: a 2–14 byte header (final flag, opcode, mask, length), then the payload', '#wire'],
  [
    'upgrade',
    'the HTTP/1.1 request (`Connection: Upgrade`, `Upgrade: websocket`) that turns a connection into a WebSocket; hop-by-hop, ' +
      'so a proxy must pass it on deliberately',
    '#claim-sse-needs-no-special-server',
  ],
  [
    'Last-Event-ID',
    'the request header EventSource sends on a reconnect, holding the last `id:` it saw, so the server can resume after it',
    '#claim-sse-event-ids-resume',
  ],
  [
    'CORS',
    'the rules that let a page read a response from another origin only if the response says so ' +
      '(`Access-Control-Allow-Origin`); EventSource follows them, a WebSocket does not',
    '#claim-sse-needs-cors-headers',
  ],
  [
    'preflight',
    'the `OPTIONS` request a browser sends first when a cross-origin request carries something not CORS-safelisted (a ' +
      'custom header such as `Authorization`); a plain EventSource GET needs none',
    '#custom-headers',
  ],
  [
    'sticky session',
    'a load balancer that sends every request of one client to the same server: long-polling needs it, because its ' +
      'requests belong to a session one server holds',
    '#claim-socketio-needs-sticky-sessions',
  ],
  [
    'heartbeat',
    'traffic sent only to keep a quiet connection alive (SSE `:` comments) or to find out it is dead (WebSocket ping and ' +
      'pong frames, engine.io pings)',
    '#claim-sse-heartbeat-comments-needed',
  ],
  [
    'backpressure',
    'what a server does when a client reads slower than it writes: the bytes pile up in buffers unless the server checks ' +
      'and stops or drops that client',
    '#slow-consumers',
  ],
];

/** The smallest correct code of each, from examples/ (each run by test/browser/examples.test.ts in both engines). */
function examples(): Block {
  const code = (file: string, start: RegExp, end: RegExp): Block => ({ kind: 'code', ...excerpt(file, start, end, 40) });
  return {
    kind: 'details',
    summary: 'The smallest correct code of each (examples/, with a README on running them)',
    blocks: [
      { kind: 'p', text: 'SSE: an id on every event, `retry:`, and a reconnecting browser’s Last-Event-ID answered from history.' },
      code('examples/sse/server.js', /const server = http\.createServer/, /^\}\);/),
      { kind: 'p', text: 'A raw WebSocket in the browser: reconnect with exponential backoff and full jitter, resume by `?since=`.' },
      code('examples/ws/index.html', /function connect\(\)/, /^ {2}\}$/),
      { kind: 'p', text: 'socket.io: connection state recovery does both, in the library.' },
      code('examples/socketio/server.js', /const io = new Server/, /const tick = setInterval/),
    ],
  };
}

/** The section; a glossary entry whose section `present` lacks shows no link. */
export function basicsSection(present: ReadonlySet<string>): Section {
  return {
    id: 'basics',
    title: 'SSE, WebSocket and socket.io in brief',
    blocks: [
      { kind: 'list', items: WHAT },
      examples(),
      {
        kind: 'details',
        summary: 'Words the report uses (glossary)',
        blocks: [
          {
            kind: 'table',
            head: ['term', 'meaning', 'shown in'],
            rows: GLOSSARY.map(([term, meaning, shown]) => [
              `**${term}**`,
              meaning,
              present.has(shown.slice(1)) ? `[section](${shown})` : null,
            ]),
          },
        ],
      },
    ],
  };
}
