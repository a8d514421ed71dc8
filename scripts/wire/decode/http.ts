/**
 * HTTP/1.1 framing on a recorded TCP byte stream (RFC 9112): the start line, the header lines,
 * and the body by its framing (Content-Length, chunked transfer coding, or until the connection
 * closes). Pure functions over bytes that return offsets, so every byte of a transcript is
 * accounted for; a 101 answer hands the rest of both directions to the WebSocket decoder.
 *
 * Works on the whole recorded stream, so how TCP happened to split it does not matter.
 */

export interface Span {
  offset: number;
  length: number;
}

export interface HeaderLine extends Span {
  name: string;
  value: string;
}

export interface HttpHead extends Span {
  startLine: Span & { text: string };
  request?: { method: string; target: string; version: string };
  response?: { version: string; status: number; reason: string };
  /** Each header line, its CRLF included in `length`. */
  headers: HeaderLine[];
  /** The empty line (CRLF) that ends the head. */
  end: Span;
}

const CR = 0x0d;
const LF = 0x0a;

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) if (bytes[i] === CR && bytes[i + 1] === LF) return i;
  return -1;
}

const latin1 = (bytes: Uint8Array, start: number, end: number) =>
  Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');

/** Parses a request or response head starting at `offset`; null when it is incomplete or not HTTP. */
export function parseHead(bytes: Uint8Array, offset: number): HttpHead | null {
  const lines: (Span & { text: string })[] = [];
  let pos = offset;
  for (;;) {
    const eol = indexOfCrlf(bytes, pos);
    if (eol === -1) return null;
    lines.push({ offset: pos, length: eol + 2 - pos, text: latin1(bytes, pos, eol) });
    pos = eol + 2;
    if (eol === lines.at(-1)!.offset) break; // the empty line
    if (lines.length > 200) return null;
  }
  const [start, ...rest] = lines;
  const end = rest.pop()!;
  if (!start || !end) return null;
  const head: HttpHead = { offset, length: pos - offset, startLine: start, headers: [], end };
  const request = /^([A-Z]+) (\S+) (HTTP\/\d\.\d)$/.exec(start.text);
  const response = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(start.text);
  if (request) head.request = { method: request[1]!, target: request[2]!, version: request[3]! };
  else if (response) head.response = { version: response[1]!, status: Number(response[2]), reason: response[3]! };
  else return null;
  for (const line of rest) {
    const colon = line.text.indexOf(':');
    if (colon <= 0) return null;
    head.headers.push({
      offset: line.offset,
      length: line.length,
      name: line.text.slice(0, colon),
      value: line.text.slice(colon + 1).trim(),
    });
  }
  return head;
}

/** A header's value (first occurrence, case-insensitive name). */
export function header(head: HttpHead, name: string): string | undefined {
  const lower = name.toLowerCase();
  return head.headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until-close' };

function isChunked(head: HttpHead): boolean {
  return /(^|,)\s*chunked\s*$/i.test(header(head, 'transfer-encoding') ?? '');
}

/** A request has a body only when it says so (RFC 9112 §6.3). */
export function requestFraming(head: HttpHead): BodyFraming {
  if (isChunked(head)) return { kind: 'chunked' };
  const length = Number(header(head, 'content-length') ?? 0);
  return length > 0 ? { kind: 'length', length } : { kind: 'none' };
}

/** A response to HEAD, a 1xx, 204 or 304 has no body; otherwise chunked, Content-Length, or until close. */
export function responseFraming(head: HttpHead, requestMethod: string): BodyFraming {
  const status = head.response?.status ?? 0;
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) return { kind: 'none' };
  if (isChunked(head)) return { kind: 'chunked' };
  const length = header(head, 'content-length');
  if (length !== undefined) return { kind: 'length', length: Number(length) };
  return { kind: 'until-close' };
}

export interface ChunkFrame extends Span {
  /** The hex size line, its CRLF included. */
  sizeLine: Span & { size: number; text: string };
  /** The chunk's data (may be short of `size` when the stream was cut). */
  data: Span;
  /** The CRLF after the data; null when cut off. */
  crlf: Span | null;
  /** The zero-size chunk that ends the body. */
  last: boolean;
  /** The last chunk's trailer section (header lines and the closing CRLF). */
  trailer: Span | null;
}

export interface ChunkedBody {
  chunks: ChunkFrame[];
  /** Offset after the last byte decoded. */
  end: number;
  /** The zero-size last chunk and its trailer were seen. */
  complete: boolean;
}

