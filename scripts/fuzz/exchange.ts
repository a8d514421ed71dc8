/**
 * One fuzz input to a live server in the HTTP version it speaks (requestIn, scripts/lib/raw/any-http.ts),
 * and what the server's code reads of it, so an SSE surface is written once for SSE over HTTP/1.1 and
 * over HTTP/2 with the same oracle.
 *
 * null: the input never reached the server's code, the way node's HTTP/1.1 parser refusing a line
 * never does: node's HTTP/2 client would not encode it, or the server's HTTP/2 layer reset the
 * stream for it before any response.
 */
import { speaksHttp2 } from '../../servers/transports.ts';
import { requestIn } from '../lib/raw/any-http.ts';
import { asUtf8Bytes, refusedByHttp2 } from '../lib/raw/h2.ts';
import { type ExchangeOptions, type Header, type HttpAnswer, nodeValue } from '../lib/raw/http.ts';
import type { LiveServer } from './live.ts';

/**
 * A request target as the server's code reads it. Over HTTP/1.1 node's parser refuses any byte past ASCII in the
 * target before the server sees it; over HTTP/2 the `:path` arrives as its UTF-8 bytes, one character each.
 */
export const targetAsRead = (server: LiveServer, target: string): string =>
  speaksHttp2(server.ready.transport) ? asUtf8Bytes(target) : target;

/** `headers` without Host (requestIn adds it for HTTP/1.1); null when the input never reached the server's code. */
export async function exchangeWith(
  server: LiveServer,
  method: string,
  target: string,
  headers: readonly Header[],
  body?: Buffer | string,
  options: ExchangeOptions = {},
): Promise<HttpAnswer | null> {
  const answer = await requestIn(server.ready, method, target, headers, body, options);
  return answer.kind === 'unsendable' || refusedByHttp2(answer) ? null : answer;
}

/**
 * The values of one repeated header as the server's code reads them, in order. HTTP/1.1: node trims spaces and tabs
 * (nodeValue). HTTP/2: the values go as UTF-8 bytes, untrimmed, and node's HTTP/2 layer (nghttp2) drops a field whose
 * value begins or ends with a space or tab or holds a control byte (RFC 9113 8.2.1) before the server sees it.
 */
export function valuesAsRead(server: LiveServer, values: readonly string[]): string[] {
  if (!speaksHttp2(server.ready.transport)) return values.map(nodeValue);
  return values.map(asUtf8Bytes).filter((value) => !/^[ \t]|[ \t]$|[\x00-\x08\x0a-\x1f\x7f]/.test(value));
}
