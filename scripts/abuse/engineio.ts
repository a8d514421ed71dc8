/**
 * engine.io v4 by hand, over raw HTTP long-polling and over a raw WebSocket, so an attack can send
 * socket.io packets no socket.io client would (CONNECT with an object as `format`, pings without an
 * ack id, broken JSON) and stop polling when it likes.
 *
 *   GET  /socket.io/?EIO=4&transport=polling          -> 0{"sid":...}   (the open packet)
 *   POST /socket.io/?EIO=4&transport=polling&sid=...  body `40...`   (socket.io CONNECT)
 *   GET  ...&sid=...                                  -> packets, separated by \x1e
 */
import WebSocket from 'ws';
import { HOST, httpText, rawRequest, rawUpgrade, type HttpAnswer, type Upgrade } from './wire.ts';

export const EIO_PATH = '/socket.io/?EIO=4';
/** How long to wait for the server's next packet (or for a raw engine.io WebSocket to open). */
export const REPLY_TIMEOUT_MS = 3000;
/** engine.io's record separator between packets of one polling payload. */
const SEPARATOR = '\x1e';

/** A packet with its session ids blanked, so equal answers tally as one: `40{"sid":…,"pid":…}`. */
export function withoutIds(packet: string): string {
  return packet.replace(/"(sid|pid)":"[^"]*"/g, '"$1":…');
}

export interface PollingSession {
  sid: string | null;
  /** The handshake's answer (200 with the open packet, or a refusal). */
  handshake: HttpAnswer;
}

export async function pollingHandshake(port: number): Promise<PollingSession> {
  const handshake = await rawRequest(port, httpText('GET', `${EIO_PATH}&transport=polling`, port));
  const open = handshake.status === 200 && handshake.body.startsWith('0');
  return { sid: open ? (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid : null, handshake };
}

export function pollingSend(port: number, sid: string, packets: string[]): Promise<HttpAnswer> {
  const body = packets.join(SEPARATOR);
  const headers = { 'Content-Type': 'text/plain;charset=UTF-8' };
  return rawRequest(port, httpText('POST', `${EIO_PATH}&transport=polling&sid=${sid}`, port, headers, body));
}

/** One long-poll; the server holds it until it has packets (or its ping interval passes). */
export async function pollingReceive(port: number, sid: string, timeoutMs: number): Promise<{ answer: HttpAnswer; packets: string[] }> {
  const answer = await rawRequest(port, httpText('GET', `${EIO_PATH}&transport=polling&sid=${sid}`, port), timeoutMs);
  return { answer, packets: answer.status === 200 && answer.body ? answer.body.split(SEPARATOR) : [] };
}

/** A polling session that has sent socket.io CONNECT and read the answer packet (`40{...}` or `44{...}`). */
export async function pollingConnect(port: number, connectPacket = '40'): Promise<PollingSession & { reply: string | null }> {
  const session = await pollingHandshake(port);
  if (!session.sid) return { ...session, reply: null };
  await pollingSend(port, session.sid, [connectPacket]);
  const { packets } = await pollingReceive(port, session.sid, REPLY_TIMEOUT_MS);
  return { ...session, reply: packets.find((p) => p.startsWith('4')) ?? null };
}

/** A raw engine.io WebSocket (the `ws` package) that answers engine.io pings and records every text message. */
export interface EioSocket {
  ws: WebSocket;
  messages: string[];
  closed: Promise<number>;
  /** Resolves the first message matching `test`, or null after `timeoutMs`. */
  next(test: (message: string) => boolean, timeoutMs: number): Promise<string | null>;
}

export async function eioWebSocket(port: number): Promise<EioSocket> {
  const ws = new WebSocket(`ws://${HOST}:${port}${EIO_PATH}&transport=websocket`, { perMessageDeflate: false });
  const messages: string[] = [];
  const listeners = new Set<() => void>();
  ws.on('error', () => {}); // a refused or cut connection shows in `closed`
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    if (text === '2') ws.send('3'); // engine.io ping from the server: answer, as a client would
    messages.push(text);
    for (const listener of [...listeners]) listener();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  const next = (test: (message: string) => boolean, ms: number) =>
    new Promise<string | null>((resolve) => {
      let seen = 0;
      const check = () => {
        for (; seen < messages.length; seen++) {
          if (!test(messages[seen]!)) continue;
          finish(messages[seen]!);
          return;
        }
      };
      const finish = (value: string | null) => {
        clearTimeout(timer);
        listeners.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => finish(null), ms);
      closed.then(() => setImmediate(() => finish(null)));
      listeners.add(check);
      check();
    });
  const opened = new Promise((resolve) => ws.once('open', resolve));
  await Promise.race([opened, closed, new Promise((resolve) => setTimeout(resolve, REPLY_TIMEOUT_MS))]);
  return { ws, messages, closed, next };
}

/** An engine.io WebSocket upgrade on a raw socket (no library): to read a refusal's status and body, or to stall. */
export function eioRawUpgrade(port: number): Promise<Upgrade> {
  return rawUpgrade(port, `${EIO_PATH}&transport=websocket`);
}
