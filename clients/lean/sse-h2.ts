/**
 * Lean SSE-over-HTTP/2 reader: one node:http2 session per reader, as each browser on its own
 * machine has its own connection (HTTP/2 would multiplex every reader of one process onto a single
 * connection otherwise), with one GET /sse stream on it, framed as the HTTP/1.1 reader frames its
 * body (eventStream, sse.ts). The server is always TLS: pass the lab certificate as `ca`. No ping:
 * SSE's upstream is a separate POST, which the load runner drives itself.
 */
import { connect as connectSession, type SecureClientSessionOptions } from 'node:http2';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS } from '../constants.ts';
import { eventStream } from './sse.ts';
import { ConnectError, deadline, type LeanOptions, type LeanReader, trusting } from './types.ts';

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  const url = new URL(options.url);
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    // http2.connect hands its options to tls.connect, the source address included, though @types/node leaves it out.
    const tlsOptions = { ...trusting(options.ca), localAddress: options.localAddress } as SecureClientSessionOptions;
    const session = connectSession(url.origin, tlsOptions);
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () =>
      session.destroy(new ConnectError('ETIMEDOUT', 'no response headers in time')),
    );
    /** Before the open, any end is the connect's failure; after it, the one onClose. */
    const ended = (error: Error | undefined, reason: string) => {
      disarm();
      if (!open) {
        // A stream cancelled by its session's failure carries that failure (a refused connection, an untrusted certificate) as its cause.
        const { code = 'ECONNRESET' } = ((error?.cause ?? error) as NodeJS.ErrnoException | undefined) ?? {};
        return reject(error instanceof ConnectError ? error : new ConnectError(code, error?.message ?? reason));
      }
      if (closed) return;
      closed = true;
      session.destroy();
      options.onClose?.(error?.message ?? reason);
    };
    session.on('error', (error) => ended(error, 'session error'));
    session.on('close', () => ended(undefined, 'session closed'));
    const stream = session.request({ ':path': `${url.pathname}${url.search}`, accept: 'text/event-stream' }, { endStream: true });
    stream.on('error', (error) => ended(error, 'stream error'));
    stream.on('close', () => ended(undefined, 'stream closed'));
    stream.on('response', (headers) => {
      disarm();
      const status = headers[':status'];
      if (status !== 200) {
        session.destroy();
        return reject(new ConnectError(`HTTP_${status}`, `GET ${options.url} answered ${status}`));
      }
      open = true;
      const feed = eventStream(options.onQuote);
      stream.setEncoding('utf8'); // a character split across DATA frames is decoded whole
      stream.on('data', (text: string) => feed(text, now()));
      resolve({
        connectMs: performance.now() - started,
        close() {
          closed = true;
          session.destroy();
        },
      });
    });
  });
}
