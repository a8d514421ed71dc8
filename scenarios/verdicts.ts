/**
 * Verdicts on the claims, computed from the observed records: for each claim, the rule that
 * decides it reads named facts of named records and says confirmed / refuted / depends, with a
 * paragraph built from the observed numbers and the record ids it used: every clause is worded
 * from the figure it cites, and the closing sentence is the one written for the verdict computed.
 * Knobs a case was given are read from its `setup`, observations from `observed`. A claim whose
 * records did not run (no browser, a failed case), or lack a key the rule reads, gets `not-run`
 * naming them (`id` or `id#key`), never a guess. `ws-heavier-than-sse` is left to the load runner.
 *
 * Each rule is written out below so a reader can check it against the records by hand.
 */
import type { ClaimId, ClaimResult, Verdict } from '../scripts/lib/claims.ts';
import type { Json, ScenarioRecord } from './types.ts';

type Figures = Record<string, number | string | boolean | null>;
interface Decision {
  verdict: Exclude<Verdict, 'not-run'>;
  explanation: string;
  figures: Figures;
}

/** Record lookups that remember which records a rule used and which it needed but did not find. */
class Evidence {
  readonly used = new Set<string>();
  readonly missing = new Set<string>();
  readonly #byId: Map<string, ScenarioRecord>;

  constructor(records: readonly ScenarioRecord[]) {
    this.#byId = new Map(records.filter((r) => r.status === 'observed').map((r) => [r.id, r]));
  }

  record(id: string): ScenarioRecord | undefined {
    const record = this.#byId.get(id);
    (record ? this.used : this.missing).add(id);
    return record;
  }

  /** A named value of one part of a record; an existing record without that key counts as missing too (`id#name`). */
  #value<T>(id: string, part: 'facts' | 'counts' | 'bytes' | 'setup', name: string): T | undefined {
    const record = this.record(id);
    if (!record) return undefined;
    const values = (part === 'setup' ? record.setup : record.observed[part]) as Record<string, unknown> | undefined;
    if (!values || !(name in values)) {
      this.missing.add(`${id}#${name}`);
      return undefined;
    }
    return values[name] as T;
  }

  fact<T extends Json>(id: string, name: string): T | undefined {
    return this.#value<T>(id, 'facts', name);
  }

  /** A knob the case was configured with (its `setup`), not an observation. */
  setup<T extends Json>(id: string, name: string): T | undefined {
    return this.#value<T>(id, 'setup', name);
  }

  count(id: string, name: string): number {
    return this.#value<number>(id, 'counts', name) ?? Number.NaN;
  }

  bytes(id: string, name: string): number {
    return this.#value<number>(id, 'bytes', name) ?? Number.NaN;
  }

  /** The readyState the record ends with (a missing one counts as missing). */
  readyState(id: string): number | null | undefined {
    const record = this.record(id);
    if (record && record.observed.readyState === undefined) this.missing.add(`${id}#readyState`);
    return record?.observed.readyState;
  }

  /** A server counter of the record (a missing one counts as missing). */
  counter(id: string, name: string): number {
    const record = this.record(id);
    const value = record?.observed.server?.counters?.[name];
    if (record && value === undefined) this.missing.add(`${id}#server.${name}`);
    return value ?? Number.NaN;
  }

  /** Ids present among the observed records that start with this prefix (none: the prefix counts as missing). */
  ids(prefix: string): string[] {
    const ids = [...this.#byId.keys()].filter((id) => id.startsWith(prefix));
    if (ids.length === 0) this.missing.add(`${prefix}*`);
    return ids;
  }
}

const ms = (value: number | null | undefined) =>
  value === null || value === undefined || Number.isNaN(value) ? 'n/a' : `${Math.round(value)} ms`;
