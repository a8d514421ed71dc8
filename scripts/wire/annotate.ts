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
import { header, type HttpExchange, type HttpHead, type HttpMessage, decodeHttpConnection } from './decode/http.ts';
import { SseParser, type SseLine } from './decode/sse.ts';
import { acceptFor, CLOSE_CODES, decodeFrames, type WsFrame } from './decode/websocket.ts';
import {
  type AttachmentState,
  type Content,
  describeAttachment,
  describeBinaryQuote,
  describeEnginePacket,
  describeJsonBody,
  describeLabText,
  describePollingBody,
  headerMeaning,
  type Item,
  quoteFromBinary,
  quoteFromJson,
  strongest,
  utf8,
} from './describe.ts';
import { overheadTable, transcriptStats } from './overhead.ts';
import type {
  ByteRow,
  Carries,
  ConnectionTranscript,
  ConnectionWire,
  Direction,
  OverheadRow,
  TranscriptFile,
  TranscriptStats,
  WireMessage,
} from './types.ts';

/** Facts about a connection the evidence and the notes are computed from (not written out as such). */
export interface ConnectionFacts {
  firstRequestLine: string | null;
  firstResponseStatus: number | null;
  /** Event-stream responses on this connection. */
  sse: {
    contentType: string;
    transferEncoding: string | null;
    /** The de-chunked body bytes. */
    body: Buffer;
    validUtf8: boolean;
    /** What the body's first lines before the first dispatched event did. */
    preamble: SseLine[];
  }[];
  /** base64 quotes in SSE data lines: characters on the wire and bytes they decode to. */
  base64Quotes: { chars: number; bytes: number }[];
  upgrade: { status: number; acceptVerified: boolean | null; extensionsOffered: string | null; extensionsAccepted: string | null } | null;
  /** HTTP bytes before the frames began (upgraded connections). */
  httpBytes: { c2s: number; s2c: number };
  /** Frames decoded after a 101. */
  frames: number;
  /** Bytes after a 101 that did not decode as frames. */
  undecodedAfterUpgrade: number;
  binaryFrames: number;
  /** socket.io attachments: binary messages a placeholder announced. */
  attachments: number;
}

export interface AnnotatedConnection {
  connection: ConnectionWire;
  messages: WireMessage[];
  facts: ConnectionFacts;
}

/** One direction of a connection: its bytes and when each read arrived. */
class Stream {
  readonly bytes: Buffer;
  readonly #starts: number[] = [];
  readonly #times: number[] = [];
  constructor(chunks: { t: number; data: string }[]) {
    const pieces = chunks.map((c) => Buffer.from(c.data, 'base64'));
    let offset = 0;
    pieces.forEach((piece, i) => {
      this.#starts.push(offset);
      this.#times.push(chunks[i]!.t);
      offset += piece.length;
    });
    this.bytes = Buffer.concat(pieces);
  }
  get reads(): number {
    return this.#starts.length;
  }
  /** When the read holding byte `offset` arrived. */
  timeAt(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.#times[lo] ?? 0;
  }
}

const HEX_BYTES = 16;
const TEXT_CHARS = 64;

function hexOf(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, HEX_BYTES), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > HEX_BYTES ? `${shown} …` : shown;
}

function printable(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, TEXT_CHARS), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return bytes.length > TEXT_CHARS ? `${shown}…` : shown;
}

function row(wire: Uint8Array, offset: number, length: number, label: string, meaning: string, decoded?: string): ByteRow {
  const bytes = wire.subarray(offset, offset + length);
  const r: ByteRow = { offset, length, hex: hexOf(bytes), text: printable(bytes), label, meaning };
  if (decoded !== undefined) r.decoded = decoded.length > 200 ? `${decoded.slice(0, 200)}…` : decoded;
  return r;
}

