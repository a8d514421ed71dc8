/**
 * Lean reader of the raw-TCP floor: one socket, newline-delimited JSON quotes; a tls:// url puts
 * the same lines inside TLS. "Open" is the TCP connect (over TLS: the end of the handshake); a
 * line with an `error` field (the server's connection cap) closes it. No upstream path exists on
 * the floor, so there is no ping. The socket reads through `onread` into the shared READ_BUFFER,
 * so a read costs no stream machinery; each line is decoded alone and read by quote-json.ts.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS } from '../constants.ts';
import { readQuote } from './quote-json.ts';
import { ConnectError, deadline, READ_BUFFER, type LeanOptions, type LeanReader, trusting } from './types.ts';

const NEWLINE = 0x0a;

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  const { protocol, hostname, port } = new URL(options.url);
  const secure = protocol === 'tls:';
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    /** The bytes of a line that has not ended yet, copied out of READ_BUFFER. */
    let partial: Buffer | null = null;
    const onread = {
      buffer: READ_BUFFER,
      /** `buffer` is READ_BUFFER; returns true: go on reading (false would pause the socket). */
      callback(nread: number, buffer: Buffer): boolean {
        const receivedAt = now();
        const last = buffer.lastIndexOf(NEWLINE, nread - 1);
        if (last === -1) {
          partial = Buffer.concat(partial ? [partial, buffer.subarray(0, nread)] : [buffer.subarray(0, nread)]);
          return true;
        }
        // Lines end at an ASCII byte, so the complete ones decode apart from the rest.
        const text = partial ? Buffer.concat([partial, buffer.subarray(0, last)]).toString('utf8') : buffer.toString('utf8', 0, last);
        partial = last + 1 < nread ? Buffer.from(buffer.subarray(last + 1, nread)) : null;
        // A line that is not a quote is the cap's error; the close follows.
        for (let start = 0, end = 0; end !== text.length; start = end + 1) {
          end = text.indexOf('\n', start);
          if (end === -1) end = text.length;
          readQuote(text.slice(start, end), receivedAt, options.onQuote);
        }
        return true;
      },
    };
    const target = { host: hostname, port: Number(port), localAddress: options.localAddress, noDelay: true, onread };
    const socket: Socket = secure ? tlsConnect({ ...target, ...trusting(options.ca) }) : netConnect(target);
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () =>
      socket.destroy(new ConnectError('ETIMEDOUT', `no ${secure ? 'TLS handshake' : 'TCP connect'} in time`)),
    );
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
