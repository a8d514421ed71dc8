/**
 * Turns one connection's transcript into annotated messages: every byte of both directions lands
 * in exactly one row (offset, bytes, meaning), rows group into messages (an HTTP head, a body or
 * one chunk of it, a WebSocket frame), and bytes no decoder recognises are kept as 'undecoded'
 * rather than dropped, so the byte counts always add up to what the relay saw.
 *
 * Method: HTTP/1.1 first (every connection here starts as an HTTP request); the response's
 * Content-Type and the request target pick the body decoder (event stream, engine.io polling,
 * JSON); a 101 hands both directions to the WebSocket frame decoder, and the request path picks
 * the payload decoder (the lab's /ws messages or engine.io packets).
 */
import { decodeHttpConnection, header, type HttpExchange } from '../decode/http.ts';
import { acceptFor } from '../../../clients/lean/ws-frames.ts';
import type { Carries, ConnectionTranscript, ConnectionWire, Direction, WireMessage } from '../types.ts';
import { type ConnectionFacts, type Context, emptyFacts, push, Stream, undecoded } from './context.ts';
import { bodyKind, exchangeCarries, headRows, otherChunkedBody, plainBody, requestSummary, responseSummary } from './http.ts';
import { sseBody } from './sse.ts';
import { frames } from './websocket.ts';

export interface AnnotatedConnection {
  connection: ConnectionWire;
  messages: WireMessage[];
  facts: ConnectionFacts;
}

function purposeOf(exchanges: HttpExchange[], upgraded: boolean): string {
  const first = exchanges[0];
  if (!first) return 'no HTTP request on it';
  const r = first.request.head.request!;
  const path = r.target.split('?')[0]!;
  const kind = first.response && bodyKind(first, first.response);
  const what = upgraded
    ? '101 Switching Protocols, then WebSocket frames'
    : kind === 'sse'
      ? 'event stream'
      : kind === 'polling'
        ? 'engine.io long-polling'
        : r.method === 'OPTIONS'
          ? 'CORS preflight'
          : 'HTTP request';
  const more = exchanges.length > 1 ? `, then ${exchanges.length - 1} more request(s) on the same connection` : '';
  return `${r.method} ${path}${r.target.includes('transport=') ? ` (${/transport=(\w+)/.exec(r.target)![1]})` : ''}: ${what}${more}`;
}

export function annotateConnection(transcript: ConnectionTranscript): AnnotatedConnection {
  const streams: Record<Direction, Stream> = {
    c2s: new Stream(transcript.chunks.filter((c) => c.dir === 'c2s')),
    s2c: new Stream(transcript.chunks.filter((c) => c.dir === 's2c')),
  };
  const facts = emptyFacts();
  const ctx: Context = { conn: transcript.conn, streams, messages: [], facts, attachments: { c2s: { pending: 0 }, s2c: { pending: 0 } } };
  const ended = transcript.closedBy !== 'open';
  const http = decodeHttpConnection(streams.c2s.bytes, streams.s2c.bytes);
  facts.firstRequestLine = http.exchanges[0]?.request.head.startLine.text ?? null;
  facts.firstResponseStatus = http.exchanges[0]?.response?.head.response?.status ?? null;

  http.exchanges.forEach((exchange, i) => {
    const request = exchange.request.head;
    const response = exchange.response;
    const isUpgrade = http.upgrade?.exchange === i;
    const wsKey = header(request, 'sec-websocket-key');
    // Bodies first (their content decides the heads' carries); messages are sorted by time at the end.
    const plain: Record<Direction, ReturnType<typeof plainBody>> = { c2s: null, s2c: null };
    if (exchange.request.body.chunked) otherChunkedBody(ctx, 'c2s', exchange.request);
    else plain.c2s = plainBody(ctx, 'c2s', exchange, exchange.request);
    if (response) {
      const kind = bodyKind(exchange, response);
      if (kind === 'sse') sseBody(ctx, response, ended);
      else if (response.body.chunked) otherChunkedBody(ctx, 's2c', response);
      else plain.s2c = plainBody(ctx, 's2c', exchange, response);
    }
    const bodies = { c2s: plain.c2s?.content ?? null, s2c: plain.s2c?.content ?? null };
    const carries: Record<Direction, Carries> = {
      c2s: isUpgrade ? 'handshake' : exchangeCarries(exchange, 'c2s', bodies),
      s2c: isUpgrade ? 'handshake' : exchangeCarries(exchange, 's2c', bodies),
    };
    // A body that carries nothing of its own (engine.io's 'ok') belongs to what its exchange is for.
    for (const dir of ['c2s', 's2c'] as const) {
      const pushed = plain[dir]?.message;
      if (pushed && pushed.carries === 'other') pushed.carries = carries[dir];
    }
    push(ctx, 'c2s', 'http-head', headRows(ctx, 'c2s', request, undefined), requestSummary(request), carries.c2s);
    if (response)
      push(
        ctx,
        's2c',
        'http-head',
        headRows(ctx, 's2c', response.head, isUpgrade ? wsKey : undefined),
        responseSummary(response.head),
        carries.s2c,
      );
    if (isUpgrade && response) {
      const accept = header(response.head, 'sec-websocket-accept');
      facts.upgrade = {
        status: response.head.response!.status,
        acceptVerified: wsKey !== undefined && accept !== undefined ? acceptFor(wsKey) === accept : null,
        extensionsOffered: header(request, 'sec-websocket-extensions') ?? null,
        extensionsAccepted: header(response.head, 'sec-websocket-extensions') ?? null,
      };
    }
  });

  if (http.upgrade) {
    facts.httpBytes = { c2s: http.upgrade.c2s, s2c: http.upgrade.s2c };
    const path = http.exchanges[http.upgrade.exchange]!.request.head.request!.target;
    frames(ctx, 'c2s', http.upgrade.c2s, path);
    frames(ctx, 's2c', http.upgrade.s2c, path);
  } else {
    undecoded(ctx, 'c2s', http.end.c2s);
    undecoded(ctx, 's2c', http.end.s2c);
  }

  const messages = ctx.messages.sort((a, b) => a.t - b.t || (a.dir === b.dir ? a.offset - b.offset : a.dir === 'c2s' ? -1 : 1));
  const undecodedBytes = (dir: Direction) =>
    messages.filter((m) => m.dir === dir && m.layer === 'undecoded').reduce((s, m) => s + m.length, 0);
  const connection: ConnectionWire = {
    conn: transcript.conn,
    purpose:
      streams.c2s.bytes.length + streams.s2c.bytes.length === 0
        ? 'no bytes either way: a connection the browser opened and never used'
        : purposeOf(http.exchanges, http.upgrade !== null),
    clientPort: transcript.clientPort,
    openedAt: transcript.openedAt,
    closedAt: transcript.closedAt,
    closedBy: transcript.closedBy,
    bytes: { c2s: streams.c2s.bytes.length, s2c: streams.s2c.bytes.length },
    reads: { c2s: streams.c2s.reads, s2c: streams.s2c.reads },
    protocols: http.upgrade ? ['HTTP/1.1', 'WebSocket'] : http.exchanges.length ? ['HTTP/1.1'] : [],
    requests: http.exchanges.map((e) => e.request.head.startLine.text),
    undecodedBytes: { c2s: undecodedBytes('c2s'), s2c: undecodedBytes('s2c') },
  };
  return { connection, messages, facts };
}