/** Unmasked bytes for the `decoded` column: as text when they are printable UTF-8, else in hex. */
function readable(bytes: Uint8Array): string {
  const text = utf8(bytes);
  return /^[^\x00-\x08\x0b-\x1f\x7f\ufffd]*$/.test(text) ? text : hexOf(bytes);
}

/** Items over a contiguous range at `base`; gaps become explicit rows so every byte is shown. `plain`: the unmasked bytes, when the wire's are masked. */
function itemRows(wire: Uint8Array, base: number, length: number, items: Item[], plain?: Uint8Array): ByteRow[] {
  const rows: ByteRow[] = [];
  let pos = 0;
  const add = (start: number, end: number, label: string, meaning: string) => {
    if (end <= start) return;
    rows.push(row(wire, base + start, end - start, label, meaning, plain ? readable(plain.subarray(start, end)) : undefined));
  };
  for (const item of [...items].sort((a, b) => a.start - b.start)) {
    add(pos, item.start, 'bytes', 'bytes no describer explained');
    add(Math.max(pos, item.start), Math.min(item.end, length), item.label, item.meaning);
    pos = Math.max(pos, item.end);
  }
  add(pos, length, 'bytes', 'bytes no describer explained');
  return rows;
}

interface Context {
  conn: number;
  streams: Record<Direction, Stream>;
  messages: WireMessage[];
  facts: ConnectionFacts;
  attachments: Record<Direction, AttachmentState>;
}

function push(
  ctx: Context,
  dir: Direction,
  layer: WireMessage['layer'],
  rows: ByteRow[],
  summary: string,
  carries: Carries,
  seqs: number[] = [],
  payloadBytes: number | null = null,
): WireMessage | null {
  if (rows.length === 0) return null;
  const offset = rows[0]!.offset;
  const length = rows.reduce((sum, r) => sum + r.length, 0);
  const message: WireMessage = {
    conn: ctx.conn,
    dir,
    t: ctx.streams[dir].timeAt(offset),
    offset,
    length,
    layer,
    summary,
    carries,
    seqs,
    payloadBytes,
    rows,
  };
  ctx.messages.push(message);
  return message;
}

// ---------------------------------------------------------------------------------------------
// HTTP heads and bodies
// ---------------------------------------------------------------------------------------------

function headRows(ctx: Context, dir: Direction, head: HttpHead, wsKey: string | undefined): ByteRow[] {
  const wire = ctx.streams[dir].bytes;
  const start = head.request
    ? `request line: method ${head.request.method}, target ${head.request.target}, ${head.request.version}`
    : `status line: ${head.response!.version} ${head.response!.status} ${head.response!.reason}`;
  const rows: ByteRow[] = [row(wire, head.startLine.offset, head.startLine.length, head.request ? 'request line' : 'status line', start)];
  for (const h of head.headers) {
    let meaning = headerMeaning(h.name, h.value, dir);
    if (h.name.toLowerCase() === 'sec-websocket-accept' && wsKey !== undefined) {
      const expected = acceptFor(wsKey);
      meaning = `Sec-WebSocket-Accept: base64(sha1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) computed here = ${expected}: ${expected === h.value ? 'matches' : 'DOES NOT match'}`;
    }
    rows.push(row(wire, h.offset, h.length, `${h.name} header`, meaning));
  }
  rows.push(row(wire, head.end.offset, head.end.length, 'end of head', 'empty line (CRLF): end of the head'));
  return rows;
}

type BodyKind = 'sse' | 'polling' | 'json' | 'other';

function bodyKind(exchange: HttpExchange, message: HttpMessage): BodyKind {
  const type = (header(message.head, 'content-type') ?? '').toLowerCase();
  const target = exchange.request.head.request!.target;
  if (type.startsWith('text/event-stream')) return 'sse';
  if (target.startsWith('/socket.io/') && /transport=polling/.test(target)) return 'polling';
  if (type.startsWith('application/json')) return 'json';
  return 'other';
}

