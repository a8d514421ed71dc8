/**
 * Lean SSE reader: one GET /sse on its own TCP connection (TLS for an https url), framed by
 * `eventsource-parser`, the WHATWG event-stream parser under the `eventsource` client: LF, CRLF
 * or CR line ends, `field:value` with or without the space, multi-line data, comments, a BOM,
 * events split across chunks anywhere. Only `quote` events reach onQuote; `id:`, `retry:` and
 * other events are dropped, since a lean reader neither resumes nor reconnects. SSE has no
 * upstream channel, so there is no ping here: the load runner drives POST /sse/ping with autocannon.
 *
 * The GET runs on a raw socket read through `onread` into the shared READ_BUFFER, its response read
 * by http1-response.ts: node:http's client cost the generator more per delivery than the quote's
 * framing and reading did (parser callbacks, a Readable stream and its ticks per chunk).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { connect as tlsConnect } from 'node:tls';
import { createParser } from 'eventsource-parser';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS } from '../constants.ts';
import { ResponseReader } from './http1-response.ts';
import { readQuote, type OnQuote } from './quote-json.ts';
import { ConnectError, deadline, READ_BUFFER, type LeanOptions, type LeanReader, trusting } from './types.ts';

/**
 * An event stream's decoded text, piece by piece, framed by eventsource-parser: each `quote` event's seq and ts go to
 * onQuote with the receive time of the piece that completed it (sse-h2.ts feeds its stream so too).
 */
export function eventStream(onQuote: OnQuote): (text: string, receivedAt: number) => void {
  let receivedAt = 0;
  let first = true;
  const parser = createParser({
    onEvent({ event, data }) {
      if (event === 'quote') readQuote(data, receivedAt, onQuote); // data that is JSON but no quote is not counted
    },
  });
  return (text, at) => {
    if (text === '') return; // a decoder holding the first bytes of a character
    receivedAt = at;
    // The spec's UTF-8 decode drops a leading BOM. Node's decoder keeps it as U+FEFF, and eventsource-parser 3.1
    // looks for it as undecoded bytes (EF BB BF), so it is dropped here.
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    parser.feed(text);
  };
}

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    let receivedAt = 0;
    const feed = eventStream(options.onQuote);
    const decoder = new StringDecoder('utf8'); // a character split across reads is decoded whole
    const response = new ResponseReader((piece) => {
      if (response.status === 200) feed(decoder.write(piece), receivedAt);
    });
    const onread = {
      buffer: READ_BUFFER,
      /** `buffer` is READ_BUFFER; false pauses the socket (it is being destroyed). */
      callback(nread: number, buffer: Buffer): boolean {
        receivedAt = now();
        try {
          response.push(buffer.subarray(0, nread));
        } catch (error) {
          socket.destroy(new ConnectError((error as { code?: string }).code ?? 'UNKNOWN', (error as Error).message));
          return false;
        }
        if (!open && response.status !== 0) {
          disarm();
          if (response.status !== 200) {
            socket.destroy();
            reject(new ConnectError(`HTTP_${response.status}`, `GET ${options.url} answered ${response.status}`));
            return false;
          }
          open = true;
          resolve({
            connectMs: performance.now() - started,
            close() {
              closed = true;
              socket.destroy();
            },
          });
        }
        if (!response.done) return true;
        socket.destroy(); // the body ended by its framing: the stream is over
        return false;
      },
    };
    const target = { host: url.hostname, port: Number(url.port || (secure ? 443 : 80)), localAddress: options.localAddress, onread };
    const socket: Socket = secure ? tlsConnect({ ...target, ...trusting(options.ca) }) : netConnect(target);
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () =>
      socket.destroy(new ConnectError('ETIMEDOUT', 'no response headers in time')),
    );
    const ended = (reason: string) => {
      if (closed) return;
      closed = true;
      options.onClose?.(reason);
    };
    socket.on('error', (error: NodeJS.ErrnoException) => {
      disarm();
      if (!open) reject(error instanceof ConnectError ? error : new ConnectError(error.code ?? 'UNKNOWN', error.message));
      else ended(error.message);
    });
    socket.on('close', () => {
      disarm();
      if (!open) reject(new ConnectError('ECONNRESET', 'connection closed before the response head'));
      else ended('stream closed');
    });
    socket.write(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`,
    );
  });
}