/** Decodes chunked transfer coding from `offset` to the last chunk, or as far as the bytes go. */
export function parseChunked(bytes: Uint8Array, offset: number): ChunkedBody {
  const chunks: ChunkFrame[] = [];
  let pos = offset;
  while (pos < bytes.length) {
    const eol = indexOfCrlf(bytes, pos);
    if (eol === -1) break;
    const text = latin1(bytes, pos, eol);
    const size = Number.parseInt(text.split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || !/^[0-9a-f]+/i.test(text)) break;
    const sizeLine = { offset: pos, length: eol + 2 - pos, size, text };
    const dataStart = eol + 2;
    if (size === 0) {
      // Trailer lines until an empty line (usually none: "0\r\n\r\n"); without that line the body is cut short.
      let t = dataStart;
      let complete = false;
      while (!complete) {
        const e = indexOfCrlf(bytes, t);
        if (e === -1) break;
        complete = e === t;
        t = e + 2;
      }
      const trailer = complete ? { offset: dataStart, length: t - dataStart } : null;
      chunks.push({ offset: pos, length: t - pos, sizeLine, data: { offset: dataStart, length: 0 }, crlf: null, last: true, trailer });
      return { chunks, end: t, complete };
    }
    const available = Math.min(size, bytes.length - dataStart);
    const data = { offset: dataStart, length: available };
    const crlfAt = dataStart + size;
    const crlf = available === size && bytes[crlfAt] === CR && bytes[crlfAt + 1] === LF ? { offset: crlfAt, length: 2 } : null;
    const end = crlf ? crlfAt + 2 : dataStart + available;
    chunks.push({ offset: pos, length: end - pos, sizeLine, data, crlf, last: false, trailer: null });
    if (!crlf) return { chunks, end, complete: false };
    pos = end;
  }
  return { chunks, end: pos, complete: false };
}

export interface HttpBody {
  framing: BodyFraming;
  /** Where the body starts and how many bytes of it were seen (chunked: including the chunk framing). */
  offset: number;
  length: number;
  chunked: ChunkedBody | null;
  /** All of it was seen (the framing's end was reached). */
  complete: boolean;
}

export interface HttpMessage {
  head: HttpHead;
  body: HttpBody;
}

export interface HttpExchange {
  request: HttpMessage;
  response: HttpMessage | null;
}

export interface HttpConnection {
  exchanges: HttpExchange[];
  /** Set when a 101 switched protocols: where each direction's non-HTTP bytes begin. */
  upgrade: { c2s: number; s2c: number; exchange: number } | null;
  /** Where decoding stopped per direction (== length when everything was HTTP). */
  end: { c2s: number; s2c: number };
}

function readBody(bytes: Uint8Array, offset: number, framing: BodyFraming): HttpBody {
  switch (framing.kind) {
    case 'none':
      return { framing, offset, length: 0, chunked: null, complete: true };
    case 'length': {
      const length = Math.min(framing.length, bytes.length - offset);
      return { framing, offset, length, chunked: null, complete: length === framing.length };
    }
    case 'chunked': {
      const chunked = parseChunked(bytes, offset);
      return { framing, offset, length: chunked.end - offset, chunked, complete: chunked.complete };
    }
    case 'until-close':
      return { framing, offset, length: bytes.length - offset, chunked: null, complete: true };
  }
}

/**
 * Walks a connection's two streams as HTTP/1.1: request, its response, next request... until the
 * bytes end, something is not HTTP, or a 101 switches protocols.
 */
export function decodeHttpConnection(c2s: Uint8Array, s2c: Uint8Array): HttpConnection {
  const exchanges: HttpExchange[] = [];
  let up = 0;
  let down = 0;
  while (up < c2s.length) {
    const head = parseHead(c2s, up);
    if (!head?.request) break;
    const requestBody = readBody(c2s, up + head.length, requestFraming(head));
    const exchange: HttpExchange = { request: { head, body: requestBody }, response: null };
    exchanges.push(exchange);
    up = requestBody.offset + requestBody.length;
    // Skip 1xx interim answers other than 101 (e.g. 100 Continue): they precede the real one.
    let responseHead = parseHead(s2c, down);
    while (
      responseHead?.response &&
      responseHead.response.status >= 100 &&
      responseHead.response.status < 200 &&
      responseHead.response.status !== 101
    ) {
      down += responseHead.length;
      responseHead = parseHead(s2c, down);
    }
    if (!responseHead?.response) break;
    const responseBody = readBody(s2c, down + responseHead.length, responseFraming(responseHead, head.request.method));
    exchange.response = { head: responseHead, body: responseBody };
    down = responseBody.offset + responseBody.length;
    if (responseHead.response.status === 101)
      return { exchanges, upgrade: { c2s: up, s2c: down, exchange: exchanges.length - 1 }, end: { c2s: up, s2c: down } };
    if (!requestBody.complete || !responseBody.complete) break;
  }
  return { exchanges, upgrade: null, end: { c2s: up, s2c: down } };
}
