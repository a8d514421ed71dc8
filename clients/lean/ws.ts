/**
 * Lean WebSocket reader on `ws` (no permessage-deflate, as the server): JSON text frames are
 * quotes or control messages; ping() sends {"type":"ping","t"} and waits for the matching pong.
 * The `ws` library answers the server's protocol-level pings by itself.
 */
import WebSocket from 'ws';
import { now, type ControlMessage } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS, PING_TIMEOUT_MS } from '../constants.ts';
import { readQuote } from './quote-json.ts';
import { ConnectError, deadline, type LeanOptions, type LeanReader, trusting } from './types.ts';

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  const pings = new Map<number, (rttMs: number) => void>();
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    const socket = new WebSocket(options.url, {
      ...trusting(options.ca), // ws hands its options on to tls.connect
      perMessageDeflate: false,
      // A quote is read by its ASCII structure (quote-json.ts); a stray invalid byte cannot change a seq or ts.
      skipUTF8Validation: true,
      localAddress: options.localAddress,
      handshakeTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    });
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      socket.terminate();
      reject(new ConnectError(`HTTP_${res.statusCode}`, `upgrade answered ${res.statusCode}`));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (open) return;
      const code = error.code ?? (/timed out/.test(error.message) ? 'ETIMEDOUT' : 'UNKNOWN');
      reject(new ConnectError(code, error.message));
    });
    socket.on('message', (data: Buffer) => {
      const receivedAt = now();
      const control = readQuote(data.toString('utf8'), receivedAt, options.onQuote) as ControlMessage | undefined;
      if (control?.type === 'pong') pings.get(control.t)?.(receivedAt - control.t);
    });
    socket.on('close', (code: number) => {
      if (!open) return reject(new ConnectError(`WS_${code}`, `closed with ${code} before opening`));
      if (closed) return;
      closed = true;
      options.onClose?.(`close ${code}`);
    });
    socket.once('open', () => {
      open = true;
      resolve({
        connectMs: performance.now() - started,
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
        close() {
          closed = true;
          socket.terminate();
        },
      });
    });
  });
}
