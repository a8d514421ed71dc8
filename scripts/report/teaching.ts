/**
 * The teaching text: for each claim, why it comes out the way the measurements show (the
 * mechanism, with sources from ../shared/FACTS.md) and the few lines of the lab's code that matter,
 * quoted live by code.ts. Verdicts are never written here: they come from claims.json.
 */
import type { ScenarioRecord } from '../../scenarios/types.ts';
import type { ClaimId } from '../lib/claims.ts';
import { LABELS } from './charts.ts';
import { excerpt } from './code.ts';
import { clientOf, ranIn } from './engines.ts';
import type { ReportInputs } from './inputs.ts';
import type { Block, Section } from './blocks.ts';
import { loadMethodBlocks } from './load-section.ts';

const p = (text: string): Block => ({ kind: 'p', text });
const code = (file: string, start: RegExp, end: RegExp, max?: number): Block => ({ kind: 'code', ...excerpt(file, start, end, max) });

/** Why each claim comes out as measured: the mechanism, not the verdict. */
const WHY: Record<ClaimId, string[]> = {
  'ws-tcp-sse-http': [
    'Both transports here ride TCP. SSE never leaves HTTP: the events are the body of one long 200 response — chunked on ' +
      'HTTP/1.1, DATA frames of one stream on HTTP/2 (the lab’s sse-h2, which opens with no HTTP/1.1 request at all), QUIC ' +
      'streams on HTTP/3 (not measured) — so everything HTTP applies to it: CORS, cookies, proxies, multiplexing. A WebSocket ' +
      'here opens with an HTTP/1.1 `GET` + `Upgrade: websocket`, the server answers `101 Switching Protocols`, and from then ' +
      'on the same TCP connection carries RFC 6455 frames, not HTTP messages (see "What is on the wire"); RFC 8441 and RFC ' +
      '9220 carry WebSockets over HTTP/2 and HTTP/3 streams instead, which the lab does not use.',
  ],
  'sse-one-way': [
    'EventSource has no send method: the stream is a response body, and the request that opened it is finished. Anything the ' +
      'client says goes in another HTTP request (here `POST /sse/ping`), which on HTTP/1.1 needs its own connection or waits ' +
      'for a free one. A WebSocket carries messages both ways on the connection it already has.',
  ],
  'sse-text-only': [
    'The event-stream format is UTF-8 text by definition (WHATWG HTML, "Server-sent events"): `data:` lines end at CR or LF, ' +
      'so raw bytes either break into lines or turn into U+FFFD. Binary has to be encoded as text first (base64 here). ' +
      'WebSocket frames have a binary opcode, and browsers hand the payload over as an ArrayBuffer or Blob untouched.',
  ],
  'sse-simpler': [
    'On the server, SSE is an ordinary HTTP handler that writes text and keeps the response open; WebSocket needs an upgrade ' +
      'handler and a frame codec (the `ws` library). But "simpler" depends on what you need: the SSE server still has to ' +
      'handle resume, CORS and heartbeats, and the SSE client gets reconnection for free only in one direction. Line counts ' +
      "of the lab's own parallel files are one honest, reproducible measure.",
  ],
  'sse-auto-reconnect': [
    'The EventSource spec builds reconnection in: after a network error or a normal end of the body, the browser waits the ' +
      "reconnection time (the last `retry:` value, or the browser's own default) and reconnects, sending the last " +
      'event id. A non-200 status or a wrong Content-Type is different: the connection fails for good (readyState CLOSED), ' +
      'which is how a server says "stop".',
    'The lab’s connection cap says "stop" on purpose: past `--max-connections` an SSE client gets `503` with ' +
      '`Retry-After: 5`, and EventSource, which ignores Retry-After, stays CLOSED; a page that must come back makes a new ' +
      'EventSource itself (the cap is a limit against abuse, not a queue). A server that wants its clients back later ' +
      'answers `200`, writes `retry: 5000` and ends the body instead: EventSource waits 5 s and reconnects, as the ' +
      'reconnect scenario’s clean-end drops show.',
  ],
  'ws-needs-library-to-reconnect': [
    'The WebSocket API has no reconnection: after `close`, the object is dead and the page must create a new one, decide ' +
      'when, and tell the server where it left off. socket.io does all of that in the library, and with connection state ' +
      'recovery the server replays what the client missed. The raw-ws code below is what the lab had to write to get the ' +
      'same.',
  ],
  'sse-event-ids-resume': [
    'Each event carries `id:`; the browser remembers the last one and sends it as `Last-Event-ID` on the reconnect. The ' +
      'browser only carries the id: the server must keep recent events and replay those after it. The lab keeps a bounded ' +
      'replay buffer and sends an explicit `reset` when the id is older than the buffer, or ahead of its feed (an id from ' +
      'a process before a restart, whose feed started again at 1).',
  ],
  'ws-heavier-than-sse': [
    "Per connection, both hold a TCP socket and some per-client state. SSE rides Node's http machinery (a request, a " +
      "response, headers) for the connection's whole life; ws keeps a small frame parser and sender. Per message, SSE adds " +
      'the `id:`/`event:`/`data:` lines and a chunk header, a server-to-client WebSocket frame adds 2–4 bytes. socket.io ' +
      'adds its engine and packet encoding (its connection-state-recovery list is kept once per server, not per client). ' +
      'The load runner measures all of it ' +
      'in the same run against a raw-TCP floor.',
  ],
  'ws-ignores-cross-origin': [
    "Browsers apply no CORS to WebSocket: the handshake goes out whatever the page's origin, carrying an `Origin` header and " +
      'the cookies for the target host. Nothing stops the connection unless the server checks `Origin` itself — otherwise ' +
      'any site a user visits can open an authenticated socket (cross-site WebSocket hijacking). The lab refuses disallowed ' +
      'origins with 403 before the upgrade.',
  ],
  'sse-needs-cors-headers': [
    "EventSource is a fetch in CORS mode: a cross-origin stream is delivered only when the response allows the page's origin " +
      '(`Access-Control-Allow-Origin`). With `withCredentials: true` the rules tighten: the header must name the exact ' +
      'origin and `Access-Control-Allow-Credentials: true` must be present.',
  ],
  'ws-rejects-self-signed-sse-accepts': [
    "Certificate trust is decided by the browser's TLS stack for the host, the same way for `https://` (EventSource, fetch) " +
      'and `wss://`; neither shows a prompt when called from script. Two things make SSE look more forgiving. A user who ' +
      'clicks through the warning on an https page of that host makes an exception that covers later requests to the same ' +
      'host, whatever the transport. And a certificate error is a network error to EventSource, so it keeps retrying ' +
      '(readyState stays CONNECTING) and comes back by itself once the certificate is accepted, while a WebSocket that ' +
      'failed is CLOSED for good until the page makes a new one.',
  ],
  'sse-heartbeat-comments-needed': [
    'Nothing in the protocol times out an idle stream. What drops it is something in between — a proxy or load balancer read ' +
      "timeout — or a client-side watchdog such as event-source-polyfill's `heartbeatTimeout` (45 s by default). A `:` " +
      'comment line is invisible to the page but resets every such timer; the spec suggests one about every 15 s.',
  ],
  'seed-credentials-with-wildcard-cors': [
    'The CORS rules forbid `Access-Control-Allow-Origin: *` on a credentialed request: the browser blocks the response and ' +
      "EventSource fires `error`. Article A's combination (`*` on the server, `withCredentials: true` in the client) can " +
      'only work where the request is not cross-origin: event-source-polyfill, its fallback, makes the same credentialed ' +
      "CORS request with fetch. The article's server and client, run as written in each engine, and the corrected " +
      "version: [Article A's code, run](#article-a-code).",
  ],
  'sse-base64-costs-bandwidth': [
    'base64 turns every 3 bytes into 4 characters: +33 % before line framing, plus the SSE field names and, on HTTP/1.1, the ' +
      'chunk header. WebSocket binary frames carry the bytes as they are with a 2–10 byte header.',
  ],
  'sse-six-connections-per-origin': [
    'Browsers cap HTTP/1.1 connections per host. Each open EventSource holds one for good, so the stream past the cap ' +
      '— and any other request to that host, fetch or image — waits for a free connection. The cap is per browser profile, ' +
      'not per tab: six tabs with one stream each exhaust it as surely as one tab with six. HTTP/2 multiplexes every stream ' +
      'over one connection, so the cap becomes the server’s `SETTINGS_MAX_CONCURRENT_STREAMS` (often 100; nginx’s ' +
      '`http2_max_concurrent_streams` defaults to 128). WebSockets have their own, much larger, limit.',
  ],
  'sse-named-events-need-listener': [
    '`onmessage` receives only events without an `event:` field (type `message`). An event named `server-time` is dispatched ' +
      "as type `server-time`, which only `addEventListener('server-time', …)` receives. Article B's server names every " +
      'event `server-time` and its page listens with `onmessage`: that code, run in each engine, and the one-line ' +
      "correction are in [Article B's code, run](#article-b-code).",
  ],
  'sse-needs-no-special-server': [
    'An event stream is one long HTTP response, so any HTTP reverse proxy passes it on with its first configuration line ' +
      '(`proxy_pass`); what can still go wrong is buffering and idle timeouts. A WebSocket starts as an HTTP request with ' +
      '`Upgrade: websocket`, but `Upgrade` and `Connection` are hop-by-hop headers: nginx drops them (and speaks HTTP/1.0 ' +
      'upstream) unless its config passes them on, and the server never sees an upgrade. socket.io survives by falling back ' +
      'to HTTP long-polling. Each profile is shown whole in "Behind a proxy"; the lab wraps it only with process, path and ' +
      'log settings (and `--proxy-read-timeout` where a record says so in its setup).',
  ],
  'proxies-buffer-sse': [
    'With `proxy_buffering on` (the default) nginx reads an upstream response into memory buffers (`proxy_buffer_size`, ' +
      '`proxy_buffers`: 4 or 8 KB each) and passes data on as they fill. A stream of small events waits until a ' +
      "buffer's worth has built up and then arrives as a burst; the first event, and even the response head, can wait " +
      'seconds. The upstream can opt out per response with `X-Accel-Buffering: no`, which the lab sends on every stream ' +
      'unless started with `--no-accel-buffering`; the tuned profile turns buffering off for all responses. Compression ' +
      'is a second place bytes can wait: gzip emits output when its block fills or when the data is flushed.',
  ],
  'gzip-undoes-base64-overhead': [
    'base64 maps 3 bytes to 4 characters from a 64-symbol alphabet, 6 bits per 8-bit character: exactly the redundancy ' +
      "an entropy coder removes, so gzip brings an encoded payload's size back towards the payload's own compressed size. " +
      'How much is recovered depends on the payload: random bytes do not compress, so the best gzip can do for them is ' +
      'undo the 4/3; repetitive JSON compresses far below its raw size. Compression works across a stream only when the ' +
      'compressor keeps its window between events and flushes after each, which costs CPU per connection at the proxy.',
  ],
  'socketio-needs-sticky-sessions': [
    'socket.io starts every session with HTTP long-polling (each message a separate request, the session named by its `sid`) ' +
      'and upgrades to a WebSocket later. Only the node that handed out the `sid` knows it: a request the load balancer ' +
      'sends to another node gets HTTP 400 "Session ID unknown" (socket.io#4881). Sticky routing (`hash $remote_addr` here; ' +
      'a cookie in production) keeps a client on its node. A WebSocket-only client holds one connection, which stays on one ' +
      'node by construction, and so do SSE streams and raw WebSockets: the balancer picks a node once per connection.',
  ],
  'ws-needs-own-resume-protocol': [
    'RFC 6455 gives a WebSocket frames, not messages with ids: when a connection ends, neither side knows what the other ' +
      'last got, and the browser never reconnects by itself. Resuming needs three things the lab had to write: a position the ' +
      'client remembers (the last seq), a way to send it back (`?since=`), and a server that keeps what came after it — across ' +
      'nodes, a shared log (a Redis Stream whose entry ids are the seqs). SSE has the first two in the protocol; the third is ' +
      'always the server’s job.',
  ],
  'polyfill-sends-last-id-as-query': [
    'event-source-polyfill is built on XHR/fetch and appends the last id as a query parameter (`lastEventId` by default) on ' +
      'reconnect: a `Last-Event-ID` request header set from script is not CORS-safelisted, so cross-origin it would cost a ' +
      'preflight and need `Access-Control-Allow-Headers: Last-Event-ID` on the server (its README and source say so); native ' +
      "EventSource sends the header itself, with no preflight. A server that wants both must read both, as the lab's SSE " +
      'server does.',
  ],
};

