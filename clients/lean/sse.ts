/**
 * Lean SSE reader: one GET /sse on its own TCP connection (TLS for an https url), framed by
 * `eventsource-parser`, the WHATWG event-stream parser under the `eventsource` client: LF, CRLF
 * or CR line ends, `field:value` with or without the space, multi-line data, comments, a BOM,
 * events split across chunks anywhere. Only `quote` events reach onQuote; `id:`, `retry:` and
 * other events are dropped, since a lean reader neither resumes nor reconnects. SSE has no
 * upstream channel, so there is no ping here: the load runner drives POST /sse/ping with autocannon.
 *
 * The GET runs on a raw socket (raw-get.ts): node:http's client cost the generator more per delivery
 * than the quote's framing and reading did (parser callbacks, a Readable stream and its ticks per chunk).
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { readQuote, type OnQuote } from './quote-json.ts';
import { RawGet } from './raw-get.ts';
import { ConnectError, type LeanOptions, type LeanReader } from './types.ts';

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
  const feed = eventStream(options.onQuote);
  const decoder = new StringDecoder('utf8'); // a character split across reads is decoded whole
  return new RawGet(options, {
    fields: 'Accept: text/event-stream\r\nConnection: close\r\n',
    accept({ status }) {
      if (status !== 200) throw new ConnectError(`HTTP_${status}`, `GET ${options.url} answered ${status}`);
    },
    onBody: (piece, receivedAt) => feed(decoder.write(piece), receivedAt),
    waitingFor: 'response headers',
    closedReason: 'stream closed',
  }).opened;
}
