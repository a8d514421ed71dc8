/**
 * One request to a lab server in the HTTP version it speaks (the registry's `http`), so an attack or
 * a fuzzed surface on SSE is written once for HTTP/1.1 and HTTP/2: raw HTTP/1.1 bytes (http.ts) to
 * the server's HTTP port, or an HTTP/2 request trusting the lab certificate (h2.ts). Over HTTP/2,
 * Host becomes `:authority` and Connection does not exist (RFC 9113 8.2.2), so those two are left
 * out; every other header goes as given.
 */
import { speaksHttp2 } from '../../../servers/transports.ts';
import type { ReadyLine } from '../spawn-server.ts';
import { ANSWER_MS } from './connection.ts';
import { type H2Answer, h2Headers, h2Request } from './h2.ts';
import { type ExchangeOptions, type Header, host, request, send } from './http.ts';

/** Headers HTTP/2 carries elsewhere (Host) or forbids (Connection). */
const HTTP1_ONLY = new Set(['host', 'connection']);

/** `headers` without Host: HTTP/1.1 gets the server's, HTTP/2 has `:authority`. */
export async function requestIn(
  ready: ReadyLine,
  method: string,
  target: string,
  headers: readonly Header[],
  body?: Buffer | string,
  options: ExchangeOptions & { timeoutMs?: number } = {},
): Promise<H2Answer> {
  const { timeoutMs = ANSWER_MS } = options;
  if (!speaksHttp2(ready.transport)) {
    const port = Number(new URL(ready.stats).port);
    return send(port, request(method, target, [host(port), ...headers], body), timeoutMs, options);
  }
  const kept = headers.filter(([name]) => !HTTP1_ONLY.has(name.toLowerCase()));
  return h2Request(new URL(ready.url).origin, h2Headers(method, target, kept), body, timeoutMs, options);
}
