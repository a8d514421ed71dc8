/**
 * The event-stream parser of the WHATWG HTML standard ("Server-sent events", §9.2.6), run the way a
 * browser runs it, over bytes, and reporting every line with its offset and what the browser does
 * with it: which field it sets, and at each blank line whether an event is dispatched and why not.
 *
 * It is incremental because a stream arrives in arbitrary pieces (TCP reads, HTTP chunks), and
 * pieces split anywhere: inside a multi-byte UTF-8 character (so lines are collected as bytes
 * and decoded only once complete), or between the CR and LF of a CRLF (so a line ending in CR at
 * the end of a piece is held until the next byte says whether an LF belongs to it). Feeding the
 * same bytes in any split gives the same lines.
 */

export type LineEnding = 'LF' | 'CRLF' | 'CR';

export interface SseDispatch {
  /** Whether the browser fires an event at this blank line. */
  dispatched: boolean;
  /** The event type (`message` when no `event:` field set one). */
  type: string;
  /** The data buffer with its last LF removed. */
  data: string;
  /** The event source's last event id after this blank line (what Last-Event-ID will carry). */
  lastEventId: string;
  /** Why nothing was dispatched, when nothing was. */
  reason?: string;
}

export interface SseLine {
  /** Offset of the line's first byte among all bytes pushed (the body offset). */
  offset: number;
  /** Bytes, terminator included. */
  length: number;
  /** The terminator; null for an unterminated line at the end of the stream. */
  ending: LineEnding | null;
  /** The line as UTF-8 text, without terminator or BOM. */
  text: string;
  kind: 'field' | 'comment' | 'blank' | 'unterminated';
  /** For fields: the name and the value (one leading space after the colon removed). */
  field?: string;
  value?: string;
  /** The line started with a byte-order mark, which the browser strips. */
  bom: boolean;
  /** The line's bytes are valid UTF-8 (the browser decodes invalid bytes to U+FFFD). */
  validUtf8: boolean;
  /** What the browser does with this line, in words. */
  effect: string;
  /** On blank lines: the dispatch step. */
  dispatch?: SseDispatch;
}

const CR = 0x0d;
const LF = 0x0a;
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class SseParser {
  /** Reconnection time set by a valid `retry:` field, ms; null until one arrives. */
  reconnectionTime: number | null = null;
  /** The event source's last event id. */
  lastEventId = '';
  #eventType = '';
  #data = '';
  #lastIdBuffer = '';
  #pending: Uint8Array[] = [];
  #pendingLength = 0;
  #lineStart = 0;
  #heldCr = false;
  #first = true;

  /** Feeds the next piece; returns the lines it completed. */
  push(bytes: Uint8Array): SseLine[] {
    const lines: SseLine[] = [];
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.#heldCr) {
        // The line before ended in CR; this byte decides whether the terminator was CRLF.
        this.#heldCr = false;
        if (byte === LF) {
          lines.push(this.#line('CRLF', 2));
          start = i + 1;
          continue;
        }
        lines.push(this.#line('CR', 1));
      }
      if (byte === LF) {
        this.#collect(bytes.subarray(start, i));
        lines.push(this.#line('LF', 1));
        start = i + 1;
      } else if (byte === CR) {
        this.#collect(bytes.subarray(start, i));
        start = i + 1;
        this.#heldCr = true;
      }
    }
    this.#collect(bytes.subarray(start));
    return lines;
  }

  /** The stream ended: a held CR ends its line; an unterminated last line is discarded, as the spec says. */
  end(): SseLine[] {
    const lines: SseLine[] = [];
    if (this.#heldCr) {
      this.#heldCr = false;
      lines.push(this.#line('CR', 1));
    }
    if (this.#pendingLength > 0) lines.push(this.#line(null, 0));
    return lines;
  }

  #collect(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#pending.push(Uint8Array.from(piece));
    this.#pendingLength += piece.length;
  }

  #line(ending: LineEnding | null, terminatorBytes: number): SseLine {
    let bytes = Buffer.concat(this.#pending, this.#pendingLength) as Uint8Array;
    const offset = this.#lineStart;
    const length = bytes.length + terminatorBytes;
    this.#pending = [];
    this.#pendingLength = 0;
    this.#lineStart += length;
    let bom = false;
    if (this.#first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bom = true;
      bytes = bytes.subarray(3);
    }
    this.#first = false;
    let validUtf8 = true;
    try {
      strict.decode(bytes);
    } catch {
      validUtf8 = false;
    }
    const text = lenient.decode(bytes);
    const line: SseLine = { offset, length, ending, text, kind: 'field', bom, validUtf8, effect: '' };
    if (ending === null) {
      line.kind = 'unterminated';
      line.effect = 'an unterminated line at the end of the stream: the browser discards it with any pending event';
      return line;
    }
    this.#interpret(line);
    return line;
  }

  #interpret(line: SseLine): void {
    const { text } = line;
    if (text === '') {
      line.kind = 'blank';
      line.dispatch = this.#dispatch();
      const d = line.dispatch;
      line.effect = d.dispatched
        ? `blank line: dispatches a '${d.type}' event${d.lastEventId ? ` with lastEventId '${d.lastEventId}'` : ''} ` +
          `(${Buffer.byteLength(d.data)} bytes of data)`
        : `blank line: ${d.reason}`;
      return;
    }
    if (text.startsWith(':')) {
      line.kind = 'comment';
      line.effect = 'comment (starts with ":"): the browser ignores it; it only keeps the connection and any proxy on it busy';
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    line.field = field;
    line.value = value;
    switch (field) {
      case 'event':
        this.#eventType = value;
        line.effect = `field event: the next event's type is '${value}' (a page hears it with addEventListener('${value}'), not onmessage)`;
        break;
      case 'data':
        this.#data += `${value}\n`;
        line.effect = `field data: appends ${Buffer.byteLength(value)} bytes and an LF to the data buffer`;
        break;
      case 'id':
        if (value.includes('\0')) {
          line.effect = 'field id containing NUL: ignored';
        } else {
          this.#lastIdBuffer = value;
          line.effect =
            value === ''
              ? 'field id, empty: resets the last event id (no Last-Event-ID on reconnect)'
              : `field id: the last event id becomes '${value}' (sent back as Last-Event-ID on reconnect)`;
        }
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) {
          this.reconnectionTime = Number(value);
          line.effect = `field retry: the reconnection time becomes ${value} ms`;
        } else {
          line.effect = 'field retry that is not all ASCII digits: ignored';
        }
        break;
      default:
        line.effect = `field '${field}': not one of event/data/id/retry, so ignored`;
    }
  }

  #dispatch(): SseDispatch {
    // The last event id is set at every blank line, even when nothing is dispatched.
    this.lastEventId = this.#lastIdBuffer;
    const type = this.#eventType || 'message';
    if (this.#data === '') {
      this.#eventType = '';
      return {
        dispatched: false,
        type,
        data: '',
        lastEventId: this.lastEventId,
        reason: 'the data buffer is empty, so no event is dispatched (the spec resets the buffers and returns)',
      };
    }
    const data = this.#data.endsWith('\n') ? this.#data.slice(0, -1) : this.#data;
    this.#data = '';
    this.#eventType = '';
    return { dispatched: true, type, data, lastEventId: this.lastEventId };
  }
}

/** Parses a complete stream in one go (the pieces' boundaries do not matter). */
export function parseEventStream(pieces: Uint8Array[]): { lines: SseLine[]; parser: SseParser } {
  const parser = new SseParser();
  const lines = pieces.flatMap((piece) => parser.push(piece));
  lines.push(...parser.end());
  return { lines, parser };
}
