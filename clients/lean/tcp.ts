/**
 * Lean reader of the raw-TCP floor: one socket, newline-delimited JSON quotes; a tls:// url puts
 * the same lines inside TLS. "Open" is the TCP connect (over TLS: the end of the handshake); a
 * line with an `error` field (the server's connection cap) closes it. No upstream path exists on
 * the floor, so there is no ping.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS } from '../constants.ts';
import { ConnectError, deadline, type LeanOptions, type LeanReader } from './types.ts';

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  const { protocol, hostname, port } = new URL(options.url);
  const secure = protocol === 'tls:';
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    const target = { host: hostname, port: Number(port), localAddress: options.localAddress, noDelay: true };
    const socket: Socket = secure ? tlsConnect({ ...target, ca: options.ca }) : netConnect(target);
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () =>
      socket.destroy(new ConnectError('ETIMEDOUT', `no ${secure ? 'TLS handshake' : 'TCP connect'} in time`)),
    );
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      const receivedAt = now();
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        const message = JSON.parse(line) as { seq?: number; ts?: number; error?: unknown };
        if (message.seq !== undefined && message.ts !== undefined) options.onQuote(message.seq, message.ts, receivedAt);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      disarm();
      if (!open) reject(error instanceof ConnectError ? error : new ConnectError(error.code ?? 'UNKNOWN', error.message));
    });
    socket.on('close', () => {
      if (!open || closed) return;
      closed = true;
      options.onClose?.('socket closed');
    });
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      disarm();
      open = true;
      resolve({
        connectMs: performance.now() - started,
        close() {
          closed = true;
          socket.destroy();
        },
      });
    });
  });
}