/** The articles' code as scenario `articles` runs it (the report's "Article A's/B's code, run" quote it whole). */
const ARTICLE_A = 'scenarios/articles/article-a-server.ts';
const ARTICLE_B = 'scenarios/articles/article-b-server.ts';
const ARTICLE_CLIENTS = 'scenarios/articles/article-clients.js';

/** The lines of the lab's code that show each claim's mechanism. */
function codeFor(id: ClaimId): Block[] {
  switch (id) {
    case 'ws-tcp-sse-http':
    case 'ws-ignores-cross-origin':
      return [code('servers/ws.ts', /server\.on\('upgrade'/, /wss\.handleUpgrade/)];
    case 'sse-one-way':
      return [
        code('servers/sse.ts', /app\.post\('\/sse\/ping'/, /^\s{2}\}\);/),
        code('clients/ws.ts', /^\s{2}ping\(\): Promise<Pong>/, /^\s{2}\}$/),
      ];
    case 'sse-text-only':
    case 'sse-base64-costs-bandwidth':
      return [
        code('servers/sse-stream.ts', /function sseEvent/, /^\}/),
        code('servers/ws.ts', /Bytes made once per quote/, /write\(client, binary/),
      ];
    case 'sse-simpler':
      return [code('servers/sse-stream.ts', /^\s{2}open\(req/, /^\s{2}\}$/, 40)];
    case 'sse-auto-reconnect':
    case 'ws-needs-library-to-reconnect':
      return [
        code('clients/ws.ts', /#scheduleReconnect\(\): void/, /^\s{2}\}$/),
        code('servers/demo/index.html', /Raw WebSocket: no reconnection/, /open\(\);/),
      ];
    case 'sse-event-ids-resume':
    case 'polyfill-sends-last-id-as-query':
      return [
        code('servers/sse-stream.ts', /const lastSeen = parseSeq/, /sendQuote\(client, frame\)/),
        code('servers/feed.ts', /resumeAfter\(lastSeen: number\)/, /^\s{2}\}$/),
      ];
    case 'ws-heavier-than-sse':
      return [
        code('servers/sse-stream.ts', /this\.#detach = attachFeed/, /\}\);/),
        code('servers/ws.ts', /const detach = attachFeed/, /\}\);/),
      ];
    case 'sse-needs-cors-headers':
      return [code('servers/sse-stream.ts', /function checkCors/, /^\}/)];
    case 'seed-credentials-with-wildcard-cors':
      return [
        code(ARTICLE_A, /res\.writeHead\(200/, /\}\);/),
        code(ARTICLE_CLIENTS, /var EventSource = NativeEventSource/, /withCredentials: true/),
        code('scenarios/articles/article-a-corrected.ts', /if \(origin && !allowOrigins/, /\}\);/),
      ];
    case 'ws-rejects-self-signed-sse-accepts':
      return [code('clients/sse.ts', /const \{ ca, localAddress \} = options/, /this\.#fetch =/)];
    case 'sse-heartbeat-comments-needed':
      return [code('servers/sse-stream.ts', /this\.#heartbeat = setInterval/, /heartbeatMs\);/)];
    case 'sse-named-events-need-listener':
      return [
        code(ARTICLE_B, /sseStream\.write\(/, /sseStream\.write\(/),
        code(ARTICLE_CLIENTS, /\/\/ BEGIN article-b-client$/, /\/\/ END article-b-client$/),
        code(ARTICLE_CLIENTS, /\/\/ BEGIN article-b-corrected-client$/, /\/\/ END article-b-corrected-client$/),
      ];
    case 'sse-six-connections-per-origin':
      return [];
    case 'sse-needs-no-special-server':
      return [code('servers/proxy/profiles/stock.conf', /^server \{/, /^\}/), code('servers/proxy/profiles/tuned.conf', /^map/, /^\}/)];
    case 'proxies-buffer-sse':
      return [
        code('servers/sse-stream.ts', /const SSE_HEADERS/, /^\};/),
        code('servers/proxy/profiles/tuned.conf', /proxy_buffering off/, /proxy_buffering/),
      ];
    case 'gzip-undoes-base64-overhead':
      return [code('servers/proxy/profiles/gzip.conf', /gzip on/, /gzip_types/)];
    case 'socketio-needs-sticky-sessions':
      return [code('servers/proxy/profiles.ts', /export function upstreamBlock/, /^\}/)];
    case 'ws-needs-own-resume-protocol':
      return [
        code('clients/ws.ts', /const since = this\.resumePoint\(\)/, /url\.searchParams\.set\('since'/),
        code('servers/cluster/quote-stream.ts', /export function appendQuote/, /^\}/),
      ];
  }
}

/**
 * The browser figures the "why" would otherwise state as constants, measured in each engine that ran: the default
 * reconnection delay (no `retry:` sent) and the EventSources one HTTP/1.1 origin got.
 */
function measuredHere(id: ClaimId, inputs: ReportInputs): Block[] {
  const records = (inputs.scenarios?.records ?? []).filter((r) => r.engine && r.status === 'observed');
  const each = (list: ScenarioRecord[], say: (r: ScenarioRecord) => string) => list.map((r) => `${clientOf(r)} ${say(r)}`).join(', ');
  if (id === 'sse-auto-reconnect') {
    const defaults = records.filter((r) => r.scenario === 'reconnect' && r.case === 'retry-none-destroy');
    const delay = (r: ScenarioRecord) => r.observed.facts?.reconnectDelayMs;
    if (defaults.length === 0) return [];
    return [
      p(
        `The default measured here, with no \`retry:\` sent (${ranIn(defaults)}): ` +
          `${each(defaults, (r) => `${typeof delay(r) === 'number' ? Math.round(delay(r) as number) : '?'} ms (${LABELS[r.transport]})`)}.`,
      ),
    ];
  }
  if (id === 'sse-six-connections-per-origin') {
    const limit = records.filter((r) => r.scenario === 'connection-limit' && r.case === 'http1-eventsources');
    if (limit.length === 0) return [];
    return [
      p(
        `Measured here with ${String(limit[0]!.setup.asked ?? '?')} EventSources to one HTTP/1.1 origin (${ranIn(limit)}): ` +
          `${each(limit, (r) => `opened ${r.observed.counts?.opened ?? '?'}`)}.`,
      ),
    ];
  }
  return [];
}

const PROXY = '[Behind a proxy](#behind-a-proxy)';
const CLUSTER = '[Scaling out](#scaling-out)';

/** What changes once a proxy, several nodes or a real network sit in between: where the report measured it. */
const PRODUCTION: Partial<Record<ClaimId, string>> = {
  'ws-tcp-sse-http': `Through a reverse proxy the WebSocket's upgrade must be passed on explicitly; SSE passes as any response (${PROXY}).`,
  'sse-auto-reconnect':
    `A proxy's idle timeout cuts a silent stream, and the browser reconnects (${PROXY}); with several nodes the reconnect ` +
    `may land on another node, which must know the same ids (${CLUSTER}).`,
  'sse-event-ids-resume': `With several nodes an id must mean the same on every node: a shared log, here a Redis Stream (${CLUSTER}).`,
  'ws-needs-own-resume-protocol': `The same shared log makes \`?since=\` work on any node (${CLUSTER}).`,
  'ws-needs-library-to-reconnect': `When a node dies, every client it held reconnects at once, to the others (${CLUSTER}).`,
  'ws-heavier-than-sse':
    'TLS and a proxy in front change the cost per delivery of every transport; the load figures measure both (' +
    '[Load figures](#load-figures)).',
  'sse-heartbeat-comments-needed': `nginx's \`proxy_read_timeout\` (60 s by default) is the timer comments must beat (${PROXY}).`,
  'sse-six-connections-per-origin': `HTTP/2 at the proxy lifts the cap even when the server behind speaks HTTP/1.1 (${PROXY}).`,
  'sse-needs-no-special-server': `Each nginx profile the lab uses is shown whole in ${PROXY}.`,
  'proxies-buffer-sse': `${PROXY} shows the arrivals event by event, with and without the header.`,
  'gzip-undoes-base64-overhead': `${PROXY} shows the bytes on both sides of nginx.`,
  'socketio-needs-sticky-sessions': `${CLUSTER} runs round robin and sticky balancing side by side; [Sticky sessions](#sticky-sessions).`,
};

export function claimTeaching(id: ClaimId, inputs: ReportInputs): { why: Block[]; production?: string; code: Block[] } {
  return { why: [...WHY[id].map(p), ...measuredHere(id, inputs)], production: PRODUCTION[id], code: codeFor(id) };
}

/** Records of these scenarios, as evidence rows for the sections the claims do not cover. */
function scenarioEvidence(inputs: ReportInputs, match: (scenario: string, kase: string) => boolean, caption: string): Block[] {
  const records = inputs.scenarios?.records.filter((r) => match(r.scenario, r.case)) ?? [];
  if (records.length === 0) return [];
  return [{ kind: 'table', caption, head: ['record', 'status', 'title'], rows: records.map((r) => [`\`${r.id}\``, r.status, r.title]) }];
}

/** What users hit that the claims do not cover (FACTS.md, "What users hit most"). */
export function extraSections(inputs: ReportInputs): Section[] {
  const load = inputs.load;
  return [
    {
      id: 'compression-buffering',
      title: 'Compression middleware and proxies that buffer the stream',
      blocks: [
        p(
          'The most reported SSE problem (expressjs/compression#61, nginx#1505): compression middleware or a reverse proxy ' +
            'collects the stream into buffers, so events arrive late and in bursts, or only when the response ends. The fix ' +
            'is in the response headers: `Cache-Control: no-transform` tells intermediaries not to re-encode, ' +
            '`X-Accel-Buffering: no` turns nginx buffering off, and no compression middleware on the route. The lab sends ' +
            'these on every stream, and `test/sse-wire.test.ts` checks on a raw socket that no `Content-Encoding` comes back ' +
            'even when the request offers gzip.',
        ),
        code('servers/sse-stream.ts', /const SSE_HEADERS/, /^\};/),
      ],
    },
    {
      id: 'custom-headers',
      title: 'Custom headers and auth with EventSource',
      blocks: [
        p(
          'Native EventSource cannot send custom request headers (whatwg/html#2177): no `Authorization`, no API key. The ' +
            'options are cookies (same-site, or `withCredentials` with exact-origin CORS), a token in the URL (it ends up in ' +
            'logs), or a fetch-based client such as event-source-polyfill or the `eventsource` package, which accept ' +
            'headers. WebSocket from a browser cannot set headers either; tokens go in the URL, a cookie or the first ' +
            'message.',
        ),
        ...scenarioEvidence(inputs, (s, c) => s === 'polyfill' && /header|auth/.test(c), 'Observed in the polyfill scenario:'),
      ],
    },
    {
      id: 'slow-consumers',
      title: 'Slow consumers',
      blocks: [
        p(
          'A client that stops reading does not stop the server from writing: the kernel buffers fill, then the server ' +
            'process buffers everything it is asked to send, and its memory grows without bound (ws#1620). Every lab server ' +
            "checks each client's unsent bytes before writing and drops a client past `maxBufferedBytes` (1 MiB by default), " +
            'counting it in `/stats` as `dropped`. `test/security.test.ts` stalls a real reader on each transport and checks ' +
            'that it is dropped and that a healthy client on the same server still receives every quote in order.',
        ),
        code('servers/sse-stream.ts', /Writes to one client; a client that lets too much pile up/, /^\s{2}\}$/),
        ...(load
          ? [
              p(
                `In the load run, servers dropped ${load.steps.reduce((a, s) => a + (s.server.dropped ?? 0), 0)} slow ` +
                  `consumer(s) over ${load.steps.length} steps.`,
              ),
            ]
          : []),
      ],
    },
    {
      id: 'sticky-sessions',
      title: 'socket.io behind a load balancer: sticky sessions',
      blocks: [
        p(
          'socket.io starts with HTTP long-polling: several HTTP requests carrying the same session id (`sid`) before the ' +
            'upgrade to WebSocket. Behind a load balancer that spreads requests over servers, a request lands on a server ' +
            'that never issued that sid and gets `400 {"code":1,"message":"Session ID unknown"}` (socket.io#4881). The ' +
            "fixes: sticky sessions (by cookie or source address) or `transports: ['websocket']` on the client. SSE and " +
            'raw WebSocket hold one connection per client, so any balancer that keeps a connection on one server works; the ' +
            'resume state (last event id, replay buffer) still has to be shared if a reconnect can land elsewhere.',
        ),
        ...scenarioEvidence(inputs, (s) => s === 'cross-origin', "The polling handshake in the lab's cross-origin scenario:").slice(0, 1),
      ],
    },
    {
      id: 'method',
      title: 'Method and limitations',
      blocks: [
        p(
          'How the runs were made and what they cannot show: single samples per engine, shortened timeouts, one machine on ' +
            'loopback, and the checks the load runner applies to its own figures.',
        ),
        ...loadMethodBlocks(inputs),
        {
          kind: 'list',
          items: [
            'Each scenario case is a single sample per engine (Chromium and Firefox ESR; no Safari), with its timeouts ' +
              'shortened so a run stays short (idle 1 s, the polyfill heartbeat 1.5 s, retry 100 ms – 3 s; a frozen tab 5 s, ' +
              '75 s with `--full`): each record’s setup says which values it used. Freezing a page is driven through ' +
              'Chromium’s DevTools, so the lifecycle freeze has Chromium records only.',
            'Everything runs on one machine over loopback: no network latency, loss or middleboxes; the proxies the ' +
              'scenarios use are small relays run by the lab. Loopback hides per-byte costs that a real network would show.',
            'Server and load generator run on one machine; the load run records which cores each had. Steps where the ' +
              'generator itself was the bottleneck are flagged client-bound and left out of verdicts.',
            'Each transport is used the way its documentation shows: ws frames each message per client, socket.io ' +
              "pre-encodes one WebSocket frame per broadcast, SSE writes through Node's http response (which corks writes " +
              'until the next tick).',
            "socket.io's connection state recovery keeps every broadcast packet for two minutes, once per server and not per " +
              "client (socket.io-adapter's SessionAwareAdapter pushes each broadcast once onto its `packets` list): the " +
              'one-client twin broadcasts the same quotes and holds the same list, so the per-connection memory figures ' +
              'leave it out (a server’s absolute heap includes it).',
            'Verdicts are computed by code from the records (scenarios/verdicts/, scripts/load). "depends" means the ' +
              'observations split: the explanation says on what.',
          ],
        },
      ],
    },
  ];
}
