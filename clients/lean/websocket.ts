/**
 * A WebSocket opened by hand, for the lean ws and socket.io readers: the opening handshake (RFC
 * 6455 section 4) as a GET on a raw socket (raw-get.ts) and the frames read and written by hand
 * (ws-frames.ts). The `ws` library's client cost the generator more per delivery than reading the
 * quote did (a stream and an event per frame). No permessage-deflate is offered, as the lab's
 * servers offer none. Text messages go to the caller; the server's pings are answered with pongs;
 * a close frame ends the connection (onClose `close <code>`, or `close 1006` without one).
 */
import { randomBytes } from 'node:crypto';
import { RawGet } from './raw-get.ts';
import { ConnectError, type LeanOptions } from './types.ts';
import { acceptFor, clientFrame, FrameReader, OPCODE } from './ws-frames.ts';

export interface LeanWebSocket {
  /** The GET under it: `opened` resolves at the 101, `close()` ends it without a closing handshake. */
  readonly get: RawGet;
  /** Sends one text message (masked, as a client must). */
  send(text: string): void;
}

/** Opens `options.url` (ws: or wss:); each text message goes to onText with the receive time of the read it completed. */
export function openWebSocket(options: LeanOptions, onText: (text: string, receivedAt: number) => void): LeanWebSocket {
  const key = randomBytes(16).toString('base64');
  const accept = acceptFor(key);
  let receivedAt = 0;
  // A handler may close the socket mid-read (socket.io's refusal): the frames after that are not handed on.
  const frames = new FrameReader({
    text: (text) => {
      if (!get.socket.destroyed) onText(text, receivedAt);
    },
    ping: (payload) => {
      if (!get.socket.destroyed) get.socket.write(clientFrame(OPCODE.pong, payload));
    },
    close(code) {
      get.socket.destroy(); // no closing handshake: the reader is done either way
      get.ended(`close ${code}`);
    },
  });
  const get = new RawGet(options, {
    fields: `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`,
    accept({ status, headers }) {
      if (status !== 101) throw new ConnectError(`HTTP_${status}`, `upgrade answered ${status}`);
      // Section 4.1: a 101 that does not upgrade to websocket, or does not answer this key, fails the connection.
      const upgraded = headers.get('upgrade')?.toLowerCase() === 'websocket' && /\bupgrade\b/i.test(headers.get('connection') ?? '');
      if (!upgraded || headers.get('sec-websocket-accept') !== accept)
        throw new ConnectError('WS_HANDSHAKE', 'a 101 without Upgrade: websocket or the right accept key');
    },
    onBody(piece, at) {
      receivedAt = at;
      frames.push(piece);
    },
    waitingFor: '101',
    closedReason: 'close 1006',
  });
  return { get, send: (text) => get.socket.write(clientFrame(OPCODE.text, Buffer.from(text))) };
}
