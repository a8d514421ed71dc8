/**
 * Verdicts on the claims, computed from the observed records: for each claim, the rule that
 * decides it reads named facts of named records and says confirmed / refuted / depends, with a
 * paragraph built from the observed numbers and the record ids it used. A claim whose records
 * did not run (no browser, a failed case) gets `not-run`, never a guess. `ws-heavier-than-sse`
 * is left to the load runner.
 *
 * Each rule is written out below so a reader can check it against the records by hand.
 */
import type { ClaimId, ClaimResult, Verdict } from '../scripts/claims.ts';
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

  fact<T extends Json>(id: string, name: string): T | undefined {
    return this.record(id)?.observed.facts?.[name] as T | undefined;
  }

  count(id: string, name: string): number {
    return this.record(id)?.observed.counts?.[name] ?? Number.NaN;
  }

  bytes(id: string, name: string): number {
    return this.record(id)?.observed.bytes?.[name] ?? Number.NaN;
  }

  /** Ids present among the observed records that start with this prefix (none: the prefix counts as missing). */
  ids(prefix: string): string[] {
    const ids = [...this.#byId.keys()].filter((id) => id.startsWith(prefix));
    if (ids.length === 0) this.missing.add(`${prefix}*`);
    return ids;
  }
}

const ms = (value: number | null | undefined) => (value === null || value === undefined || Number.isNaN(value) ? 'n/a' : `${Math.round(value)} ms`);
const yes = (b: boolean | undefined) => (b ? 'yes' : 'no');
const times = (n: number) => (n === 1 ? '1 time' : `${n} times`);

