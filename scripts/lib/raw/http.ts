/**
 * HTTP/1.1 by hand over a raw connection: a request is exactly the bytes given (any target, any
 * header, a Content-Length that lies), and the answer is parsed from the bytes that came back,
 * including the parts a client library would hide (a bare 400 from node's parser, a close).
 */
import { HOST, RawConnection } from './connection.ts';

export type Header = readonly [name: string, value: string];

export interface HttpResponse {
  kind: 'response';
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The body (de-chunked); for a stream, what had arrived when `enough` said so. */
  body: Buffer;
  /** Bytes of head plus body: anything after it (WebSocket frames after a 101) is not this response's. */
  size: number;
}

/** The server's answer: a response, the connection closed without a whole one, or nothing in time. */
export type HttpAnswer =
  | HttpResponse
  /** `error`: the socket error that closed it (ECONNREFUSED: there was never a connection). */
  | { kind: 'closed'; partial: string; error?: string }
  | { kind: 'timeout'; partial: string };

export interface ExchangeOptions {
  /** The request was HEAD: no body follows the head. */
  head?: boolean;
  /** Stop reading a body that does not end by itself (an event stream) once this returns true. */
  enough?(response: HttpResponse): boolean;
  /** Half-close after writing: a server waiting for more of the request must answer or close. */
  endAfter?: boolean;
}

export const host = (port: number): Header => ['Host', `${HOST}:${port}`];

/** A request's bytes: the head as UTF-8 (node reads header bytes as latin1, and refuses non-ASCII in the target). */
export function request(method: string, target: string, headers: readonly Header[], body?: Buffer | string): Buffer {
  const head = `${method} ${target} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), typeof body === 'string' ? Buffer.from(body) : (body ?? Buffer.alloc(0))]);
}

/** De-chunks a chunked body: the bytes so far, and whether the last chunk has arrived. */
function dechunk(raw: Buffer): { body: Buffer; done: boolean; used: number } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = Number.parseInt(raw.toString('latin1', at, eol).split(';')[0]!, 16);
    if (!Number.isFinite(size)) break;
    if (size === 0) {
      const end = raw.indexOf('\r\n\r\n', eol);
      return { body: Buffer.concat(parts), done: end !== -1, used: end === -1 ? raw.length : end + 4 };
    }
    if (raw.length < eol + 2 + size + 2) {
      parts.push(raw.subarray(eol + 2, Math.min(raw.length, eol + 2 + size)));
      break;
    }
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), done: false, used: raw.length };
}

const partial = (buffer: Buffer) => buffer.toString('latin1', 0, 500);

/** Parses one response from the start of `buffer`; undefined while more bytes are needed. */
function parseResponse(buffer: Buffer, closed: boolean, options: ExchangeOptions): HttpAnswer | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd === -1) return closed ? { kind: 'closed', partial: partial(buffer) } : undefined;
  const lines = buffer.toString('latin1', 0, headEnd).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1];
  if (!status) return { kind: 'closed', partial: partial(buffer) };
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const start = headEnd + 4;
  const response = (body: Buffer, size: number): HttpResponse => ({ kind: 'response', status: Number(status), headers, body, size });
  const code = Number(status);
  if (code < 200 || code === 204 || code === 304 || options.head) return response(Buffer.alloc(0), start);
  const raw = buffer.subarray(start);
  let candidate: HttpResponse;
  let complete: boolean;
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    const { body, done, used } = dechunk(raw);
    candidate = response(body, start + used);
    complete = done;
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    candidate = response(raw.subarray(0, length), start + Math.min(length, raw.length));
    complete = raw.length >= length;
  } else {
    candidate = response(raw, buffer.length);
    complete = closed;
  }
  if (complete || options.enough?.(candidate)) return candidate;
  return closed ? { kind: 'closed', partial: partial(buffer) } : undefined;
}

export interface Exchange {
  answer: HttpAnswer;
  /** Still open, for whoever goes on (a 101); the caller destroys it. */
  connection: RawConnection;
}

/** Opens a connection, writes `bytes`, and reads one answer. */
export async function exchange(port: number, bytes: Buffer, timeoutMs: number, options: ExchangeOptions = {}): Promise<Exchange> {
  const connection = RawConnection.open(port);
  connection.write(bytes);
  if (options.endAfter) connection.end();
  const answer = (await connection.until((buffer, closed) => parseResponse(buffer, closed, options), timeoutMs)) ?? {
    kind: 'timeout',
    partial: partial(connection.buffer),
  };
  if (answer.kind === 'closed' && connection.error) answer.error = connection.error;
  return { answer, connection };
}

/** exchange() for a one-shot request: the connection is destroyed once answered. */
export async function send(port: number, bytes: Buffer, timeoutMs: number, options: ExchangeOptions = {}): Promise<HttpAnswer> {
  const { answer, connection } = await exchange(port, bytes, timeoutMs, options);
  connection.destroy();
  return answer;
}

/** A header value as node hands it to the server: bytes read as latin1, surrounding spaces and tabs trimmed. */
export const nodeValue = (text: string): string =>
  Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/^[ \t]+|[ \t]+$/g, '');

/** Every byte outside the unreserved set percent-encoded, so the server's URLSearchParams gets the text back. */
export const queryEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`))
    .join('');
