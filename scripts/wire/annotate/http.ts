/**
 * HTTP/1.1 messages: each head line by line (request or status line, every header with what it
 * does, the empty line), bodies framed by Content-Length or by the end of the connection, and
 * chunked bodies that are not event streams (one message per chunk). The response's Content-Type
 * and the request target pick the body describer: engine.io polling, JSON, or plain bytes.
 */
import { header, type HttpExchange, type HttpHead, type HttpMessage } from '../decode/http.ts';
import { acceptFor } from '../../../clients/lean/ws-frames.ts';
import { type Content, describeJsonBody, describePollingBody, headerMeaning, utf8 } from '../describe.ts';
import type { ByteRow, Carries, Direction, WireMessage } from '../types.ts';
import { type Context, push } from './context.ts';
import { itemRows, row } from './rows.ts';

export function headRows(ctx: Context, dir: Direction, head: HttpHead, wsKey: string | undefined): ByteRow[] {
  const wire = ctx.streams[dir].bytes;
  const start = head.request
    ? `request line: method ${head.request.method}, target ${head.request.target}, ${head.request.version}`
    : `status line: ${head.response!.version} ${head.response!.status} ${head.response!.reason}`;
  const rows: ByteRow[] = [row(wire, head.startLine.offset, head.startLine.length, head.request ? 'request line' : 'status line', start)];
  for (const h of head.headers) {
    let meaning = headerMeaning(h.name, h.value, dir);
    if (h.name.toLowerCase() === 'sec-websocket-accept' && wsKey !== undefined) {
      const expected = acceptFor(wsKey);
      meaning =
        `Sec-WebSocket-Accept: base64(sha1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) computed here = ${expected}: ` +
        `${expected === h.value ? 'matches' : 'DOES NOT match'}`;
    }
    rows.push(row(wire, h.offset, h.length, `${h.name} header`, meaning));
  }
  rows.push(row(wire, head.end.offset, head.end.length, 'end of head', 'empty line (CRLF): end of the head'));
  return rows;
}

export type BodyKind = 'sse' | 'polling' | 'json' | 'other';

export function bodyKind(exchange: HttpExchange, message: HttpMessage): BodyKind {
  const type = (header(message.head, 'content-type') ?? '').toLowerCase();
  const target = exchange.request.head.request!.target;
  if (type.startsWith('text/event-stream')) return 'sse';
  if (target.startsWith('/socket.io/') && /transport=polling/.test(target)) return 'polling';
  if (type.startsWith('application/json')) return 'json';
  return 'other';
}

/** The carries of an exchange's heads, from what its request is for. */
export function exchangeCarries(exchange: HttpExchange, dir: Direction, bodies: Record<Direction, Content | null>): Carries {
  const req = exchange.request.head.request!;
  if (req.method === 'OPTIONS') return 'preflight';
  if (req.target.startsWith('/sse/ping')) return dir === 'c2s' ? 'ping' : 'pong';
  const own = bodies[dir];
  const other = bodies[dir === 'c2s' ? 's2c' : 'c2s'];
  if (own && own.carries !== 'other') return own.carries;
  if (other && other.carries !== 'other' && req.target.startsWith('/socket.io/')) return other.carries;
  return 'handshake';
}

/** A Content-Length, close-delimited or short body: one message (returned with its content). */
export function plainBody(
  ctx: Context,
  dir: Direction,
  exchange: HttpExchange,
  message: HttpMessage,
): { content: Content; message: WireMessage | null } | null {
  const { body } = message;
  if (body.length === 0) return null;
  const wire = ctx.streams[dir].bytes;
  const bytes = wire.subarray(body.offset, body.offset + body.length);
  const kind = bodyKind(exchange, message);
  const content =
    kind === 'polling'
      ? describePollingBody(bytes, dir, ctx.attachments[dir])
      : kind === 'json'
        ? describeJsonBody(bytes, dir)
        : {
            items: [{ start: 0, end: bytes.length, label: 'body', meaning: `body: ${JSON.stringify(utf8(bytes).slice(0, 120))}` }],
            carries: 'other' as Carries,
            seqs: [],
            payloadBytes: null,
            summary: 'body',
          };
  const rows = itemRows(wire, body.offset, body.length, content.items);
  const pushed = push(
    ctx,
    dir,
    'http-body',
    rows,
    `${body.framing.kind === 'length' ? 'Content-Length' : 'close-delimited'} body, ${body.length} bytes: ${content.summary}`,
    content.carries,
    content.seqs,
    content.payloadBytes,
  );
  return { content, message: pushed };
}

/** A chunked body that is not an event stream: one message per chunk, data shown as is. */
export function otherChunkedBody(ctx: Context, dir: Direction, message: HttpMessage): void {
  const wire = ctx.streams[dir].bytes;
  for (const chunk of message.body.chunked!.chunks) {
    const rows = [row(wire, chunk.sizeLine.offset, chunk.sizeLine.length, 'chunk size line', `chunk size ${chunk.sizeLine.size}`)];
    if (chunk.data.length) rows.push(row(wire, chunk.data.offset, chunk.data.length, 'chunk data', 'chunk data'));
    if (chunk.crlf) rows.push(row(wire, chunk.crlf.offset, chunk.crlf.length, 'chunk CRLF', 'CRLF: end of the chunk data'));
    if (chunk.trailer) rows.push(row(wire, chunk.trailer.offset, chunk.trailer.length, 'end of trailer', 'end of the chunked body'));
    push(ctx, dir, 'http-chunk', rows, chunk.last ? 'last chunk' : `chunk of ${chunk.sizeLine.size} bytes`, chunk.last ? 'close' : 'other');
  }
}

export function requestSummary(head: HttpHead): string {
  const r = head.request!;
  const extras: string[] = [];
  const lastId = header(head, 'last-event-id');
  if (lastId !== undefined) extras.push(`Last-Event-ID ${lastId}`);
  if (header(head, 'upgrade')) extras.push(`Upgrade: ${header(head, 'upgrade')}`);
  if (r.method === 'OPTIONS') extras.push('CORS preflight');
  return `${r.method} ${r.target}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

export function responseSummary(head: HttpHead): string {
  const r = head.response!;
  const type = header(head, 'content-type');
  const extensions =
    r.status === 101
      ? header(head, 'sec-websocket-extensions')
        ? `, extensions ${header(head, 'sec-websocket-extensions')}`
        : ', no extension accepted: frames are uncompressed (RSV1 = 0)'
      : '';
  const encoding = header(head, 'transfer-encoding');
  return `${r.status} ${r.reason}${type ? `, ${type}` : ''}${encoding ? `, ${encoding}` : ''}${extensions}`;
}