/** The carries of an exchange's heads, from what its request is for. */
function exchangeCarries(exchange: HttpExchange, dir: Direction, bodies: Record<Direction, Content | null>): Carries {
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
function plainBody(
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

/** Words for an event-stream line, with the quote read from data lines; `base64` when a data line carries a binary quote. */
function sseLineMeaning(line: SseLine): { meaning: string; base64?: { chars: number; bytes: number } } {
  if (line.kind === 'field' && line.field === 'data') {
    const value = line.value!;
    const json = quoteFromJson(value);
    if (json) return { meaning: `${line.effect} — ${value.length} bytes of JSON: quote seq ${json.seq} ${json.symbol}` };
    const raw = Buffer.from(value, 'base64');
    const binary = /^[A-Za-z0-9+/]+=*$/.test(value) ? quoteFromBinary(raw) : null;
    if (binary) {
      return {
        meaning: `${line.effect} — ${value.length} characters of base64 for the ${raw.length}-byte binary quote seq ${binary.seq} (text only: binary must be encoded)`,
        base64: { chars: value.length, bytes: raw.length },
      };
    }
  }
  return { meaning: line.effect };
}

/** What the lines ending in one piece of an event stream carry. */
function sseContent(lines: SseLine[]): Omit<Content, 'items'> {
  const carries: Carries[] = [];
  const seqs: number[] = [];
  let payloadBytes: number | null = null;
  const words: string[] = [];
  for (const line of lines) {
    if (line.kind === 'comment') {
      carries.push('heartbeat');
      words.push(`comment ${JSON.stringify(line.text.slice(0, 40))}`);
    } else if (line.kind === 'field' && line.field === 'retry') {
      carries.push('control');
      words.push(`retry: ${line.value}`);
    } else if (line.kind === 'blank' && line.dispatch) {
      const d = line.dispatch;
      if (!d.dispatched) {
        words.push('blank line, nothing dispatched (no data)');
        continue;
      }
      const json = quoteFromJson(d.data);
      const binary = json ? null : quoteFromBinary(Buffer.from(d.data, 'base64'));
      if (json) {
        carries.push('quote-json');
        seqs.push(json.seq);
        payloadBytes = (payloadBytes ?? 0) + Buffer.byteLength(d.data);
      } else if (binary) {
        carries.push('quote-base64');
        seqs.push(binary.seq);
        payloadBytes = (payloadBytes ?? 0) + Buffer.from(d.data, 'base64').length;
      } else {
        carries.push('control');
      }
      words.push(
        `'${d.type}' event${d.lastEventId ? ` id ${d.lastEventId}` : ''}${json || binary ? ` (quote seq ${(json ?? binary)!.seq}${binary ? ', base64' : ''})` : ''}`,
      );
    }
  }
  return { carries: carries.length ? strongest(carries) : 'other', seqs, payloadBytes, summary: words.join('; ') || 'part of an event' };
}

/** An event-stream body: one message per chunk (or one for an unchunked body), rows per line. */
function sseBody(ctx: Context, message: HttpMessage, streamEnded: boolean): void {
  const dir: Direction = 's2c';
  const wire = ctx.streams[dir].bytes;
  const { body } = message;
  // The pieces of the body as the decoder sees them: chunk data, or the whole body.
  const pieces = body.chunked
    ? body.chunked.chunks.filter((c) => !c.last).map((c) => c.data)
    : [{ offset: body.offset, length: body.length }];
  const parser = new SseParser();
  const lines: SseLine[] = [];
  for (const piece of pieces) lines.push(...parser.push(wire.subarray(piece.offset, piece.offset + piece.length)));
  if (body.complete || streamEnded) lines.push(...parser.end());

  // Body offset -> stream offset.
  const starts: number[] = [];
  let total = 0;
  for (const piece of pieces) {
    starts.push(total);
    total += piece.length;
  }
  const bodyBytes = Buffer.concat(pieces.map((p) => wire.subarray(p.offset, p.offset + p.length)));
  // The preamble: the lines up to the last blank line before the first dispatched event.
  const firstEvent = lines.findIndex((l) => l.dispatch?.dispatched);
  const before = firstEvent === -1 ? lines : lines.slice(0, firstEvent);
  const lastBlank = before.map((l) => l.kind).lastIndexOf('blank');
  ctx.facts.sse.push({
    contentType: header(message.head, 'content-type') ?? '',
    transferEncoding: header(message.head, 'transfer-encoding') ?? null,
    body: bodyBytes,
    validUtf8: lines.every((l) => l.validUtf8),
    preamble: firstEvent === -1 ? lines : lines.slice(0, lastBlank + 1),
  });

  const described = lines.map(sseLineMeaning);
  for (const d of described) if (d.base64) ctx.facts.base64Quotes.push(d.base64);

  // Rows of the lines that overlap [from, to) in body coordinates, mapped to the stream at `streamBase`.
  const linesIn = (from: number, to: number, streamBase: number): ByteRow[] =>
    lines.flatMap((l, i) => {
      if (l.offset >= to || l.offset + l.length <= from) return [];
      const start = Math.max(l.offset, from);
      const end = Math.min(l.offset + l.length, to);
      const meaning = described[i]!.meaning;
      return [
        row(
          wire,
          streamBase + start - from,
          end - start,
          l.kind === 'field' ? `${l.field} line` : `${l.kind} line`,
          start > l.offset ? `(continued from the chunk before) ${meaning}` : meaning,
        ),
      ];
    });
  const endingIn = (from: number, to: number) => lines.filter((l) => l.offset + l.length > from && l.offset + l.length <= to);

  if (!body.chunked) {
    const rows = linesIn(0, total, body.offset);
    const tail = body.offset + rows.reduce((s, r) => s + r.length, 0);
    if (tail < body.offset + body.length)
      rows.push(row(wire, tail, body.offset + body.length - tail, 'unfinished line', 'bytes of a line the stream has not finished'));
    const content = sseContent(lines);
    push(ctx, dir, 'http-body', rows, `event-stream body: ${content.summary}`, content.carries, content.seqs, content.payloadBytes);
    return;
  }
  let index = 0;
  for (const chunk of body.chunked.chunks) {
    const rows: ByteRow[] = [
      row(
        wire,
        chunk.sizeLine.offset,
        chunk.sizeLine.length,
        'chunk size line',
        chunk.last
          ? `'${chunk.sizeLine.text}' CRLF: the last chunk (size 0) — the body ends here; the TCP connection may carry another request`
          : `chunk size 0x${chunk.sizeLine.text} = ${chunk.sizeLine.size} bytes of data follow, then CRLF`,
      ),
    ];
    if (chunk.last) {
      if (chunk.trailer)
        rows.push(
          row(wire, chunk.trailer.offset, chunk.trailer.length, 'end of trailer', 'empty line: no trailer fields, end of the chunked body'),
        );
      push(
        ctx,
        dir,
        'http-chunk',
        rows,
        'last chunk: the server ended the event stream (the browser will reconnect after the retry time)',
        'close',
      );
      continue;
    }
    const from = starts[index]!;
    const to = from + chunk.data.length;
    index++;
    rows.push(...linesIn(from, to, chunk.data.offset));
    const covered = rows.reduce((s, r) => s + r.length, 0) - chunk.sizeLine.length;
    if (covered < chunk.data.length)
      rows.push(
        row(
          wire,
          chunk.data.offset + covered,
          chunk.data.length - covered,
          'unfinished line',
          'bytes of a line the stream has not finished',
        ),
      );
    if (chunk.crlf) rows.push(row(wire, chunk.crlf.offset, chunk.crlf.length, 'chunk CRLF', 'CRLF: end of the chunk data'));
    const content = sseContent(endingIn(from, to));
    push(
      ctx,
      dir,
      'http-chunk',
      rows,
      `chunk of ${chunk.sizeLine.size} bytes: ${content.summary}`,
      content.carries,
      content.seqs,
      content.payloadBytes,
    );
  }
}

/** A chunked body that is not an event stream: one message per chunk, data shown as is. */
function otherChunkedBody(ctx: Context, dir: Direction, message: HttpMessage): void {
  const wire = ctx.streams[dir].bytes;
  for (const chunk of message.body.chunked!.chunks) {
    const rows = [row(wire, chunk.sizeLine.offset, chunk.sizeLine.length, 'chunk size line', `chunk size ${chunk.sizeLine.size}`)];
    if (chunk.data.length) rows.push(row(wire, chunk.data.offset, chunk.data.length, 'chunk data', 'chunk data'));
    if (chunk.crlf) rows.push(row(wire, chunk.crlf.offset, chunk.crlf.length, 'chunk CRLF', 'CRLF: end of the chunk data'));
    if (chunk.trailer) rows.push(row(wire, chunk.trailer.offset, chunk.trailer.length, 'end of trailer', 'end of the chunked body'));
    push(ctx, dir, 'http-chunk', rows, chunk.last ? 'last chunk' : `chunk of ${chunk.sizeLine.size} bytes`, chunk.last ? 'close' : 'other');
  }
}

function requestSummary(head: HttpHead): string {
  const r = head.request!;
  const extras: string[] = [];
  const lastId = header(head, 'last-event-id');
  if (lastId !== undefined) extras.push(`Last-Event-ID ${lastId}`);
  if (header(head, 'upgrade')) extras.push(`Upgrade: ${header(head, 'upgrade')}`);
  if (r.method === 'OPTIONS') extras.push('CORS preflight');
  return `${r.method} ${r.target}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

function responseSummary(head: HttpHead): string {
  const r = head.response!;
  const type = header(head, 'content-type');
  const extensions =
    r.status === 101
      ? header(head, 'sec-websocket-extensions')
        ? `, extensions ${header(head, 'sec-websocket-extensions')}`
        : ', no extension accepted: frames are uncompressed (RSV1 = 0)'
      : '';
  return `${r.status} ${r.reason}${type ? `, ${type}` : ''}${header(head, 'transfer-encoding') ? `, ${header(head, 'transfer-encoding')}` : ''}${extensions}`;
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames
// ---------------------------------------------------------------------------------------------

function frameHeaderRows(wire: Uint8Array, f: WsFrame): ByteRow[] {
  const rsv = f.rsv.map((b) => (b ? 1 : 0)).join('');
  const rows: ByteRow[] = [
    row(
      wire,
      f.offset,
      1,
      'FIN+RSV+opcode',
      `FIN=${f.fin ? 1 : 0} (${f.fin ? 'final fragment' : 'more fragments follow'}), RSV1-3=${rsv}${rsv === '000' ? ' (no extension in use)' : ''}, opcode 0x${f.opcode.toString(16)} = ${f.opcodeName}`,
    ),
    row(
      wire,
      f.offset + 1,
      1,
      'MASK+length',
      `MASK=${f.masked ? 1 : 0} (${f.masked ? 'a client frame: masked' : 'a server frame: not masked'}), length field ${f.lengthField}${
        f.lengthForm === '7-bit'
          ? ` = the payload length (7-bit form, for 0-125 bytes)`
          : f.lengthForm === '16-bit'
            ? ': a 16-bit length follows'
            : ': a 64-bit length follows'
      }`,
    ),
  ];
  const extended = f.lengthForm === '16-bit' ? 2 : f.lengthForm === '64-bit' ? 8 : 0;
  if (extended)
    rows.push(
      row(
        wire,
        f.offset + 2,
        extended,
        'extended length',
        `payload length ${f.payloadLength} (${f.lengthForm} form, for ${f.lengthForm === '16-bit' ? '126-65535' : '65536 and more'} bytes)`,
      ),
    );
  if (f.maskKeyOffset !== null)
    rows.push(
      row(
        wire,
        f.maskKeyOffset,
        4,
        'masking key',
        `masking key: the payload is XORed with these 4 bytes (RFC 6455 §5.3), so a page cannot choose the bytes a proxy in between sees`,
      ),
    );
  return rows;
}

function frameContent(f: WsFrame, dir: Direction, path: string, state: AttachmentState): Content {
  const engine = path.startsWith('/socket.io/');
  switch (f.opcode) {
    case 0x1:
      return engine ? describeEnginePacket(f.payload, dir, state) : describeLabText(f.payload);
    case 0x2:
      return engine ? describeAttachment(f.payload, state) : describeBinaryQuote(f.payload);
    case 0x8: {
      const close = f.close;
      const items: Item[] = [];
      if (close?.code != null)
        items.push({
          start: 0,
          end: 2,
          label: 'close code',
          meaning: `close code ${close.code}: ${CLOSE_CODES[close.code] ?? 'application-defined'}`,
        });
      if (close && f.payload.length > 2)
        items.push({ start: 2, end: f.payload.length, label: 'close reason', meaning: `reason ${JSON.stringify(close.reason)} (UTF-8)` });
      return {
        items,
        carries: 'close',
        seqs: [],
        payloadBytes: null,
        summary:
          close?.code != null
            ? `close ${close.code} ${CLOSE_CODES[close.code] ?? ''}${close.reason ? ` '${close.reason}'` : ''}`
            : 'close without a code',
      };
    }
    case 0x9:
    case 0xa: {
      const items: Item[] = f.payload.length
        ? [
            {
              start: 0,
              end: f.payload.length,
              label: 'application data',
              meaning: `${f.payload.length} bytes the ${f.opcode === 0x9 ? 'pong must echo' : 'ping carried'}`,
            },
          ]
        : [];
      const what =
        f.opcode === 0x9
          ? 'protocol ping (the server checks the browser is alive; the browser answers by itself, the page never sees it)'
          : 'protocol pong (the browser answering a ping by itself)';
      return { items, carries: 'heartbeat', seqs: [], payloadBytes: null, summary: what };
    }
    default:
      return {
        items: f.payload.length ? [{ start: 0, end: f.payload.length, label: 'payload', meaning: `${f.opcodeName} payload` }] : [],
        carries: 'other',
        seqs: [],
        payloadBytes: null,
        summary: `${f.opcodeName} frame`,
      };
  }
}

/**
 * A data frame that is part of a fragmented message (FIN=0, then continuation frames up to one
 * with FIN=1; control frames may come in between, RFC 6455 §5.4). The message is described once,
 * reassembled, on its final fragment; earlier fragments say which fragment they are.
 */
function fragmentContent(
  f: WsFrame,
  dir: Direction,
  path: string,
  state: AttachmentState,
  pending: { opcode: number; parts: Uint8Array[] } | null,
): { content: Content; pending: { opcode: number; parts: Uint8Array[] } | null } {
  const whole = (label: string, meaning: string): Item[] => (f.payload.length ? [{ start: 0, end: f.payload.length, label, meaning }] : []);
  if (f.opcode !== 0x0) pending = { opcode: f.opcode, parts: [] };
  if (!pending)
    return {
      content: {
        items: whole('payload', 'a continuation with no message started'),
        carries: 'other',
        seqs: [],
        payloadBytes: null,
        summary: 'continuation without a first fragment',
      },
      pending: null,
    };
  pending.parts.push(f.payload);
  const n = pending.parts.length;
  if (!f.fin) {
    return {
      content: {
        items: whole(`fragment ${n}`, `fragment ${n} of a fragmented message; described, reassembled, with its final fragment`),
        carries: 'other',
        seqs: [],
        payloadBytes: null,
        summary: `fragment ${n} of a fragmented message`,
      },
      pending,
    };
  }
  const payload = new Uint8Array(pending.parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of pending.parts) {
    payload.set(part, at);
    at += part.length;
  }
  const message = frameContent({ ...f, opcode: pending.opcode, payload }, dir, path, state);
  return {
    content: {
      ...message,
      items: whole(`final fragment ${n}`, `final fragment of ${n}; the reassembled ${payload.length}-byte message: ${message.summary}`),
      summary: `reassembled from ${n} fragments: ${message.summary}`,
    },
    pending: null,
  };
}

function frames(ctx: Context, dir: Direction, from: number, path: string): void {
  const wire = ctx.streams[dir].bytes;
  const { frames: list, end } = decodeFrames(wire, from);
  ctx.facts.frames += list.length;
  let pending: { opcode: number; parts: Uint8Array[] } | null = null;
  for (const f of list) {
    if (f.opcode === 0x2) {
      ctx.facts.binaryFrames++;
      // An attachment is a binary frame that a placeholder packet announced.
      if (path.startsWith('/socket.io/') && ctx.attachments[dir].pending > 0) ctx.facts.attachments++;
    }
    let content: Content;
    if (f.opcode === 0x0 || (f.opcode < 0x8 && !f.fin))
      ({ content, pending } = fragmentContent(f, dir, path, ctx.attachments[dir], pending));
    else content = frameContent(f, dir, path, ctx.attachments[dir]);
    const payloadRows = itemRows(wire, f.payloadOffset, f.payload.length, content.items, f.masked ? f.payload : undefined);
    const rows = [...frameHeaderRows(wire, f), ...payloadRows];
    const summary = `${f.opcodeName} frame${f.masked ? ' (masked)' : ''}${f.fin ? '' : ' (not final)'}, ${f.payloadLength}-byte payload${f.complete ? '' : ' (cut off)'}: ${content.summary}`;
    push(ctx, dir, 'ws-frame', rows, summary, content.carries, content.seqs, content.payloadBytes);
  }
  if (end < wire.length) {
    ctx.facts.undecodedAfterUpgrade += wire.length - end;
    undecoded(ctx, dir, end);
  }
}

function undecoded(ctx: Context, dir: Direction, from: number): void {
  const wire = ctx.streams[dir].bytes;
  if (from >= wire.length) return;
  push(
    ctx,
    dir,
    'undecoded',
    [row(wire, from, wire.length - from, 'undecoded', 'bytes no decoder recognised (or a message cut off by the end of the connection)')],
    `${wire.length - from} undecoded bytes`,
    'other',
  );
}

// ---------------------------------------------------------------------------------------------
// A connection
// ---------------------------------------------------------------------------------------------

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
  const facts: ConnectionFacts = {
    firstRequestLine: null,
    firstResponseStatus: null,
    sse: [],
    base64Quotes: [],
    upgrade: null,
    httpBytes: { c2s: 0, s2c: 0 },
    frames: 0,
    undecodedAfterUpgrade: 0,
    binaryFrames: 0,
    attachments: 0,
  };
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

/** A whole session decoded: its connections, every message in time order, the overhead table and counts. */
export interface DecodedSession {
  connections: ConnectionWire[];
  messages: WireMessage[];
  overhead: OverheadRow[];
  stats: TranscriptStats;
  facts: ConnectionFacts[];
}

export function decodeTranscript(transcript: TranscriptFile): DecodedSession {
  const annotated = transcript.connections.map(annotateConnection);
  const connections = annotated.map((a) => a.connection);
  const messages = annotated.flatMap((a) => a.messages).sort((a, b) => a.t - b.t || a.conn - b.conn);
  return {
    connections,
    messages,
    overhead: overheadTable(messages, connections),
    stats: transcriptStats(connections, messages),
    facts: annotated.map((a) => a.facts),
  };
}
