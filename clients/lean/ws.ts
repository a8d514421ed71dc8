/**
 * Lean WebSocket reader on a WebSocket opened by hand (websocket.ts): JSON text frames are quotes
 * or control messages; ping() sends {"type":"ping","t"} and waits for the matching pong. The
 * server's protocol pings are answered by websocket.ts. A wss: url puts the same bytes inside TLS.
 */
import { now, type ControlMessage } from '../../servers/contract.ts';
import { PING_TIMEOUT_MS } from '../constants.ts';
import { readQuote } from './quote-json.ts';
import { deadline, type LeanOptions, type LeanReader } from './types.ts';
import { openWebSocket } from './websocket.ts';

export async function connect(options: LeanOptions): Promise<LeanReader> {
  const pings = new Map<number, (rttMs: number) => void>();
  const socket = openWebSocket(options, (text, receivedAt) => {
    const control = readQuote(text, receivedAt, options.onQuote) as ControlMessage | undefined;
    if (control?.type === 'pong') pings.get(control.t)?.(receivedAt - control.t);
  });
  const reader = await socket.get.opened;
  return {
    ...reader,
    ping() {
      const t = now();
      return new Promise((resolvePing, rejectPing) => {
        const disarm = deadline(PING_TIMEOUT_MS, () => {
          pings.delete(t);
          rejectPing(new Error(`lab: no pong within ${PING_TIMEOUT_MS / 1000} s`));
        });
        pings.set(t, (rttMs) => {
          disarm();
          pings.delete(t);
          resolvePing(rttMs);
        });
        socket.send(JSON.stringify({ type: 'ping', t }));
      });
    },
  };
}
