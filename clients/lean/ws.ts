/**
 * Lean WebSocket reader on a WebSocket opened by hand (websocket.ts): JSON text frames are quotes
 * or control messages; ping() sends {"type":"ping","t"} and waits for the matching pong. The
 * server's protocol pings are answered by websocket.ts. A wss: url puts the same bytes inside TLS.
 */
import { now, type ControlMessage } from '../../servers/contract.ts';
import { readQuote } from './quote-json.ts';
import { type LeanOptions, type LeanReader, roundTrip } from './types.ts';
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
      return roundTrip(pings, t, 'pong', () => socket.send(JSON.stringify({ type: 'ping', t })));
    },
  };
}
