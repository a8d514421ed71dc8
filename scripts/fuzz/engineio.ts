/**
 * engine.io v4 long-polling by hand, over raw HTTP requests: the handshake, POSTing packets
 * (records joined by \x1e), polling for the server's, and closing a session so fuzzing leaves
 * none behind. Packets are engine.io text: `4` + a socket.io packet (`40` CONNECT, `42[...]`
 * EVENT, `43N[...]` ACK), `1` close, `3` pong, `6` noop.
 */
import { violation } from './classify.ts';
import { request, send, type HttpAnswer } from './http.ts';
import { ANSWER_MS } from './surface.ts';

export const POLLING = '/socket.io/?EIO=4&transport=polling';
export const WEBSOCKET = '/socket.io/?EIO=4&transport=websocket';
const SEPARATOR = '\x1e';

export const host = (port: number) => ['Host', `127.0.0.1:${port}`] as const;

/** The packets of a polling payload. */
export const packets = (body: string): string[] => (body.length === 0 ? [] : body.split(SEPARATOR));

/** The session id in an open packet `0{"sid":…}`, or undefined. */
export function openSid(packet: string | undefined): string | undefined {
  if (!packet?.startsWith('0{')) return undefined;
  const sid = (JSON.parse(packet.slice(1)) as { sid?: unknown }).sid;
  if (typeof sid !== 'string') violation(`open packet without a sid: ${packet}`);
  return sid;
}

/** A polling handshake with these extra headers; the answer and, on success, the session id. */
export async function handshake(
  port: number,
  headers: readonly (readonly [string, string])[] = [],
): Promise<{ answer: HttpAnswer; sid?: string }> {
  const answer = await send(port, request('GET', POLLING, [host(port), ...headers]), ANSWER_MS);
  if (answer.kind !== 'response' || answer.status !== 200) return { answer };
  const sid = openSid(packets(answer.body.toString('utf8'))[0]);
  if (!sid) violation(`handshake answered 200 without an open packet: ${answer.body.toString('utf8').slice(0, 200)}`);
  return { answer, sid };
}

export function post(port: number, sid: string, body: string): Promise<HttpAnswer> {
  const bytes = Buffer.from(body);
  const headers = [host(port), ['Content-Type', 'text/plain;charset=UTF-8'], ['Content-Length', String(bytes.length)]] as const;
  return send(port, request('POST', `${POLLING}&sid=${encodeURIComponent(sid)}`, headers, bytes), ANSWER_MS);
}

/** One long-poll GET: it returns at once when packets wait, else when the server has some (or pings). */
export function poll(port: number, sid: string, timeoutMs = ANSWER_MS): Promise<HttpAnswer> {
  return send(port, request('GET', `${POLLING}&sid=${encodeURIComponent(sid)}`, [host(port)]), timeoutMs);
}

/** Ends a session with a close packet; whatever the server says is fine (it may already be gone). */
export async function closeSession(port: number, sid: string): Promise<void> {
  await post(port, sid, '1').catch(() => {});
}
