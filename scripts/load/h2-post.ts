/**
 * Upstream round trips over HTTP/2 for a transport whose upstream is a POST (sse-h2). autocannon
 * speaks HTTP/1.1 only, so each simulated connection is one node:http2 session (Node's own client,
 * as each browser has its own connection) running a closed loop of POST /sse/ping {"t"} ->
 * 200 {"type":"pong","t"}: one stream at a time, the next sent when the answer has arrived, like the
 * ws and socket.io loops. A round trip is timed from `t` to the answer's last byte on one host clock.
 */
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { ConnectError } from '../../clients/lean/index.ts';
import { CONNECT_TIMEOUT_MS, PING_TIMEOUT_MS } from '../../clients/constants.ts';
import { now } from '../../servers/contract.ts';
import { POST_PATH } from './capabilities.ts';

export interface H2Poster {
  /** One POST round trip, resolving its time in ms; a non-200 answer or no answer within PING_TIMEOUT_MS rejects. */
  ping(): Promise<number>;
  close(): void;
}

/** Opens one HTTP/2 session to the server of `url` (an https stream url) and resolves once it is established. */
export function openH2Poster(url: string, options: { ca?: string; timeoutMs?: number } = {}): Promise<H2Poster> {
  const { origin } = new URL(url);
  return new Promise((resolve, reject) => {
    const session: ClientHttp2Session = connect(origin, { ca: options.ca });
    const timer = setTimeout(() => {
      session.destroy();
      reject(new ConnectError('ETIMEDOUT', 'no HTTP/2 session in time'));
    }, options.timeoutMs ?? CONNECT_TIMEOUT_MS);
    session.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ConnectError(error.code ?? 'UNKNOWN', error.message));
    });
    session.once('connect', () => {
      clearTimeout(timer);
      // Errors after the session opened fail the round trip in flight, not the process.
      session.on('error', () => {});
      resolve({ ping: () => post(session), close: () => session.destroy() });
    });
  });
}

/** The `t` a pong answer echoes, or null when the body is not one. */
function pongOf(body: string): number | null {
  try {
    const pong = JSON.parse(body) as { type?: unknown; t?: unknown };
    return pong.type === 'pong' && typeof pong.t === 'number' ? pong.t : null;
  } catch {
    return null;
  }
}

function post(session: ClientHttp2Session): Promise<number> {
  const t = now();
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': POST_PATH, 'content-type': 'application/json' });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.setTimeout(PING_TIMEOUT_MS, () => req.close(constants.NGHTTP2_CANCEL));
    req.on('response', (headers) => (status = Number(headers[':status'])));
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (status === 200 && pongOf(body) === t) resolve(now() - t);
      else reject(new Error(`lab: POST ${POST_PATH} answered ${status}: ${body.slice(0, 100)}`));
    });
    req.on('close', () => {
      if (req.rstCode === constants.NGHTTP2_CANCEL) reject(new Error(`lab: no answer within ${PING_TIMEOUT_MS / 1000} s`));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ t }));
  });
}