const yes = (b: boolean | null | undefined) => (b ? 'yes' : 'no');
const times = (n: number) => (n === 1 ? '1 time' : `${n} times`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const openOr = (opened: boolean | null | undefined) => (opened ? 'open' : 'refused');
/** EventSource readyState names (0..2) and WebSocket's (0..3: 2 is CLOSING). */
const esState = (n: number | null | undefined) => `${n} (${['CONNECTING', 'OPEN', 'CLOSED'][n ?? -1] ?? 'unknown'})`;
const wsState = (n: number | null | undefined) => `${n} (${['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'][n ?? -1] ?? 'unknown'})`;
/** The sentence that closes an explanation: the one written for the verdict the rule computed. */
const closing = (verdict: Decision['verdict'], sentences: Record<Decision['verdict'], string>) => sentences[verdict];

const SSE_DROPS = ['retry-100-destroy', 'retry-500-destroy', 'retry-1000-destroy', 'retry-none-destroy', 'retry-500-end'].map(
  (c) => `reconnect/sse/${c}`,
);

const RULES: Partial<Record<ClaimId, (e: Evidence) => Decision>> = {
  'ws-tcp-sse-http'(e) {
    const ws = 'direction/ws/round-trips';
    const sse = 'direction/sse/round-trips';
    const wsStatus = e.fact<string>(ws, 'responseStatusLine') ?? '';
    const wsRequests = e.fact<number>(ws, 'httpRequestsOnConnection') ?? Number.NaN;
    const wsFrameBytes = e.fact<number>(ws, 'clientBytesAfterRequestHead') ?? 0;
    const sseStatus = e.fact<string>(sse, 'responseStatusLine') ?? '';
    const sseType = e.fact<string>(sse, 'responseContentType') ?? '';
    const wsLeavesHttp = wsStatus.includes(' 101 ') && wsRequests === 1 && wsFrameBytes > 0;
    const sseIsHttp = sseStatus.includes(' 200 ') && sseType.startsWith('text/event-stream');
    const verdict = wsLeavesHttp && sseIsHttp ? 'confirmed' : 'refuted';
    return {
      verdict,
      explanation:
        `Both began with an HTTP/1.1 request: the WebSocket's was "${e.fact(ws, 'requestLine')}" with Upgrade: ${e.fact(ws, 'upgradeHeader')}, answered "${wsStatus}"; the EventSource's was "${e.fact(sse, 'requestLine')}", answered "${sseStatus}" with Content-Type ${sseType}. ` +
        `After that answer the WebSocket's TCP connection carried ${wsFrameBytes} more bytes from the page and ${plural(wsRequests, 'HTTP request')} in all${wsLeavesHttp ? ' (the upgrade): the bytes were WebSocket frames, not HTTP' : ''}, while the SSE stream ${sseIsHttp ? 'stayed one HTTP response' : 'was not a 200 text/event-stream response'}. ` +
        closing(verdict, {
          confirmed:
            'So WebSocket is its own protocol on TCP that starts with an HTTP handshake (and so shares ports and proxies with HTTP), and SSE is plain HTTP: the claim holds in that sense, not in the sense that WebSocket has nothing to do with HTTP.',
          refuted: 'So the records do not show WebSocket leaving HTTP for its own framing while SSE stays a plain HTTP response: refuted.',
          depends: '',
        }),
      figures: { wsStatus, wsHttpRequestsOnConnection: wsRequests, wsClientFrameBytes: wsFrameBytes, sseStatus, sseContentType: sseType },
    };
  },

  'sse-one-way'(e) {
    const sse = 'direction/sse/round-trips';
    const ws = 'direction/ws/round-trips';
    const io = 'direction/socketio/round-trips';
    const esSend = e.fact<string>(sse, 'eventSourceSend');
    const wsSend = e.fact<string>(sse, 'webSocketSend');
    const upstreamOnStream = e.fact<number>(sse, 'streamBytesFromClientAfterRequest');
    const rtt = (id: string) => e.fact<Record<string, number>>(id, 'rttMs')?.p50;
    const verdict = esSend === 'undefined' && wsSend === 'function' && upstreamOnStream === 0 ? 'confirmed' : 'refuted';
    return {
      verdict,
      explanation:
        `In Chromium EventSource.prototype.send is ${esSend} and WebSocket.prototype.send is ${wsSend}; on the SSE stream's connection the page sent ${upstreamOnStream} bytes after its request head. ` +
        `Client-to-server data beside the open stream went as separate HTTP requests: a fetch POST round trip cost ${e.bytes(sse, 'perRoundTrip')} bytes on the wire (p50 ${rtt(sse)} ms in the page, ${plural(e.fact<number>(sse, 'preflights') ?? Number.NaN, 'CORS preflight')} in the whole case, warm-up included), against ${e.bytes(ws, 'perRoundTrip')} bytes (p50 ${rtt(ws)} ms) for a WebSocket message and ${e.bytes(io, 'perRoundTrip')} bytes (p50 ${rtt(io)} ms) for a socket.io emit with ack. ` +
        closing(verdict, {
          confirmed: 'The stream is one-way; an application using SSE is not, it pays HTTP headers per upstream message.',
          refuted: 'EventSource had a send method or its stream carried data from the page: refuted.',
          depends: '',
        }),
      figures: {
        eventSourceSend: esSend ?? null,
        streamUpstreamBytes: upstreamOnStream ?? null,
        sseFetchBytesPerRoundTrip: e.bytes(sse, 'perRoundTrip'),
        wsBytesPerRoundTrip: e.bytes(ws, 'perRoundTrip'),
        socketioBytesPerRoundTrip: e.bytes(io, 'perRoundTrip'),
        sseFetchP50Ms: rtt(sse) ?? null,
        wsP50Ms: rtt(ws) ?? null,
      },
    };
  },

  'sse-text-only'(e) {
    const raw = 'binary/sse/raw-text-4096';
    const base64 = e.ids('binary/sse/base64-');
    const frames = e.ids('binary/ws/binary-');
    const intact = (ids: string[]) => ids.length > 0 && ids.every((id) => e.fact<boolean>(id, 'intact') === true);
    const rawIntact = e.fact<boolean>(raw, 'intact');
    const verdict = rawIntact === true ? 'refuted' : intact(base64) && intact(frames) ? 'confirmed' : 'depends';
    return {
      verdict,
      explanation:
        `Written as raw bytes into an event stream, ${e.bytes(raw, 'payloadTotal')} random bytes reached the page as text that re-encoded to ${e.bytes(raw, 'receivedTotal')} bytes with ${e.fact(raw, 'replacementChars')} U+FFFD replacement characters (hash equal: ${yes(rawIntact)}). ` +
        `Encoded as base64, ${base64.length} sizes arrived with equal hashes: ${yes(intact(base64))}; as WebSocket binary frames (ArrayBuffers), ${frames.length} sizes: ${yes(intact(frames))}. ` +
        closing(verdict, {
          confirmed: 'SSE carries binary only inside a text encoding; WebSocket carries it as is.',
          refuted: 'Raw bytes survived the event stream, so it was not limited to text here: refuted.',
          depends:
            'Raw bytes did not survive the event stream, but not every encoded transfer arrived intact either, so the comparison is open: depends.',
        }),
      figures: {
        rawBytesSent: e.bytes(raw, 'payloadTotal'),
        rawBytesRecovered: e.bytes(raw, 'receivedTotal'),
        replacementChars: e.fact<number>(raw, 'replacementChars') ?? null,
        base64Intact: intact(base64),
        wsIntact: intact(frames),
      },
    };
  },

  'sse-simpler'(e) {
    const lines = (t: string, what: string) => e.count(`reconnect/${t}/code-size`, what);
    const axes: [string, number, number][] = [
      ['server file lines (servers/<t>.ts)', lines('sse', 'serverLines'), lines('ws', 'serverLines')],
      ['Node client file lines (clients/<t>.ts)', lines('sse', 'clientLines'), lines('ws', 'clientLines')],
      [
        'browser reconnect + resume code lines (scenarios/page/lab-page.js)',
        lines('sse', 'browserReconnectLines'),
        lines('ws', 'browserReconnectLines'),
      ],
    ];
    const smaller = axes.filter(([, sse, ws]) => sse < ws).length;
    const larger = axes.filter(([, sse, ws]) => sse > ws).length;
    const verdict = smaller === axes.length ? 'confirmed' : larger === axes.length ? 'refuted' : 'depends';
    const dropped = 'reconnect/sse/retry-500-destroy';
    return {
      verdict,
      explanation:
        `Measured on the lab's own parallel implementations (non-comment lines): ${axes.map(([name, sse, ws]) => `${name}: SSE ${sse}, raw ws ${ws}`).join('; ')}; socket.io: ${lines('socketio', 'serverLines')} server and ${lines('socketio', 'clientLines')} client lines. ` +
        `SSE is smaller on ${smaller} of ${axes.length} counts and larger on ${larger}. In the browser the SSE block is a plain EventSource, which reconnected by itself after a drop (opens: ${e.count(dropped, 'opens')}) and sent Last-Event-ID ${e.fact(dropped, 'lastEventIdSent')}; the raw WebSocket block is its own reconnect and ?since= resume loop. ` +
        `The SSE server imports ${JSON.stringify(e.fact('reconnect/sse/code-size', 'serverPackages'))}, the ws server ${JSON.stringify(e.fact('reconnect/ws/code-size', 'serverPackages'))}. ` +
        closing(verdict, {
          confirmed: 'Every count is smaller for SSE: confirmed, with line counts as a proxy for simplicity.',
          refuted: 'Every count is larger for SSE: refuted, with line counts as a proxy for simplicity.',
          depends: 'Line counts are a proxy for simplicity, and here they point both ways: depends.',
        }),
      figures: Object.fromEntries(
        axes.flatMap(([name, sse, ws]) => [
          [`sse ${name}`, sse],
          [`ws ${name}`, ws],
        ]),
      ),
    };
  },

  'sse-auto-reconnect'(e) {
    const reconnected = SSE_DROPS.filter((id) => e.count(id, 'opens') >= 2);
    const delays = SSE_DROPS.map(
      (id) => `retry ${e.setup(id, 'retryMs') ?? 'not sent'} -> ${ms(e.fact<number>(id, 'reconnectDelayMs'))}`,
    ).join(', ');
    const restarted = e.fact<boolean>('reconnect/sse/restart', 'reconnected');
    const ends = ['204', '500', 'wrong-type'].map((a) => `reconnect/sse/ends-${a}`);
    // Gave up for good: the answer was reached (a second request), then CLOSED and no request after it.
    const stopped = ends.filter((id) => e.count(id, 'requests') >= 2 && e.readyState(id) === 2 && e.count(id, 'requestsAfterAnswer') === 0);
    const control = 'reconnect/sse/ends-control-200';
    const nodeReconnects = e.count('reconnect/sse/node-destroy', 'reconnects');
    const all = reconnected.length === SSE_DROPS.length && restarted === true;
    const verdict = all ? 'confirmed' : reconnected.length > 0 ? 'depends' : 'refuted';
    return {
      verdict,
      explanation:
        `Native EventSource in Chromium reconnected by itself in ${reconnected.length} of ${SSE_DROPS.length} drops (socket destroyed or response ended), with these delays after the drop: ${delays}; after a SIGKILL and restart of the server process it reconnected: ${yes(restarted)}. ` +
        `When the reconnect was answered with something other than a stream: ${ends.map((id) => `${id.split('ends-')[1]}: ${e.count(id, 'requests')} requests, readyState ${esState(e.readyState(id))}, ${e.count(id, 'requestsAfterAnswer')} requests after the answer`).join('; ')} (${stopped.length} of ${ends.length} gave up for good), while a stream that merely ends led to ${e.count(control, 'requestsAfterAnswer')} requests in the same ${e.setup(control, 'watchMs')} ms. ` +
        `The Node eventsource client reconnected ${times(nodeReconnects)} after its socket was destroyed. No library was involved in the browser. ` +
        closing(verdict, {
          confirmed: `EventSource reconnected by itself after every drop seen here: confirmed${stopped.length === ends.length ? ', and it stopped for good on every answer that means "stop"' : ''}.`,
          depends: 'It reconnected after some drops but not all: depends.',
          refuted: 'It reconnected after none of the drops: refuted.',
        }),
      figures: {
        reconnectedDrops: reconnected.length,
        drops: SSE_DROPS.length,
        restartReconnected: restarted ?? null,
        stoppedForGood: stopped.length,
        controlRequests: e.count(control, 'requestsAfterAnswer'),
      },
    };
  },

  'ws-needs-library-to-reconnect'(e) {
    const raw = ['reconnect/ws/destroy', 'reconnect/ws/end'];
    const noReconnect = raw.filter((id) => e.count(id, 'connectionsAfterDrop') === 0 && e.readyState(id) === 3);
    const handWritten = 'reconnect/ws/hand-written-resume';
    const handDelay = e.fact<number | null>(handWritten, 'reconnectDelayMs');
    const io = 'reconnect/socketio/destroy';
    const ioOpens = e.count(io, 'opens');
    const ioRecovered = e.fact<boolean>(io, 'recovered');
    const ioServerDisconnect = e.count('reconnect/socketio/server-disconnect', 'connectionsAfterDrop');
    const ioRestartRecovered = e.fact<boolean>('reconnect/socketio/restart', 'recoveredAfterRestart');
    const verdict = noReconnect.length === raw.length && ioOpens >= 2 ? 'confirmed' : 'refuted';
    const rawCase = (id: string, how: string) =>
      `${how} (close code ${e.fact(id, 'closeCode')}) it ended in readyState ${wsState(e.readyState(id))} and the server saw ${plural(e.count(id, 'connectionsAfterDrop'), 'new connection')} within ${e.fact(id, 'watchedMs')} ms`;
    return {
      verdict,
      explanation:
        `A raw browser WebSocket: ${rawCase('reconnect/ws/destroy', 'after the socket was destroyed')}; ${rawCase('reconnect/ws/end', 'after the server closed it')} (${noReconnect.length} of ${raw.length} stayed down). ` +
        `The lab's hand-written loop (${e.fact(handWritten, 'handWrittenReconnectLines')} lines: reconnect after a delay, resume with ?since=) ${handDelay === null || handDelay === undefined ? 'did not get it back' : `got it back in ${ms(handDelay)}`} with ${e.count(handWritten, 'lost')} lost and ${e.count(handWritten, 'duplicated')} duplicated. ` +
        `socket.io's client opened ${times(ioOpens)} around a destroyed socket${ioOpens >= 2 ? `, reconnecting by itself in ${ms(e.fact<number>(io, 'reconnectDelayMs'))}` : ''}; its connection state recovery ${ioRecovered ? 'recovered the session' : 'did not recover the session'} (lost ${e.count(io, 'lost')}). After the server disconnected it on purpose it made ${plural(ioServerDisconnect, 'new connection')}, and after a server restart its session was recovered: ${yes(ioRestartRecovered)}. ` +
        closing(verdict, {
          confirmed: "A WebSocket comes back only with code for it, a library's or your own: confirmed.",
          refuted: "Either the raw WebSocket came back by itself or socket.io's client did not: refuted.",
          depends: '',
        }),
      figures: {
        rawNoReconnect: noReconnect.length,
        handWrittenLines: e.fact<number>(handWritten, 'handWrittenReconnectLines') ?? null,
        handWrittenLost: e.count(handWritten, 'lost'),
        socketioOpens: ioOpens,
        socketioRecovered: ioRecovered ?? null,
      },
    };
  },

  'sse-event-ids-resume'(e) {
    const headerMatches = SSE_DROPS.filter((id) => {
      const sent = e.fact(id, 'lastEventIdSent');
      return sent !== null && sent !== undefined && sent === e.fact(id, 'lastEventIdBeforeDrop');
    });
    const clean = SSE_DROPS.filter((id) => e.count(id, 'lost') === 0 && e.count(id, 'duplicated') === 0);
    const restart = 'reconnect/sse/restart';
    const restartResumed = e.counter(restart, 'resumedAfterRestart') > 0;
    const all = headerMatches.length === SSE_DROPS.length && clean.length === SSE_DROPS.length;
    const verdict = all && restartResumed ? 'confirmed' : all ? 'depends' : 'refuted';
    const repeated = e.count(restart, 'repeatedSeqs');
    return {
      verdict,
      explanation:
        `On ${headerMatches.length} of ${SSE_DROPS.length} reconnects Chromium sent Last-Event-ID equal to the last id it had seen, and with the lab server's replay buffer the page lost ${SSE_DROPS.reduce((s, id) => s + e.count(id, 'lost'), 0)} and duplicated ${SSE_DROPS.reduce((s, id) => s + e.count(id, 'duplicated'), 0)} quotes across the ${SSE_DROPS.length} drops (${clean.length} clean). ` +
        `After the server process was killed and restarted, the browser sent Last-Event-ID ${e.fact(restart, 'lastEventIdSent')}; the new process resumed from it: ${yes(restartResumed)}. The first quote after the restart had seq ${e.fact(restart, 'firstSeqAfterRestart')} (last seen before the kill: ${e.fact(restart, 'lastSeqBeforeKill')}) and ${plural(repeated, 'quote')} arrived with seqs the page had already seen. ` +
        closing(verdict, {
          confirmed: 'The ids carried the stream over every drop, the restart included: confirmed.',
          depends:
            'The browser does its half on every drop; nothing is lost only while the server keeps the events the ids point to, which the restarted process did not: depends.',
          refuted: 'The ids did not carry the stream over every drop: refuted.',
        }),
      figures: {
        headerMatches: headerMatches.length,
        drops: SSE_DROPS.length,
        cleanDrops: clean.length,
        restartResumed,
        restartRepeatedSeqs: repeated,
      },
    };
  },

  'ws-ignores-cross-origin'(e) {
    const open = 'cross-origin/ws/origin-unchecked';
    const refused = 'cross-origin/ws/origin-refused';
    const ioPolling = 'cross-origin/socketio/polling-first-no-cors';
    const ioWs = 'cross-origin/socketio/websocket-only-no-cors';
    const browserAllowed = e.fact<boolean>(open, 'opened') === true;
    const refusedStatus =
      (e.fact<string[]>(refused, 'console') ?? []).map((t) => /response code: (\d+)/.exec(t)?.[1]).find(Boolean) ?? 'none reported';
    const pollingConnected = e.fact<boolean>(ioPolling, 'connected');
    const pollingCors = (e.fact<string[]>(ioPolling, 'console') ?? []).some((t) => t.includes('CORS policy'));
    const verdict = browserAllowed ? 'confirmed' : 'refuted';
    return {
      verdict,
      explanation:
        `From a page on another origin, Chromium ${browserAllowed ? 'opened' : 'did not open'} a WebSocket to a server that sends no CORS header and checks nothing; the server saw Origin ${e.fact(open, 'originSeen')} and the page's cookie went along: ${yes(e.fact(open, 'cookieSeen'))}. ` +
        `The lab's ws server, whose allowlist (${JSON.stringify(e.setup(refused, 'allowOrigins'))}) lacked that origin, refused ${plural(e.counter(refused, 'refused'), 'upgrade')} (HTTP status in the console: ${refusedStatus}) and the page got close code ${e.fact(refused, 'closeCode')}. ` +
        `To a default socket.io server with no cors option, websocket-only connected: ${yes(e.fact(ioWs, 'connected'))}; polling-first ${pollingConnected ? 'connected' : `did not (first error "${e.fact(ioPolling, 'firstError')}", ${e.count(ioPolling, 'reconnectAttempts')} reconnect attempts in ${e.setup(ioPolling, 'watchMs')} ms${pollingCors ? ', the console naming the CORS policy' : ''})`}. ` +
        closing(verdict, {
          confirmed: 'So "WebSocket can go cross-origin" is true, and it is why a WebSocket server must check Origin itself.',
          refuted: 'The browser itself stopped the cross-origin WebSocket: refuted.',
          depends: '',
        }),
      figures: {
        browserOpenedUnchecked: browserAllowed,
        originSeen: e.fact<string>(open, 'originSeen') ?? null,
        cookieSeen: e.fact<boolean>(open, 'cookieSeen') ?? null,
        refusedCloseCode: e.fact<number>(refused, 'closeCode') ?? null,
        socketioWebsocketOnly: e.fact<boolean>(ioWs, 'connected') ?? null,
        socketioPollingFirst: pollingConnected ?? null,
      },
    };
  },

  'sse-needs-cors-headers'(e) {
    const id = (c: string) => `cross-origin/sse/${c}`;
    const delivered = (c: string) => e.fact<boolean>(id(c), 'delivered') === true;
    const noHeaderFails = !delivered('no-cors-header') && !delivered('no-cors-header-credentials');
    const headerWorks = delivered('acao-star') && delivered('acao-exact') && delivered('acao-exact-credentials');
    const verdict = noHeaderFails && headerWorks ? 'confirmed' : 'refuted';
    const requests = e.count(id('no-cors-header'), 'requests');
    const corsMessage = (e.fact<string[]>(id('no-cors-header'), 'console') ?? []).find((t) => t.includes('CORS'));
    return {
      verdict,
      explanation:
        `Cross-origin, with no Access-Control-Allow-Origin on the response, an EventSource delivered a message: ${yes(delivered('no-cors-header'))} (with credentials: ${yes(delivered('no-cors-header-credentials'))}); it ended in readyState ${esState(e.readyState(id('no-cors-header')))}, the server received ${plural(requests, 'request')}${corsMessage ? ` and the console said: "${corsMessage}"` : ' and the console named no CORS error'}. ` +
        `With \`*\` it delivered without credentials: ${yes(delivered('acao-star'))}; with the exact origin, without and with credentials: ${yes(delivered('acao-exact'))}, ${yes(delivered('acao-exact-credentials'))}. ` +
        closing(verdict, {
          confirmed: 'Delivery followed the header: the server must send it, confirmed.',
          refuted: 'Delivery did not follow the header as claimed: refuted.',
          depends: '',
        }),
      figures: {
        noHeaderDelivered: delivered('no-cors-header'),
        starDelivered: delivered('acao-star'),
        exactDelivered: delivered('acao-exact'),
        exactWithCredentialsDelivered: delivered('acao-exact-credentials'),
        noHeaderRequests: requests,
      },
    };
  },

  'ws-rejects-self-signed-sse-accepts'(e) {
    const settings = [
      'untrusted-default',
      'untrusted-ignore-https-errors',
      'spki-trusted',
      'clicked-through-same-host',
      'clicked-through-other-host',
    ];
    const pairs = settings.map((s) => ({
      s,
      sse: e.fact<boolean>(`self-signed/sse/${s}`, 'opened'),
      ws: e.fact<boolean>(`self-signed/ws/${s}`, 'opened'),
    }));
    const later = {
      sse: e.fact<boolean>('self-signed/sse/accepted-later', 'openedWithoutNewCode'),
      ws: e.fact<boolean>('self-signed/ws/accepted-later', 'openedWithoutNewCode'),
    };
    const sseOnly = pairs.filter((p) => p.sse === true && p.ws !== true).length;
    const wsOnly = pairs.filter((p) => p.ws === true && p.sse !== true).length;
    const laterSseOnly = later.sse === true && later.ws !== true;
    const laterWsOnly = later.ws === true && later.sse !== true;
    // Confirmed: some setting lets SSE through where ws is refused, none the reverse (the accepted-later case included);
    // depends: the settings all agree and only the accepted-later case differs, in SSE's favour; refuted otherwise.
    const verdict =
      sseOnly === 0 && wsOnly === 0 && laterSseOnly ? 'depends' : sseOnly > 0 && wsOnly === 0 && !laterWsOnly ? 'confirmed' : 'refuted';
    const node = ['sse', 'ws', 'socketio'].map((t) => ({
      t,
      none: e.fact<boolean>(`self-signed/${t}/node-default`, 'opened'),
      ca: e.fact<boolean>(`self-signed/${t}/node-ca-option`, 'opened'),
      extra: e.fact<boolean>(`self-signed/${t}/node-extra-ca-certs`, 'opened'),
    }));
    const agree = pairs.filter((p) => p.sse === p.ws).length;
    return {
      verdict,
      explanation:
        `For the same certificate and setting, EventSource and WebSocket got the same answer in ${agree} of ${pairs.length} settings (${pairs.map((p) => `${p.s}: SSE ${openOr(p.sse)}, ws ${openOr(p.ws)}`).join('; ')}). ` +
        `A connection refused first and accepted afterwards in another tab: before accepting, the EventSource was in readyState ${esState(e.fact<number>('self-signed/sse/accepted-later', 'readyStateBeforeAccepting'))} and the WebSocket in ${wsState(e.fact<number>('self-signed/ws/accepted-later', 'readyStateBeforeAccepting'))}; afterwards the EventSource ${later.sse ? `opened by itself ${ms(e.fact<number>('self-signed/sse/accepted-later', 'openedAfterAcceptMs'))} after the acceptance` : 'did not open'} and the WebSocket ${later.ws ? `opened by itself ${ms(e.fact<number>('self-signed/ws/accepted-later', 'openedAfterAcceptMs'))} after it` : 'stayed closed'}. ` +
        `Node clients: no CA -> ${node.map((n) => `${n.t} ${openOr(n.none)}`).join(', ')}; \`ca\` option -> ${node.map((n) => `${n.t} ${openOr(n.ca)}`).join(', ')}; NODE_EXTRA_CA_CERTS -> ${node.map((n) => `${n.t} ${openOr(n.extra)}`).join(', ')}. ` +
        closing(verdict, {
          confirmed: `In ${sseOnly} of the ${pairs.length} settings EventSource got through where WebSocket was refused, and in none the reverse: confirmed.`,
          depends:
            'The certificate decision was the same for both APIs in every setting; what differs is after a refusal: EventSource keeps retrying and opened once the certificate was accepted, a WebSocket fails once and stays closed. That, and a wss:// URL on a host the user never accepted, explain the claim: depends.',
          refuted: `EventSource got through alone in ${sseOnly} of the ${pairs.length} settings and WebSocket alone in ${wsOnly}${laterWsOnly ? '; after a later acceptance only the WebSocket came back' : ''}: refuted.`,
        }),
      figures: {
        settingsAgreeing: agree,
        settings: pairs.length,
        sseOnlySettings: sseOnly,
        wsOnlySettings: wsOnly,
        sseReopenedAfterAccept: later.sse ?? null,
        wsReopenedAfterAccept: later.ws ?? null,
      },
    };
  },

  'sse-heartbeat-comments-needed'(e) {
    const relaySilent = 'idle-heartbeat/sse/relay-silent';
    const relayBeat = 'idle-heartbeat/sse/relay-heartbeat';
    const polySilent = 'polyfill/sse/polyfill-heartbeat-silent';
    const polyBeat = 'polyfill/sse/polyfill-heartbeat-comments';
    const native = 'polyfill/sse/native-silent';
    const wsSilent = 'idle-heartbeat/ws/relay-silent';
    const nativeReopened = e.count(native, 'reopened');
    const silentCuts = e.count(relaySilent, 'idleCuts');
    const beatCuts = e.count(relayBeat, 'idleCuts');
    const wsCuts = e.count(wsSilent, 'idleCuts');
    const needed = silentCuts > 0 || e.count(polySilent, 'reopened') > 0;
    const commentsHelp = beatCuts === 0 && e.count(polyBeat, 'reopened') === 0;
    const verdict = needed && commentsHelp ? (nativeReopened === 0 ? 'depends' : 'confirmed') : 'refuted';
    const beatMs = e.setup(relayBeat, 'heartbeatMs');
    return {
      verdict,
      explanation:
        `With no intermediary, Chromium's own EventSource reopened a silent stream ${times(nativeReopened)} in ${e.setup(native, 'watchMs')} ms. ` +
        `Through a relay with a ${e.setup(relaySilent, 'idleTimeoutMs')} ms idle timeout the silent stream was cut ${times(silentCuts)} in ${e.setup(relaySilent, 'watchMs')} ms (the EventSource opened ${times(e.count(relaySilent, 'opens'))}); with a \`:\` comment every ${beatMs} ms the relay ${beatCuts === 0 ? 'never cut it' : `cut it ${times(beatCuts)}`}. ` +
        `event-source-polyfill, with heartbeatTimeout set to ${e.setup(polySilent, 'heartbeatTimeoutMs')} ms (its source's default: ${e.fact(polySilent, 'polyfillDefaultHeartbeatTimeoutMs')} ms), aborted and reopened the silent stream ${times(e.count(polySilent, 'reopened'))} and the stream with comments ${times(e.count(polyBeat, 'reopened'))}. ` +
        `A raw WebSocket through the same relay was cut ${times(wsCuts)}${wsCuts > 0 ? ` and came back by itself: ${yes(e.fact(wsSilent, 'reconnectedByItself'))}` : ''}; with ping frames it was cut ${times(e.count('idle-heartbeat/ws/relay-heartbeat', 'idleCuts'))}. ` +
        closing(verdict, {
          confirmed: 'Silence was cut even with no intermediary, and comments kept the stream: confirmed.',
          depends:
            'The browser itself needs no comments; a proxy or the polyfill that times out silence does, and comments kept the stream: depends on what sits in between.',
          refuted: 'Silent streams were not cut, or comments did not keep them open: refuted.',
        }),
      figures: {
        nativeReopened,
        relaySilentCuts: silentCuts,
        relayCommentCuts: beatCuts,
        polyfillSilentReopened: e.count(polySilent, 'reopened'),
        polyfillCommentsReopened: e.count(polyBeat, 'reopened'),
      },
    };
  },

  'seed-credentials-with-wildcard-cors'(e) {
    const native = 'cross-origin/sse/acao-star-credentials';
    const poly = 'cross-origin/sse/seed-article-a-polyfill';
    const nativeOk = e.fact<boolean>(native, 'delivered');
    const polyOk = e.fact<boolean>(poly, 'delivered');
    const message = (e.fact<string[]>(native, 'console') ?? []).find((t) => t.includes('wildcard'));
    const nativeRequests = e.count(native, 'requests');
    const verdict = nativeOk === false && polyOk === false ? 'refuted' : nativeOk && polyOk ? 'confirmed' : 'depends';
    const starOk = e.fact<boolean>('cross-origin/sse/acao-star', 'delivered');
    const exactOk = e.fact<boolean>('cross-origin/sse/acao-exact-credentials', 'delivered');
    return {
      verdict,
      explanation:
        `Article A's combination, \`Access-Control-Allow-Origin: *\` with withCredentials: true, cross-origin: native EventSource ${nativeOk ? 'received a' : 'got no'} message (readyState ${esState(e.readyState(native))}, ${plural(nativeRequests, 'request')}) and event-source-polyfill, the article's client, ${polyOk ? 'received a' : 'got no'} message (${plural(e.count(poly, 'requests'), 'request')} in ${e.setup(poly, 'watchMs')} ms). ` +
        `${message ? `Chromium's console said: "${message}". ` : "Chromium's console named no wildcard error. "}The same server with \`*\` delivered without credentials: ${yes(starOk)}; with the exact origin plus Access-Control-Allow-Credentials it delivered with them: ${yes(exactOk)} (see sse-needs-cors-headers). ` +
        closing(verdict, {
          refuted:
            "Neither client got anything, so the article's setup can only have worked same-origin, where CORS does not apply: refuted.",
          confirmed: 'Both clients received messages: confirmed.',
          depends: 'One client received messages and the other did not: depends on the client.',
        }),
      figures: { nativeDelivered: nativeOk ?? null, polyfillDelivered: polyOk ?? null, polyfillRequests: e.count(poly, 'requests') },
    };
  },

  'sse-base64-costs-bandwidth'(e) {
    const sizes = e
      .ids('binary/sse/base64-')
      .map((id) => Number(id.split('-').at(-1)))
      .sort((a, b) => a - b);
    const ratio = (t: string, size: number) =>
      e.fact<number>(`binary/${t}/${t === 'sse' ? 'base64' : 'binary'}-${size}`, 'wireToPayloadRatio') ?? Number.NaN;
    const rows = sizes.map((size) => ({ size, sse: ratio('sse', size), ws: ratio('ws', size), io: ratio('socketio', size) }));
    const costlier = rows.filter((r) => r.sse > r.ws);
    const largest = rows.at(-1);
    const smallest = rows[0];
    const verdict = rows.length > 0 && costlier.length === rows.length ? 'confirmed' : costlier.length > 0 ? 'depends' : 'refuted';
    return {
      verdict,
      explanation:
        `Bytes on the wire per byte of random payload, from the server socket's counters: ${rows.map((r) => `${r.size} B: SSE base64 ${r.sse}, WebSocket ${r.ws}, socket.io ${r.io}`).join('; ')}. ` +
        `SSE cost more than WebSocket at ${costlier.length} of ${rows.length} sizes. ` +
        (largest && smallest
          ? `At the largest size (${largest.size} B) SSE cost ${largest.sse} per byte against base64's own 4/3 = 1.333, WebSocket ${largest.ws}; at the smallest (${smallest.size} B) socket.io's binary emit cost ${smallest.io}, ${smallest.io > smallest.sse ? 'more' : 'no more'} than SSE base64 (${smallest.sse}). `
          : '') +
        closing(verdict, {
          confirmed: 'Base64 over SSE cost more bandwidth than WebSocket binary at every size: confirmed.',
          depends: 'It cost more at some sizes and not at others: depends on the message size.',
          refuted: 'SSE base64 cost no more than WebSocket binary at any size: refuted.',
        }),
      figures: Object.fromEntries(
        rows.flatMap((r) => [
          [`sse ${r.size}`, r.sse],
          [`ws ${r.size}`, r.ws],
          [`socketio ${r.size}`, r.io],
        ]),
      ),
    };
  },

  'sse-six-connections-per-origin'(e) {
    const h1 = 'connection-limit/sse/http1-eventsources';
    const h2 = 'connection-limit/sse/http2-eventsources';
    const ws = 'connection-limit/ws/websockets';
    const CLAIMED = 6;
    const asked1 = e.setup<number>(h1, 'asked') ?? Number.NaN;
    const asked2 = e.setup<number>(h2, 'asked') ?? Number.NaN;
    const opened1 = e.count(h1, 'opened');
    const streams1 = e.count(h1, 'serverStreams');
    const opened2 = e.count(h2, 'opened');
    // A cap: fewer opened than asked, and the page and the server agree on how many streams were open.
    const capped = opened1 < asked1 && opened1 === streams1;
    const lifted = opened2 === asked2 && e.count(h2, 'serverStreams') === asked2;
    const verdict = capped && opened1 === CLAIMED && lifted ? 'confirmed' : capped ? 'depends' : 'refuted';
    const otherOrigin = e.fact<{ status?: number }>(h1, 'otherOriginFetch');
    const fetched1 = e.fact<boolean>(h1, 'sameOriginFetchCompleted');
    const afterClose = e.fact<string[]>(h1, 'whatOpenedAfterClosingOne') ?? [];
    return {
      verdict,
      explanation:
        `Over HTTP/1.1, Chromium opened ${opened1} of ${asked1} EventSources to one origin and the server held ${streams1} streams; ${asked1 - opened1} waited. ` +
        `While they were open, a fetch to the same origin ${fetched1 ? 'completed' : `did not complete in ${e.setup(h1, 'fetchTimeoutMs')} ms`}, an EventSource in a second tab of the same profile opened: ${yes(e.fact(h1, 'secondTabEventSourceOpened'))}, a fetch to another port (another origin) answered ${otherOrigin?.status ?? 'nothing'}, and a WebSocket to the same host and port opened: ${yes(e.fact(h1, 'websocketSameHostPortOpened'))}; ${e.count(ws, 'opened')} of ${e.setup(ws, 'asked')} WebSockets opened to one host and port with a fetch completing beside them: ${yes(e.fact(ws, 'sameOriginFetchCompleted'))}. Closing one EventSource let ${afterClose.length > 0 ? `${JSON.stringify(afterClose)} open` : 'none of the waiting ones open'}. ` +
        `Over HTTP/2 (ALPN per connection: ${JSON.stringify(e.fact(h2, 'alpnProtocols'))}), ${opened2} of ${asked2} opened and the server held ${e.count(h2, 'serverStreams')} streams (per TLS connection: ${JSON.stringify(e.fact(h2, 'streamsPerSession'))}; ${e.count(h2, 'sessionsCarryingStreams')} of the ${e.count(h2, 'serverSessions')} connections Chromium opened carried requests), and a fetch completed: ${yes(e.fact(h2, 'sameOriginFetchCompleted'))}. ` +
        closing(verdict, {
          confirmed: `HTTP/1.1 capped the origin at ${CLAIMED} EventSources and HTTP/2 lifted it: confirmed.`,
          depends: `HTTP/1.1 capped the origin at ${opened1} EventSources${opened1 === CLAIMED ? '' : `, not the claimed ${CLAIMED}`}${lifted ? '' : ', and HTTP/2 did not lift the cap'}: depends.`,
          refuted: 'No per-origin cap showed over HTTP/1.1 (or the page and the server disagree on the open streams): refuted.',
        }),
      figures: {
        http1Opened: opened1,
        http1ServerStreams: streams1,
        asked: asked1,
        http2Opened: opened2,
        http2Sessions: e.count(h2, 'serverSessions'),
        http2SessionsCarryingStreams: e.count(h2, 'sessionsCarryingStreams'),
        websocketsOpened: e.count(ws, 'opened'),
      },
    };
  },

  'sse-named-events-need-listener'(e) {
    const ids = ['polyfill/sse/seed-b-native', 'polyfill/sse/seed-b-polyfill'];
    const rows = ids.map((id) => ({ id, onmessage: e.count(id, 'onmessage'), listener: e.count(id, 'serverTimeListener') }));
    const verdict = rows.every((r) => r.onmessage === 0 && r.listener > 0) ? 'confirmed' : 'refuted';
    const afterDrop = e.count(ids[0]!, 'requestsAfterDrop');
    const watched = e.setup(ids[0]!, 'watchAfterDropMs');
    return {
      verdict,
      explanation:
        `Against article B's ssestream-style server (every event has \`event: ${e.setup(ids[0]!, 'eventName')}\`, first write \`${e.setup(ids[0]!, 'firstWrite')}\`, a comment), onmessage fired ${times(rows[0]!.onmessage)} while addEventListener('${e.setup(ids[0]!, 'eventName')}') fired ${times(rows[0]!.listener)} in native EventSource, and ${rows[1]!.onmessage} vs ${rows[1]!.listener} with event-source-polyfill. ` +
        `Its \`retry: ${e.setup(ids[0]!, 'retryMs')}\` governs a dropped client: ${afterDrop === 0 ? 'no reconnect was seen' : `${plural(afterDrop, 'request')} came`} within ${watched} ms of the drop. ` +
        closing(verdict, {
          confirmed: 'onmessage only receives events with no event field (type "message"); named events need a listener: confirmed.',
          refuted: 'onmessage received the named events, or the listener did not: refuted.',
          depends: '',
        }),
      figures: Object.fromEntries(
        rows.flatMap((r) => [
          [`${r.id} onmessage`, r.onmessage],
          [`${r.id} listener`, r.listener],
        ]),
      ),
    };
  },

  'polyfill-sends-last-id-as-query'(e) {
    const poly = 'polyfill/sse/polyfill-reconnect';
    const native = 'polyfill/sse/native-reconnect';
    const query = e.fact<string | null>(poly, 'lastEventIdQuery');
    const header = e.fact<string | null>(poly, 'lastEventIdHeader');
    const verdict = query !== null && query !== undefined && header === null ? 'confirmed' : 'refuted';
    const polyAuth = e.fact<string | null>('polyfill/sse/polyfill-authorization-header', 'authorizationReceived');
    const nativeAuth = e.fact<string | null>('polyfill/sse/native-authorization-header', 'authorizationReceived');
    return {
      verdict,
      explanation:
        `On reconnect event-source-polyfill requested "${e.fact(poly, 'reconnectPath')}" with Last-Event-ID header ${header ?? 'absent'}, where native EventSource requested "${e.fact(native, 'reconnectPath')}" with Last-Event-ID: ${e.fact(native, 'lastEventIdHeader')}. ` +
        `The lab server reads both; the polyfill lost ${e.count(poly, 'lost')} and native EventSource ${e.count(native, 'lost')} quotes over the drop. ` +
        `The polyfill waited ${ms(e.fact<number>(poly, 'reconnectDelayMs'))} where the server asked for ${e.setup(poly, 'retryMs')} ms (native: ${ms(e.fact<number>(native, 'reconnectDelayMs'))}). Asked to send an Authorization header, the server received "${polyAuth ?? 'nothing'}" from the polyfill and ${nativeAuth ?? 'nothing'} from native EventSource. ` +
        closing(verdict, {
          confirmed:
            'The polyfill carried the last id in the query, not the header, so a server that reads only the header would restart its stream: confirmed.',
          refuted: 'The polyfill did not carry the last id as a query parameter alone: refuted.',
          depends: '',
        }),
      figures: {
        polyfillQuery: query ?? null,
        polyfillHeader: header ?? null,
        nativeHeader: e.fact<string>(native, 'lastEventIdHeader') ?? null,
        polyfillDelayMs: e.fact<number>(poly, 'reconnectDelayMs') ?? null,
      },
    };
  },
};

/** Every claim this producer decides, with its verdict computed from `records`. */
export function computeVerdicts(records: readonly ScenarioRecord[], date = new Date().toISOString()): ClaimResult[] {
  return (Object.keys(RULES) as ClaimId[]).map((id) => {
    const evidence = new Evidence(records);
    let decision: Decision | undefined;
    let failure: string | undefined;
    try {
      decision = RULES[id]!(evidence);
    } catch (error) {
      failure = (error as Error).message;
    }
    const used = [...evidence.used, ...evidence.missing];
    if (!decision || evidence.missing.size > 0) {
      const why =
        evidence.missing.size > 0
          ? `the records it rests on did not run or were not observed: ${[...evidence.missing].join(', ')}`
          : `its rule failed: ${failure}`;
      return {
        id,
        verdict: 'not-run',
        explanation: `Not decided: ${why}. Run \`npm run scenarios\` with Chromium installed.`,
        records: used,
        decidedBy: 'scenarios',
        date,
      };
    }
    return {
      id,
      verdict: decision.verdict,
      explanation: decision.explanation,
      records: used,
      figures: decision.figures,
      decidedBy: 'scenarios',
      date,
    };
  });
}

/** The claim ids the scenarios decide (all but the load runner's). */
export const DECIDED_CLAIMS = Object.keys(RULES) as ClaimId[];
