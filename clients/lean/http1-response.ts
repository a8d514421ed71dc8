/**
 * An HTTP/1.1 response read by hand, for the lean readers' GET on a raw socket (raw-get.ts): node:http's
 * client put every body chunk through parser callbacks and a Readable stream, which cost the
 * generator more per delivery than framing and reading the quote did. A GET of one event stream
 * needs little of HTTP/1.1 (RFC 9112): the status line, the head's Transfer-Encoding and
 * Content-Length, and the three ways a body is delimited: chunked (chunk extensions and trailer
 * fields read and dropped), a length, or the connection's close. Anything else is malformed.
 * The lean WebSocket reader reads its 101 with it too: a 101 has neither field, so what follows
 * its head (the frames) goes to onBody as a body delimited by the close.
 */

/** A response HTTP/1.1 does not allow (the connect counts it under `code`). */
export class MalformedResponse extends Error {
  readonly code = 'HTTP_MALFORMED';
  constructor(message: string) {
    super(`lab: malformed HTTP response: ${message}`);
    this.name = 'MalformedResponse';
  }
}

/** What the reader expects next: head lines, a chunk-size line, chunk data, the CRLF after it, trailer lines, or body bytes. */
type State = 'head' | 'size' | 'data' | 'data-end' | 'trailer' | 'length' | 'close' | 'done';

/** Head (or one chunk-size or trailer line) beyond this is refused, so a peer cannot grow it without bound. */
const MAX_LINE_BYTES = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;
/** Hex digits a chunk size may have here, so it stays an exact integer (CHUNK_SIZE says the same). */
const MAX_SIZE_DIGITS = 12;

/** The value of hex digit byte `c`, or -1. */
function hexDigit(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |$)/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/;

export class ResponseReader {
  /** The status once the head is read, else 0. */
  status = 0;
  /** The head's fields once it is read, by lower-case name (repeats joined with `, `). */
  readonly headers = new Map<string, string>();
  #state: State = 'head';
  /** An unfinished line (latin1), and the head's lines so far. */
  #partial = '';
  #head: string[] = [];
  #headBytes = 0;
  /** Bytes left in the current chunk or the length-delimited body. */
  #left = 0;

  /** `onBody` gets each piece of the body as it arrives (a view of the caller's bytes: copy what you keep). */
  constructor(readonly onBody: (piece: Buffer) => void) {}

  /** The body ended by its own framing (a last chunk, or its length); a close-delimited one never does. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** Reads the next bytes of the response; throws MalformedResponse at the first thing HTTP/1.1 does not allow. */
  push(bytes: Buffer): void {
    let i = 0;
    while (i < bytes.length && this.#state !== 'done') {
      if (this.#state === 'close') {
        this.onBody(bytes.subarray(i));
        return;
      }
      if (this.#state === 'data' || this.#state === 'length') {
        const end = Math.min(bytes.length, i + this.#left);
        this.onBody(bytes.subarray(i, end));
        this.#left -= end - i;
        i = end;
        if (this.#left === 0) this.#state = this.#state === 'data' ? 'data-end' : 'done';
        continue;
      }
      if (this.#partial === '') {
        const next = this.#state === 'size' ? this.#sizeLine(bytes, i) : this.#state === 'data-end' ? this.#crlf(bytes, i) : -1;
        if (next !== -1) {
          i = next;
          continue;
        }
      }
      const newline = bytes.indexOf(LF, i);
      const end = newline === -1 ? bytes.length : newline;
      this.#partial += bytes.toString('latin1', i, end);
      if (this.#partial.length > MAX_LINE_BYTES) throw new MalformedResponse(`a line of over ${MAX_LINE_BYTES} bytes`);
      if (newline === -1) return;
      i = newline + 1;
      // Lines end in CRLF; a bare LF is taken too, as node:http's parser takes it.
      const line = this.#partial.endsWith('\r') ? this.#partial.slice(0, -1) : this.#partial;
      this.#partial = '';
      this.#line(line);
    }
  }

  /**
   * The common chunk-size line, `<hex>` CRLF whole in these bytes, read without making a string: the index after it, or -1
   * to read it as a line.
   */
  #sizeLine(bytes: Buffer, i: number): number {
    let size = 0;
    let j = i;
    for (let digit = hexDigit(bytes[j]); digit !== -1 && j - i < MAX_SIZE_DIGITS; digit = hexDigit(bytes[++j])) size = size * 16 + digit;
    if (j === i || bytes[j] !== CR || bytes[j + 1] !== LF) return -1;
    this.#left = size;
    this.#state = size === 0 ? 'trailer' : 'data';
    return j + 2;
  }

  /** The CRLF after a chunk's data whole in these bytes: the index after it, or -1 to read it as a line. */
  #crlf(bytes: Buffer, i: number): number {
    if (bytes[i] !== CR || bytes[i + 1] !== LF) return -1;
    this.#state = 'size';
    return i + 2;
  }

  #line(line: string): void {
    switch (this.#state) {
      case 'head':
        this.#headBytes += line.length + 2;
        if (this.#headBytes > MAX_LINE_BYTES) throw new MalformedResponse(`a head of over ${MAX_LINE_BYTES} bytes`);
        if (line !== '') this.#head.push(line);
        else this.#startBody();
        return;
      case 'size': {
        const size = CHUNK_SIZE.exec(line);
        if (!size) throw new MalformedResponse(`chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        this.#left = Number.parseInt(size[1]!, 16);
        this.#state = this.#left === 0 ? 'trailer' : 'data';
        return;
      }
      case 'data-end':
        if (line !== '') throw new MalformedResponse('chunk data longer than its size');
        this.#state = 'size';
        return;
      case 'trailer':
        if (line === '') this.#state = 'done';
        return;
    }
  }

  /** The blank line after the head: its status, then how the body is delimited (RFC 9112 section 6.3). */
  #startBody(): void {
    const [statusLine = '', ...fields] = this.#head;
    const status = STATUS_LINE.exec(statusLine);
    if (!status) throw new MalformedResponse(`status line ${JSON.stringify(statusLine.slice(0, 40))}`);
    let contentLength: string | null = null;
    for (const field of fields) {
      const colon = field.indexOf(':');
      if (colon <= 0) throw new MalformedResponse(`header line ${JSON.stringify(field.slice(0, 40))}`);
      const name = field.slice(0, colon).toLowerCase();
      const value = field.slice(colon + 1).trim();
      const earlier = this.headers.get(name);
      this.headers.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (contentLength !== null && contentLength !== value))
          throw new MalformedResponse(`Content-Length ${JSON.stringify(value)}`);
        contentLength = value;
      }
    }
    this.#head = [];
    this.status = Number(status[1]);
    const transferEncoding = this.headers.get('transfer-encoding');
    if (transferEncoding !== undefined) {
      const codings = transferEncoding.toLowerCase().split(',');
      // A body whose last coding is not chunked ends with the connection.
      this.#state = codings.at(-1)!.trim() === 'chunked' ? 'size' : 'close';
    } else if (contentLength !== null) {
      this.#left = Number(contentLength);
      this.#state = this.#left === 0 ? 'done' : 'length';
    } else {
      this.#state = 'close';
    }
  }
}
