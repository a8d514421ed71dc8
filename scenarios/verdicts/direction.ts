/**
 * Direction and upstream: what carries a WebSocket and an SSE stream (ws-tcp-sse-http), and
 * whether SSE is one-way (sse-one-way), from the direction scenario's round-trip records.
 */
import { type RuleSet, rule } from './rule.ts';
import { closing, plural } from './words.ts';

const SSE = 'direction/sse/round-trips';
const WS = 'direction/ws/round-trips';
const IO = 'direction/socketio/round-trips';

export const DIRECTION_RULES = {
  'ws-tcp-sse-http': rule({
    read: (e) => ({
      wsStatus: e.fact<string>(WS, 'responseStatusLine') ?? '',
      wsRequests: e.fact<number>(WS, 'httpRequestsOnConnection') ?? Number.NaN,
      wsFrameBytes: e.fact<number>(WS, 'clientBytesAfterRequestHead') ?? 0,
      sseStatus: e.fact<string>(SSE, 'responseStatusLine') ?? '',
      sseType: e.fact<string>(SSE, 'responseContentType') ?? '',
      wsRequestLine: e.fact(WS, 'requestLine'),
      wsUpgrade: e.fact(WS, 'upgradeHeader'),
      sseRequestLine: e.fact(SSE, 'requestLine'),
    }),
    decide(s) {
      const wsLeavesHttp = s.wsStatus.includes(' 101 ') && s.wsRequests === 1 && s.wsFrameBytes > 0;
      const sseIsHttp = s.sseStatus.includes(' 200 ') && s.sseType.startsWith('text/event-stream');
      return {
        verdict: wsLeavesHttp && sseIsHttp ? 'confirmed' : 'refuted',
        wsLeavesHttp,
        sseIsHttp,
        figures: {
          wsStatus: s.wsStatus,
          wsHttpRequestsOnConnection: s.wsRequests,
          wsClientFrameBytes: s.wsFrameBytes,
          sseStatus: s.sseStatus,
          sseContentType: s.sseType,
        },
      };
    },
    word: (s, d) =>
      `Both began with an HTTP/1.1 request: the WebSocket's was "${s.wsRequestLine}" with Upgrade: ${s.wsUpgrade}, ` +
      `answered "${s.wsStatus}"; the EventSource's was "${s.sseRequestLine}", answered "${s.sseStatus}" with Content-Type ${s.sseType}. ` +
      `After that answer the WebSocket's TCP connection carried ${s.wsFrameBytes} more bytes from the page ` +
      `and ${plural(s.wsRequests, 'HTTP request')} in all` +
      `${d.wsLeavesHttp ? ' (the upgrade): the bytes were WebSocket frames, not HTTP' : ''}, ` +
      `while the SSE stream ${d.sseIsHttp ? 'stayed one HTTP response' : 'was not a 200 text/event-stream response'}. ` +
      closing(d.verdict, {
        confirmed:
          'So WebSocket is its own protocol on TCP that starts with an HTTP handshake (and so shares ports and proxies with HTTP), ' +
          'and SSE is plain HTTP: the claim holds in that sense, not in the sense that WebSocket has nothing to do with HTTP.',
        refuted: 'So the records do not show WebSocket leaving HTTP for its own framing while SSE stays a plain HTTP response: refuted.',
        depends: '',
      }),
  }),

  'sse-one-way': rule({
    read(e) {
      const rtt = (id: string) => e.fact<Record<string, number>>(id, 'rttMs')?.p50;
      return {
        browser: e.browser,
        esSend: e.fact<string>(SSE, 'eventSourceSend'),
        wsSend: e.fact<string>(SSE, 'webSocketSend'),
        upstreamOnStream: e.fact<number>(SSE, 'streamBytesFromClientAfterRequest'),
        sse: { perRoundTrip: e.bytes(SSE, 'perRoundTrip'), p50: rtt(SSE), preflights: e.fact<number>(SSE, 'preflights') ?? Number.NaN },
        ws: { perRoundTrip: e.bytes(WS, 'perRoundTrip'), p50: rtt(WS) },
        io: { perRoundTrip: e.bytes(IO, 'perRoundTrip'), p50: rtt(IO) },
      };
    },
    decide: (s) => ({
      verdict: s.esSend === 'undefined' && s.wsSend === 'function' && s.upstreamOnStream === 0 ? 'confirmed' : 'refuted',
      figures: {
        eventSourceSend: s.esSend ?? null,
        streamUpstreamBytes: s.upstreamOnStream ?? null,
        sseFetchBytesPerRoundTrip: s.sse.perRoundTrip,
        wsBytesPerRoundTrip: s.ws.perRoundTrip,
        socketioBytesPerRoundTrip: s.io.perRoundTrip,
        sseFetchP50Ms: s.sse.p50 ?? null,
        wsP50Ms: s.ws.p50 ?? null,
      },
    }),
    word: (s, d) =>
      `In ${s.browser} EventSource.prototype.send is ${s.esSend} and WebSocket.prototype.send is ${s.wsSend}; ` +
      `on the SSE stream's connection the page sent ${s.upstreamOnStream} bytes after its request head. ` +
      'Client-to-server data beside the open stream went as separate HTTP requests: ' +
      `a fetch POST round trip cost ${s.sse.perRoundTrip} bytes on the wire (p50 ${s.sse.p50} ms in the page, ` +
      `${plural(s.sse.preflights, 'CORS preflight')} in the whole case, warm-up included), ` +
      `against ${s.ws.perRoundTrip} bytes (p50 ${s.ws.p50} ms) for a WebSocket message ` +
      `and ${s.io.perRoundTrip} bytes (p50 ${s.io.p50} ms) for a socket.io emit with ack. ` +
      closing(d.verdict, {
        confirmed: 'The stream is one-way; an application using SSE is not, it pays HTTP headers per upstream message.',
        refuted: 'EventSource had a send method or its stream carried data from the page: refuted.',
        depends: '',
      }),
  }),
} satisfies RuleSet;
