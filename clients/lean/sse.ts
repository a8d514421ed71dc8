/**
 * Lean SSE reader: one GET /sse on node:http, or node:https for an https url (no agent, so one
 * TCP connection each), framed by `eventsource-parser`, the WHATWG event-stream parser under the
 * `eventsource` client: LF, CRLF or CR line ends, `field:value` with or without the space,
 * multi-line data, comments, a BOM, events split across chunks anywhere. Only `quote` events
 * reach onQuote; `id:`, `retry:` and other events are dropped, since a lean reader neither
 * resumes nor reconnects. SSE has no upstream channel, so there is no ping here: the load runner
 * drives POST /sse/ping with autocannon.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS } from '../constants.ts';
import { ConnectError, deadline, quoteFields, type LeanOptions, type LeanReader } from './types.ts';

/**
 * Frames an event stream's body with eventsource-parser; each `quote` event's seq and ts go to onQuote (sse-h2.ts reads
 * its stream so too).
 */
export function readQuotes(body: Readable, onQuote: LeanOptions['onQuote']): void {
  body.setEncoding('utf8'); // a character split across chunks is decoded whole before the parser sees it
  let receivedAt = 0; // every event the parser completes during one feed() arrived with that chunk
  const parser = createParser({
    onEvent({ event, data }) {
      if (event !== 'quote') return;
      const { seq, ts } = quoteFields(data);
      onQuote(seq, ts, receivedAt);
    },
  });
  let first = true;
  body.on('data', (chunk: string) => {
    receivedAt = now();
    // The spec's UTF-8 decode drops a leading BOM. Node's decoder keeps it as U+FEFF, and eventsource-parser 3.1
    // looks for it as undecoded bytes (EF BB BF), so it is dropped here.
    if (first) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    parser.feed(chunk);
  });
}

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    const request = options.url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(options.url, {
      agent: false,
      ca: options.ca,
      localAddress: options.localAddress,
      headers: { Accept: 'text/event-stream' },
    });
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () =>
      req.destroy(new ConnectError('ETIMEDOUT', 'no response headers in time')),
    );
    const ended = (reason: string) => {
      if (closed) return;
      closed = true;
      options.onClose?.(reason);
    };
    req.on('error', (error) => {
      disarm();
      const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      if (!open) reject(error instanceof ConnectError ? error : new ConnectError(code, error.message));
      else ended(error.message);
    });
    req.on('response', (res) => {
      disarm();
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy();
        reject(new ConnectError(`HTTP_${res.statusCode}`, `GET ${options.url} answered ${res.statusCode}`));
        return;
      }
      open = true;
      readQuotes(res, options.onQuote);
      res.on('close', () => ended('stream closed'));
      resolve({
        connectMs: performance.now() - started,
        close() {
          closed = true;
          req.destroy();
        },
      });
    });
    req.end();
  });
}
