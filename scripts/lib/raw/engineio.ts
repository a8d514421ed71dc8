/**
 * engine.io v4 long-polling by hand, over raw HTTP requests: the handshake, POSTing packets,
 * polling for the server's, a socket.io CONNECT, and closing a session. Packets are engine.io
 * text: `0` open, `1` close, `2`/`3` ping/pong, `6` noop, `4` + a socket.io packet (`40` CONNECT,
 * `44` CONNECT_ERROR, `42[...]` EVENT, `43N[...]` ACK); a payload joins them with \x1e.
 *
 *   GET  /socket.io/?EIO=4&transport=polling          -> 0{"sid":...}   (the open packet)
 *   POST /socket.io/?EIO=4&transport=polling&sid=...  body `40...`   (socket.io CONNECT)
 *   GET  ...&sid=...                                  -> packets, separated by \x1e
 */
import { ANSWER_MS } from './connection.ts';
import { host, request, send, type Header, type HttpAnswer } from './http.ts';

export const POLLING = '/socket.io/?EIO=4&transport=polling';
export const WEBSOCKET = '/socket.io/?EIO=4&transport=websocket';
const SEPARATOR = '\x1e';

/** The packets of a polling answer: none unless it is a 200. */
export const packets = (answer: HttpAnswer): string[] =>
  answer.kind !== 'response' || answer.status !== 200 || answer.body.length === 0 ? [] : answer.body.toString('utf8').split(SEPARATOR);

/** The session id in an open packet `0{"sid":…}`, or undefined. */
export function openSid(packet: string | undefined): string | undefined {
  if (!packet?.startsWith('0{')) return undefined;
  const sid = (JSON.parse(packet.slice(1)) as { sid?: unknown }).sid;
  return typeof sid === 'string' ? sid : undefined;
}

/** A polling handshake with these extra headers; the answer and, when it opened a session, its id. */
export async function handshake(port: number, headers: readonly Header[] = []): Promise<{ answer: HttpAnswer; sid?: string }> {
  const answer = await send(port, request('GET', POLLING, [host(port), ...headers]), ANSWER_MS);
  const sid = openSid(packets(answer)[0]);
  // No engine.io client could go on from here: the server broke the protocol, not the caller.
  if (answer.kind === 'response' && answer.status === 200 && !sid) {
    throw new Error(`engine.io handshake answered 200 without an open packet: ${answer.body.toString('utf8', 0, 200)}`);
  }
  return { answer, sid };
}

/** POSTs packets in one payload; bytes go as engine.io's base64 `b…` packets. */
export function post(port: number, sid: string, items: readonly (string | Uint8Array)[]): Promise<HttpAnswer> {
  const encoded = items.map((item) => (typeof item === 'string' ? item : `b${Buffer.from(item).toString('base64')}`));
  const body = Buffer.from(encoded.join(SEPARATOR));
  const headers = [host(port), ['Content-Type', 'text/plain;charset=UTF-8'], ['Content-Length', String(body.length)]] as const;
  return send(port, request('POST', `${POLLING}&sid=${encodeURIComponent(sid)}`, headers, body), ANSWER_MS);
}

/** One long-poll GET: it returns at once when packets wait, else when the server has some (or pings). */
export function poll(port: number, sid: string, timeoutMs = ANSWER_MS): Promise<HttpAnswer> {
  return send(port, request('GET', `${POLLING}&sid=${encodeURIComponent(sid)}`, [host(port)]), timeoutMs);
}

/** Sends a socket.io CONNECT and polls for its answer: `40…`, `44…` (CONNECT_ERROR) or `1` (session closed); undefined if none. */
export async function connect(port: number, sid: string, packet = '40', timeoutMs = ANSWER_MS): Promise<string | undefined> {
  await post(port, sid, [packet]);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await poll(port, sid, Math.max(1, deadline - Date.now()));
    if (answer.kind !== 'response' || answer.status !== 200) return undefined;
    const found = packets(answer).find((p) => p.startsWith('40') || p.startsWith('44') || p === '1');
    if (found) return found;
  }
  return undefined;
}

/** Ends a session with a close packet; whatever the server says is fine (it may already be gone). */
export async function closeSession(port: number, sid: string): Promise<void> {
  await post(port, sid, ['1']);
}