const RULES: Partial<Record<ClaimId, (e: Evidence) => Decision>> = {
  'ws-tcp-sse-http'(e) {
    const ws = 'direction/ws/round-trips';
    const sse = 'direction/sse/round-trips';
    const wsStatus = e.fact<string>(ws, 'responseStatusLine') ?? '';
    const wsRequests = e.fact<number>(ws, 'httpRequestsOnConnection');
    const wsFrameBytes = e.fact<number>(ws, 'clientBytesAfterRequestHead') ?? 0;
    const sseStatus = e.fact<string>(sse, 'responseStatusLine') ?? '';
    const sseType = e.fact<string>(sse, 'responseContentType') ?? '';
    const wsLeavesHttp = wsStatus.includes(' 101 ') && wsRequests === 1 && wsFrameBytes > 0;
    const sseIsHttp = sseStatus.includes(' 200 ') && sseType.startsWith('text/event-stream');
    return {
      verdict: wsLeavesHttp && sseIsHttp ? 'confirmed' : 'refuted',
      explanation:
        `Both ran over one TCP connection each, and both began with an HTTP/1.1 GET: the WebSocket's was "${e.fact(ws, 'requestLine')}" with Upgrade: ${e.fact(ws, 'upgradeHeader')}, answered "${wsStatus}"; the EventSource's was "${e.fact(sse, 'requestLine')}", answered "${sseStatus}" with Content-Type ${sseType}. ` +
        `After the 101 the WebSocket connection carried ${wsFrameBytes} more bytes from the page and no further HTTP request (${wsRequests} request on it), i.e. WebSocket frames, while the SSE stream stayed one HTTP response. ` +
        `So WebSocket is its own protocol on TCP that starts with an HTTP handshake (and so shares ports and proxies with HTTP), and SSE is plain HTTP: the claim holds in that sense, not in the sense that WebSocket has nothing to do with HTTP.`,
      figures: { wsStatus, wsHttpRequestsOnConnection: wsRequests ?? null, wsClientFrameBytes: wsFrameBytes, sseStatus, sseContentType: sseType },
    };
  },

  'sse-one-way'(e) {
    const sse = 'direction/sse/round-trips';
    const ws = 'direction/ws/round-trips';
    const io = 'direction/socketio/round-trips';
    const esSend = e.fact<string>(sse, 'eventSourceSend');
    const wsSend = e.fact<string>(sse, 'webSocketSend');
    const upstreamOnStream = e.fact<number>(sse, 'streamBytesFromClientAfterRequest');
    const rtt = (id: string) => (e.fact<Record<string, number>>(id, 'rttMs') ?? {}).p50;
    const confirmed = esSend === 'undefined' && wsSend === 'function' && upstreamOnStream === 0;
    return {
      verdict: confirmed ? 'confirmed' : 'refuted',
      explanation:
        `In Chromium EventSource.prototype.send is ${esSend} and WebSocket.prototype.send is ${wsSend}; on the SSE stream's connection the page sent ${upstreamOnStream} bytes after its request head. ` +
        `Client-to-server data therefore has to travel in separate HTTP requests: a fetch POST round trip beside the open stream cost ${e.bytes(sse, 'perRoundTrip')} bytes on the wire (p50 ${rtt(sse)} ms in the page, ${e.fact(sse, 'preflights')} CORS preflight cached during warm-up), against ${e.bytes(ws, 'perRoundTrip')} bytes (p50 ${rtt(ws)} ms) for a WebSocket message and ${e.bytes(io, 'perRoundTrip')} bytes (p50 ${rtt(io)} ms) for a socket.io emit with ack. ` +
        `The stream is one-way; an application using SSE is not, it pays HTTP headers per upstream message.`,
      figures: { eventSourceSend: esSend ?? null, streamUpstreamBytes: upstreamOnStream ?? null, sseFetchBytesPerRoundTrip: e.bytes(sse, 'perRoundTrip'), wsBytesPerRoundTrip: e.bytes(ws, 'perRoundTrip'), socketioBytesPerRoundTrip: e.bytes(io, 'perRoundTrip'), sseFetchP50Ms: rtt(sse) ?? null, wsP50Ms: rtt(ws) ?? null },
    };
  },

  'sse-text-only'(e) {
    const raw = 'binary/sse/raw-text-4096';
    const base64 = e.ids('binary/sse/base64-');
    const frames = e.ids('binary/ws/binary-');
    const intact = (ids: string[]) => ids.length > 0 && ids.every((id) => e.fact<boolean>(id, 'intact') === true);
    const rawIntact = e.fact<boolean>(raw, 'intact');
    const confirmed = rawIntact === false && intact(base64) && intact(frames);
    return {
      verdict: confirmed ? 'confirmed' : rawIntact === true ? 'refuted' : 'depends',
      explanation:
        `Written as raw bytes into an event stream, ${e.bytes(raw, 'payloadTotal')} random bytes reached the page as text that re-encoded to ${e.bytes(raw, 'receivedTotal')} bytes with ${e.fact(raw, 'replacementChars')} U+FFFD replacement characters (hash equal: ${yes(rawIntact)}): the stream is UTF-8 text and line breaks in the data end fields. ` +
        `Encoded as base64 every size arrived intact (${base64.length} sizes, hash equal: ${yes(intact(base64))}), and WebSocket binary frames delivered ArrayBuffers intact (${frames.length} sizes, hash equal: ${yes(intact(frames))}). ` +
        `SSE carries binary only inside a text encoding; WebSocket carries it as is.`,
      figures: { rawBytesSent: e.bytes(raw, 'payloadTotal'), rawBytesRecovered: e.bytes(raw, 'receivedTotal'), replacementChars: e.fact<number>(raw, 'replacementChars') ?? null, base64Intact: intact(base64), wsIntact: intact(frames) },
    };
  },

  'sse-simpler'(e) {
    const lines = (t: string, what: string) => e.count(`reconnect/${t}/code-size`, what);
    const reconnectLines = lines('ws', 'browserReconnectLines');
    const sseReconnected = e.count('reconnect/sse/retry-500-destroy', 'opens') >= 2;
    const axes: [string, number, number][] = [
      ['server file lines (servers/<t>.ts)', lines('sse', 'serverLines'), lines('ws', 'serverLines')],
      ['Node client file lines (clients/<t>.ts)', lines('sse', 'clientLines'), lines('ws', 'clientLines')],
      // EventSource reconnected and resumed with no page code for it (observed in reconnect/sse/retry-500-destroy).
      ['browser reconnect + resume code lines', sseReconnected ? 0 : Number.NaN, reconnectLines],
    ];
    const smaller = axes.filter(([, sse, ws]) => sse < ws).length;
    const larger = axes.filter(([, sse, ws]) => sse > ws).length;
    const verdict = smaller === axes.length ? 'confirmed' : larger === axes.length ? 'refuted' : 'depends';
    const socketio = `socket.io: ${lines('socketio', 'serverLines')} server and ${lines('socketio', 'clientLines')} client lines, reconnection built into its client library`;
    return {
      verdict,
      explanation:
        `Measured on the lab's own parallel implementations (non-comment lines): ${axes.map(([name, sse, ws]) => `${name}: SSE ${sse}, raw ws ${ws}`).join('; ')}; ${socketio}. ` +
        `SSE is smaller on ${smaller} of ${axes.length} counts and larger on ${larger}. The browser side is where SSE saves most: EventSource reconnected and sent Last-Event-ID with no page code, while a raw WebSocket page needs its own reconnect and ?since= resume loop. ` +
        `The server side is a wash: the SSE server needs only HTTP (the lab's uses ${JSON.stringify(e.fact('reconnect/sse/code-size', 'serverPackages'))}) but also carries a separate upstream endpoint and CORS, the ws server needs a WebSocket library (${JSON.stringify(e.fact('reconnect/ws/code-size', 'serverPackages'))}). Line counts are a proxy for simplicity, so this stays "depends" unless every count points the same way.`,
      figures: Object.fromEntries(axes.flatMap(([name, sse, ws]) => [[`sse ${name}`, sse], [`ws ${name}`, ws]])),
    };
  },

  'sse-auto-reconnect'(e) {
    const drops = ['retry-100-destroy', 'retry-500-destroy', 'retry-1000-destroy', 'retry-none-destroy', 'retry-500-end'].map((c) => `reconnect/sse/${c}`);
    const reconnected = drops.filter((id) => e.count(id, 'opens') >= 2);
    const delays = drops.map((id) => `retry ${e.fact(id, 'retryMs') ?? 'not sent'} -> ${ms(e.fact<number>(id, 'reconnectDelayMs'))}`).join(', ');
    const restarted = e.fact<boolean>('reconnect/sse/restart', 'reconnected');
    const ends = ['204', '500', 'wrong-type'].map((a) => `reconnect/sse/ends-${a}`);
    const stopped = ends.filter((id) => e.record(id)?.observed.readyState === 2 && e.count(id, 'requestsAfterAnswer') === 0);
    const control = e.count('reconnect/sse/ends-control-200', 'requestsAfterAnswer');
    const all = reconnected.length === drops.length && restarted === true;
    return {
      verdict: all ? 'confirmed' : reconnected.length > 0 ? 'depends' : 'refuted',
      explanation:
        `Native EventSource in Chromium reconnected by itself in ${reconnected.length} of ${drops.length} drops (socket destroyed or response ended), after the server's retry value (${delays}; with no retry line Chromium waited its default), and after a SIGKILL and restart of the server process (reconnected: ${yes(restarted)}). ` +
        `It gives up for good on some answers: after a 204, a 500 and a 200 with Content-Type text/plain it went to readyState CLOSED and sent no further request (${stopped.length} of ${ends.length}), while a stream that merely ends keeps it reconnecting (${control} requests in the same 1.5 s). ` +
        `The Node eventsource client did the same (reconnects: ${e.count('reconnect/sse/node-destroy', 'reconnects')}). No library was involved in the browser.`,
      figures: { reconnectedDrops: reconnected.length, drops: drops.length, restartReconnected: restarted ?? null, stoppedForGood: stopped.length, controlRequests: control },
    };
  },

  'ws-needs-library-to-reconnect'(e) {
    const raw = ['reconnect/ws/destroy', 'reconnect/ws/end'];
    const noReconnect = raw.filter((id) => e.count(id, 'connectionsAfterDrop') === 0 && e.record(id)?.observed.readyState === 3);
    const handWritten = 'reconnect/ws/hand-written-resume';
    const io = 'reconnect/socketio/destroy';
    const ioRecovered = e.fact<boolean>(io, 'recovered');
    const ioServerDisconnect = e.count('reconnect/socketio/server-disconnect', 'connectionsAfterDrop');
    const confirmed = noReconnect.length === raw.length && e.count(io, 'opens') >= 2;
    return {
      verdict: confirmed ? 'confirmed' : 'refuted',
      explanation:
        `A raw browser WebSocket did not come back: after the socket was destroyed (close code ${e.fact('reconnect/ws/destroy', 'closeCode')}) or closed by the server (code ${e.fact('reconnect/ws/end', 'closeCode')}) it stayed CLOSED and the server saw no new connection within ${e.fact('reconnect/ws/destroy', 'watchedMs')} ms (${noReconnect.length} of ${raw.length}). ` +
        `The lab's hand-written loop (${e.fact(handWritten, 'handWrittenReconnectLines')} lines: reconnect after a delay, resume with ?since=) got it back in ${ms(e.fact<number>(handWritten, 'reconnectDelayMs'))} with ${e.count(handWritten, 'lost')} lost and ${e.count(handWritten, 'duplicated')} duplicated. ` +
        `socket.io's client reconnected by itself in ${ms(e.fact<number>(io, 'reconnectDelayMs'))} and its connection state recovery replayed the missed quotes (recovered: ${yes(ioRecovered)}, lost ${e.count(io, 'lost')}); it did not reconnect after the server disconnected it on purpose (${ioServerDisconnect} new connections), nor recover its session after a server restart (recovered: ${yes(e.fact<boolean>('reconnect/socketio/restart', 'recoveredAfterRestart'))}).`,
      figures: { rawNoReconnect: noReconnect.length, handWrittenLines: e.fact<number>(handWritten, 'handWrittenReconnectLines') ?? null, handWrittenLost: e.count(handWritten, 'lost'), socketioRecovered: ioRecovered ?? null },
    };
  },

  'sse-event-ids-resume'(e) {
    const drops = ['retry-100-destroy', 'retry-500-destroy', 'retry-1000-destroy', 'retry-none-destroy', 'retry-500-end'].map((c) => `reconnect/sse/${c}`);
    const headerMatches = drops.filter((id) => e.fact(id, 'lastEventIdSent') !== null && e.fact(id, 'lastEventIdSent') === e.fact(id, 'lastEventIdBeforeDrop'));
    const clean = drops.filter((id) => e.count(id, 'lost') === 0 && e.count(id, 'duplicated') === 0);
    const restart = 'reconnect/sse/restart';
    const restartResumed = (e.record(restart)?.observed.server?.counters?.resumedAfterRestart ?? 0) > 0;
    const all = headerMatches.length === drops.length && clean.length === drops.length;
    return {
      verdict: all && restartResumed ? 'confirmed' : all ? 'depends' : 'refuted',
      explanation:
        `On every reconnect Chromium sent Last-Event-ID equal to the last id it had seen (${headerMatches.length} of ${drops.length}), and with the lab server's replay buffer the page lost ${drops.reduce((s, id) => s + e.count(id, 'lost'), 0)} and duplicated ${drops.reduce((s, id) => s + e.count(id, 'duplicated'), 0)} quotes across all ${drops.length} drops (${clean.length} clean). ` +
        `That is the browser's half. The other half is the server's: after the server process was killed and restarted, the browser sent Last-Event-ID ${e.fact(restart, 'lastEventIdSent')} but the new process had no history (resumed: ${yes(restartResumed)}), the stream started over at seq ${e.fact(restart, 'firstSeqAfterRestart')} and ${e.count(restart, 'repeatedSeqs')} quotes arrived with seqs the page had already seen. ` +
        `Nothing is lost only while the server keeps the events the ids point to.`,
      figures: { headerMatches: headerMatches.length, drops: drops.length, cleanDrops: clean.length, restartResumed, restartRepeatedSeqs: e.count(restart, 'repeatedSeqs') },
    };
  },

  'ws-ignores-cross-origin'(e) {
    const open = 'cross-origin/ws/origin-unchecked';
    const refused = 'cross-origin/ws/origin-refused';
    const ioPolling = 'cross-origin/socketio/polling-first-no-cors';
    const ioWs = 'cross-origin/socketio/websocket-only-no-cors';
    const browserAllowed = e.fact<boolean>(open, 'opened') === true;
    return {
      verdict: browserAllowed ? 'confirmed' : 'refuted',
      explanation:
        `From a page on another origin, Chromium opened a WebSocket to a server that sends no CORS header and checks nothing (opened: ${yes(browserAllowed)}); the server saw Origin ${e.fact(open, 'originSeen')} and the page's cookie went along (${yes(e.fact(open, 'cookieSeen'))}). ` +
        `The browser applies no CORS to WebSocket; the decision is the server's: the lab's ws server, whose allowlist lacked that origin, answered the upgrade with 403 and the page got close code ${e.fact(refused, 'closeCode')}. ` +
        `socket.io shows both sides: to a default socket.io server with no cors option, websocket-only connected (${yes(e.fact(ioWs, 'connected'))}) while polling-first failed its CORS check (${e.fact(ioPolling, 'firstError')}, ${e.count(ioPolling, 'reconnectAttempts')} retries in 1.5 s). ` +
        `So "WebSocket can go cross-origin" is true, and it is why a WebSocket server must check Origin itself.`,
      figures: { browserOpenedUnchecked: browserAllowed, originSeen: e.fact<string>(open, 'originSeen') ?? null, cookieSeen: e.fact<boolean>(open, 'cookieSeen') ?? null, refusedCloseCode: e.fact<number>(refused, 'closeCode') ?? null, socketioWebsocketOnly: e.fact<boolean>(ioWs, 'connected') ?? null, socketioPollingFirst: e.fact<boolean>(ioPolling, 'connected') ?? null },
    };
  },

  'sse-needs-cors-headers'(e) {
    const id = (c: string) => `cross-origin/sse/${c}`;
    const delivered = (c: string) => e.fact<boolean>(id(c), 'delivered') === true;
    const noHeaderFails = !delivered('no-cors-header') && !delivered('no-cors-header-credentials');
    const headerWorks = delivered('acao-star') && delivered('acao-exact') && delivered('acao-exact-credentials');
    return {
      verdict: noHeaderFails && headerWorks ? 'confirmed' : 'refuted',
      explanation:
        `Cross-origin, an EventSource whose response had no Access-Control-Allow-Origin delivered nothing (with and without credentials; readyState ${e.record(id('no-cors-header'))?.observed.readyState}, the console said: "${String((e.fact<string[]>(id('no-cors-header'), 'console') ?? []).find((t) => t.includes('CORS')) ?? '')}"), although the server had received the request and sent the stream. ` +
        `With \`*\` it worked without credentials (${yes(delivered('acao-star'))}); with the exact origin it worked without and with credentials (${yes(delivered('acao-exact'))}, ${yes(delivered('acao-exact-credentials'))}). ` +
        `A refused EventSource did not retry (requests: ${e.count(id('no-cors-header'), 'requests')}). The server must send the header: confirmed.`,
      figures: { noHeaderDelivered: delivered('no-cors-header'), starDelivered: delivered('acao-star'), exactDelivered: delivered('acao-exact'), exactWithCredentialsDelivered: delivered('acao-exact-credentials') },
    };
  },

  'ws-rejects-self-signed-sse-accepts'(e) {
    const settings = ['untrusted-default', 'untrusted-ignore-https-errors', 'spki-trusted', 'clicked-through-same-host', 'clicked-through-other-host'];
    const pairs = settings.map((s) => ({ s, sse: e.fact<boolean>(`self-signed/sse/${s}`, 'opened'), ws: e.fact<boolean>(`self-signed/ws/${s}`, 'opened') }));
    const agree = pairs.filter((p) => p.sse === p.ws);
    const later = { sse: e.fact<boolean>('self-signed/sse/accepted-later', 'openedWithoutNewCode'), ws: e.fact<boolean>('self-signed/ws/accepted-later', 'openedWithoutNewCode') };
    const node = ['sse', 'ws', 'socketio'].map((t) => ({ t, none: e.fact<boolean>(`self-signed/${t}/node-default`, 'opened'), ca: e.fact<boolean>(`self-signed/${t}/node-ca-option`, 'opened'), extra: e.fact<boolean>(`self-signed/${t}/node-extra-ca-certs`, 'opened') }));
    const everywhereSame = agree.length === pairs.length;
    return {
      verdict: everywhereSame ? 'refuted' : 'depends',
      explanation:
        `For the same certificate and setting, EventSource and WebSocket got the same answer in ${agree.length} of ${pairs.length} settings (${pairs.map((p) => `${p.s}: SSE ${p.sse ? 'open' : 'refused'}, ws ${p.ws ? 'open' : 'refused'}`).join('; ')}). ` +
        `Chromium's certificate decision is per host name, not per API: after "Proceed" on https://localhost:<page port>, both connected to another port on localhost and both were refused at 127.0.0.1. ` +
        `The difference that does exist is what happens after a refusal: EventSource treats it as a network error and keeps retrying (readyState ${e.fact('self-signed/sse/accepted-later', 'readyStateBeforeAccepting')}, CONNECTING), so once the user accepted the certificate in another tab it opened by itself ${ms(e.fact<number>('self-signed/sse/accepted-later', 'openedAfterAcceptMs'))} later (${yes(later.sse)}); a WebSocket fails once (readyState ${e.fact('self-signed/ws/accepted-later', 'readyStateBeforeAccepting')}, CLOSED) and stayed closed (${yes(later.ws)}). That, and a wss:// URL on a host the user never accepted, explain the folk claim. ` +
        `Node clients behaved alike too: no CA -> ${node.map((n) => `${n.t} ${n.none ? 'open' : 'refused'}`).join(', ')}; with the \`ca\` option or NODE_EXTRA_CA_CERTS all opened (${yes(node.every((n) => n.ca && n.extra))}).`,
      figures: { settingsAgreeing: agree.length, settings: pairs.length, sseReopenedAfterAccept: later.sse ?? null, wsReopenedAfterAccept: later.ws ?? null },
    };
  },

  'sse-heartbeat-comments-needed'(e) {
    const relaySilent = 'idle-heartbeat/sse/relay-silent';
    const relayBeat = 'idle-heartbeat/sse/relay-heartbeat';
    const polySilent = 'polyfill/sse/polyfill-heartbeat-silent';
    const polyBeat = 'polyfill/sse/polyfill-heartbeat-comments';
    const native = 'polyfill/sse/native-silent';
    const nativeKeptOpen = e.count(native, 'reopened') === 0;
    const needed = e.count(relaySilent, 'idleCuts') > 0 || e.count(polySilent, 'reopened') > 0;
    const commentsHelp = e.count(relayBeat, 'idleCuts') === 0 && e.count(polyBeat, 'reopened') === 0;
    return {
      verdict: needed && commentsHelp ? (nativeKeptOpen ? 'depends' : 'confirmed') : 'refuted',
      explanation:
        `Chromium's own EventSource kept a silent stream open for the whole ${e.fact(native, 'watchedMs')} ms with no intermediary (reopened ${times(e.count(native, 'reopened'))}): the browser itself needs no comments. ` +
        `Something in between does: a relay with a ${e.fact(relaySilent, 'idleTimeoutMs')} ms idle timeout cut the silent stream ${times(e.count(relaySilent, 'idleCuts'))} in ${e.fact(relaySilent, 'watchedMs')} ms (EventSource reconnected each time, so the cost is churn and a gap) and never cut it with a \`:\` comment every 300 ms (${e.count(relayBeat, 'idleCuts')} cuts); ` +
        `event-source-polyfill, with heartbeatTimeout set to ${e.fact(polySilent, 'heartbeatTimeoutMs')} ms (default ${e.fact(polySilent, 'polyfillDefaultHeartbeatTimeoutMs')} ms), aborted and reopened the silent stream ${times(e.count(polySilent, 'reopened'))} and ${times(e.count(polyBeat, 'reopened'))} with comments. ` +
        `A raw WebSocket through the same relay was cut too (${e.count('idle-heartbeat/ws/relay-silent', 'idleCuts')}) and did not come back; ping frames kept it (${e.count('idle-heartbeat/ws/relay-heartbeat', 'idleCuts')} cuts). Comments are needed when a proxy or the polyfill times out silence, which is common in production.`,
      figures: { nativeReopened: e.count(native, 'reopened'), relaySilentCuts: e.count(relaySilent, 'idleCuts'), relayCommentCuts: e.count(relayBeat, 'idleCuts'), polyfillSilentReopened: e.count(polySilent, 'reopened'), polyfillCommentsReopened: e.count(polyBeat, 'reopened') },
    };
  },

  'seed-credentials-with-wildcard-cors'(e) {
    const native = 'cross-origin/sse/acao-star-credentials';
    const poly = 'cross-origin/sse/seed-article-a-polyfill';
    const nativeOk = e.fact<boolean>(native, 'delivered');
    const polyOk = e.fact<boolean>(poly, 'delivered');
    const message = (e.fact<string[]>(native, 'console') ?? []).find((t) => t.includes('wildcard')) ?? '';
    return {
      verdict: nativeOk === false && polyOk === false ? 'refuted' : nativeOk && polyOk ? 'confirmed' : 'depends',
      explanation:
        `Article A's combination, \`Access-Control-Allow-Origin: *\` with withCredentials: true, delivered nothing cross-origin: native EventSource ${nativeOk ? 'received' : 'got no'} message (readyState ${e.record(native)?.observed.readyState}, no retry: ${e.count(native, 'requests')} request) and event-source-polyfill, the article's client, ${polyOk ? 'received' : 'got no'} message and kept retrying (${e.count(poly, 'requests')} requests in 1.5 s). ` +
        `Chromium's console said: "${message}". The same server with \`*\` works without credentials, and with the exact origin plus Access-Control-Allow-Credentials it works with them (see sse-needs-cors-headers). The article's setup can only have worked same-origin, where CORS does not apply.`,
      figures: { nativeDelivered: nativeOk ?? null, polyfillDelivered: polyOk ?? null, polyfillRequests: e.count(poly, 'requests') },
    };
  },

  'sse-base64-costs-bandwidth'(e) {
    const sizes = e.ids('binary/sse/base64-').map((id) => Number(id.split('-').at(-1)));
    const ratio = (t: string, size: number) => e.fact<number>(`binary/${t}/${t === 'sse' ? 'base64' : 'binary'}-${size}`, 'wireToPayloadRatio') ?? Number.NaN;
    const rows = sizes.map((size) => ({ size, sse: ratio('sse', size), ws: ratio('ws', size), io: ratio('socketio', size) }));
    const costlier = rows.filter((r) => r.sse > r.ws);
    const largest = rows.at(-1);
    return {
      verdict: rows.length > 0 && costlier.length === rows.length ? 'confirmed' : costlier.length > 0 ? 'depends' : 'refuted',
      explanation:
        `Bytes on the wire per byte of random payload, from the server socket's counters: ${rows.map((r) => `${r.size} B: SSE base64 ${r.sse}, WebSocket ${r.ws}, socket.io ${r.io}`).join('; ')}. ` +
        `SSE cost more than WebSocket at ${costlier.length} of ${rows.length} sizes; for large payloads it tends to base64's 4/3 (${largest ? largest.sse : 'n/a'} at ${largest?.size} B) while WebSocket frames add a few bytes per message. ` +
        `At the smallest sizes fixed per-message framing dominates instead: socket.io's binary emit (a placeholder packet plus the attachment) cost more per byte than SSE base64 there.`,
      figures: Object.fromEntries(rows.flatMap((r) => [[`sse ${r.size}`, r.sse], [`ws ${r.size}`, r.ws], [`socketio ${r.size}`, r.io]])),
    };
  },

  'sse-six-connections-per-origin'(e) {
    const h1 = 'connection-limit/sse/http1-eventsources';
    const h2 = 'connection-limit/sse/http2-eventsources';
    const ws = 'connection-limit/ws/websockets';
    const asked = e.count(h1, 'asked');
    const opened1 = e.count(h1, 'opened');
    const opened2 = e.count(h2, 'opened');
    const confirmed = opened1 < asked && opened2 === e.count(h2, 'asked');
    return {
      verdict: confirmed ? 'confirmed' : 'refuted',
      explanation:
        `Over HTTP/1.1, Chromium opened ${opened1} of ${asked} EventSources to one origin (the server held ${e.count(h1, 'serverStreams')} streams); the rest waited. ` +
        `While they were open, a fetch to the same origin did not complete in ${e.fact(h1, 'fetchTimeoutMs')} ms (completed: ${yes(e.fact(h1, 'sameOriginFetchCompleted'))}), an EventSource in a second tab of the same profile did not open (${yes(e.fact(h1, 'secondTabEventSourceOpened'))}), but a fetch to another port (another origin) did (${JSON.stringify(e.fact(h1, 'otherOriginFetch'))}), and so did a WebSocket to the same host and port (${yes(e.fact(h1, 'websocketSameHostPortOpened'))}): WebSockets do not take slots from that pool, and ${e.count(ws, 'opened')} of ${e.count(ws, 'asked')} WebSockets opened with a fetch still going through. Closing one EventSource let a waiting one open (${JSON.stringify(e.fact(h1, 'whatOpenedAfterClosingOne'))}). ` +
        `Over HTTP/2, ${opened2} of ${e.count(h2, 'asked')} opened, as streams (per TLS connection: ${JSON.stringify(e.fact(h2, 'streamsPerSession'))}; ${e.count(h2, 'sessionsCarryingStreams')} of the ${e.count(h2, 'serverSessions')} connections Chromium opened carried requests), and a fetch went through (${yes(e.fact(h2, 'sameOriginFetchCompleted'))}).`,
      figures: { http1Opened: opened1, asked, http2Opened: opened2, http2Sessions: e.count(h2, 'serverSessions'), http2SessionsCarryingStreams: e.count(h2, 'sessionsCarryingStreams'), websocketsOpened: e.count(ws, 'opened') },
    };
  },

  'sse-named-events-need-listener'(e) {
    const ids = ['polyfill/sse/seed-b-native', 'polyfill/sse/seed-b-polyfill'];
    const rows = ids.map((id) => ({ id, onmessage: e.count(id, 'onmessage'), listener: e.count(id, 'serverTimeListener') }));
    const confirmed = rows.every((r) => r.onmessage === 0 && r.listener > 0);
    return {
      verdict: confirmed ? 'confirmed' : 'refuted',
      explanation:
        `Against article B's ssestream-style server (every event has \`event: server-time\`), onmessage fired ${times(rows[0]!.onmessage)} while addEventListener('server-time') fired ${times(rows[0]!.listener)} in native EventSource, and ${rows[1]!.onmessage} vs ${rows[1]!.listener} with event-source-polyfill. ` +
        `onmessage only receives events with no event field (type "message"). The server's first write, \`:ok\`, is a comment and fired nothing (the "packet the client ignores" in article B's capture). ` +
        `Its \`retry: 20000\` also means a dropped client waits 20 s: no reconnect was seen within ${e.fact(ids[0]!, 'watchedAfterDropMs')} ms of the drop (${e.count(ids[0]!, 'requestsAfterDrop')} requests).`,
      figures: Object.fromEntries(rows.flatMap((r) => [[`${r.id} onmessage`, r.onmessage], [`${r.id} listener`, r.listener]])),
    };
  },

  'polyfill-sends-last-id-as-query'(e) {
    const poly = 'polyfill/sse/polyfill-reconnect';
    const native = 'polyfill/sse/native-reconnect';
    const query = e.fact<string>(poly, 'lastEventIdQuery');
    const header = e.fact<string>(poly, 'lastEventIdHeader');
    const confirmed = query !== null && query !== undefined && (header === null || header === undefined);
    return {
      verdict: confirmed ? 'confirmed' : 'refuted',
      explanation:
        `On reconnect event-source-polyfill requested "${e.fact(poly, 'reconnectPath')}" with Last-Event-ID header ${header ?? 'absent'}, where native EventSource requested "${e.fact(native, 'reconnectPath')}" with Last-Event-ID: ${e.fact(native, 'lastEventIdHeader')}. ` +
        `The lab server reads both, so both resumed with ${e.count(poly, 'lost')} lost (polyfill) and ${e.count(native, 'lost')} lost (native); a server that reads only the header would restart the polyfill's stream. ` +
        `The polyfill also waited ${ms(e.fact<number>(poly, 'reconnectDelayMs'))} where the server asked for ${e.fact(poly, 'serverRetryMs')} ms (native: ${ms(e.fact<number>(native, 'reconnectDelayMs'))}), and it can send custom headers that native EventSource cannot: asked for Authorization, the server received "${e.fact('polyfill/sse/polyfill-authorization-header', 'authorizationReceived')}" from the polyfill and ${e.fact('polyfill/sse/native-authorization-header', 'authorizationReceived') ?? 'nothing'} from native EventSource.`,
      figures: { polyfillQuery: query ?? null, polyfillHeader: header ?? null, nativeHeader: e.fact<string>(native, 'lastEventIdHeader') ?? null, polyfillDelayMs: e.fact<number>(poly, 'reconnectDelayMs') ?? null },
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
      const why = evidence.missing.size > 0 ? `the records it rests on did not run or were not observed: ${[...evidence.missing].join(', ')}` : `its rule failed: ${failure}`;
      return { id, verdict: 'not-run', explanation: `Not decided: ${why}. Run \`npm run scenarios\` with Chromium installed.`, records: used, decidedBy: 'scenarios', date };
    }
    return { id, verdict: decision.verdict, explanation: decision.explanation, records: used, figures: decision.figures, decidedBy: 'scenarios', date };
  });
}

/** The claim ids the scenarios decide (all but the load runner's). */
export const DECIDED_CLAIMS = Object.keys(RULES) as ClaimId[];
