/**
 * Lean SSE reader: one GET /sse on node:http (no agent, so one TCP connection each) and a
 * minimal event-stream parser: split on blank lines, read `event:` and `data:`, ignore `id:`,
 * `retry:` and `:` comments. The lab's server writes LF line ends only, so this parser does too;
 * the full WHATWG parser (CRLF, BOM, multi-line data) is the `eventsource` client's job
 * (clients/sse.ts). SSE has no upstream channel, so there is no ping here: the load runner
 * drives POST /sse/ping with autocannon.
 */
import { request } from 'node:http';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS, ConnectError, deadline, quoteFields, type LeanOptions, type LeanReader } from './types.ts';

/** One event block (the text between blank lines) -> its quote, if it is a quote event. */
function dispatch(block: string, receivedAt: number, options: LeanOptions): void {
  let event = 'message';
  let data: string | undefined;
  for (const line of block.split('\n')) {
    if (line.startsWith('data: ')) data = data === undefined ? line.slice(6) : `${data}\n${line.slice(6)}`;
    else if (line.startsWith('event: ')) event = line.slice(7);
  }
  if (event === 'quote' && data !== undefined) {
    const { seq, ts } = quoteFields(data);
    options.onQuote(seq, ts, receivedAt);
  }
}

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    const req = request(options.url, { agent: false, localAddress: options.localAddress, headers: { Accept: 'text/event-stream' } });
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () => req.destroy(new ConnectError('ETIMEDOUT', 'no response headers in time')));
    const ended = (reason: string) => {
      if (closed) return;
      closed = true;
      options.onClose?.(reason);
    };
    req.on('error', (error) => {
      disarm();
      if (!open) reject(error instanceof ConnectError ? error : new ConnectError((error as NodeJS.ErrnoException).code ?? 'UNKNOWN', error.message));
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
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const receivedAt = now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          dispatch(buffer.slice(0, end), receivedAt, options);
          buffer = buffer.slice(end + 2);
        }
      });
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
