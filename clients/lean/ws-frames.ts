/**
 * WebSocket frames (RFC 6455 section 5) read and written by hand, for the WebSocket under the lean
 * ws and socket.io readers (websocket.ts): the `ws` library's receiver put every frame through a
 * Writable stream, a list of buffers and an event, which cost the generator more per delivery than
 * the quote's reading did. A client needs little of it: a server's frames are never masked, carry
 * no RSV bits (no extension was negotiated), and a message may come in fragments with control
 * frames between them; a client's frames are masked.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The GUID of RFC 6455 §1.3 that the server appends to Sec-WebSocket-Key before hashing. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept a server must answer to `key`: base64(sha1(key + GUID)) (§4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

/** A frame stream RFC 6455 does not allow from a server (the reader closes the connection on it). */
export class MalformedFrames extends Error {
  readonly code = 'WS_MALFORMED';
  constructor(message: string) {
    super(`lab: malformed WebSocket frames: ${message}`);
    this.name = 'MalformedFrames';
  }
}

export interface FrameHandlers {
  /** A whole text message (fragments joined). Binary messages are dropped: the lean readers read JSON only. */
  text(text: string): void;
  /** A ping: answer with a pong carrying its payload. */
  ping(payload: Buffer): void;
  /** A close frame, with its status code (1005 when it has none). */
  close(code: number): void;
}

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
/** A message (or a frame) beyond this is refused, so a peer cannot grow the reader's memory without bound. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * The whole size (head and payload) of the frame starting at data[i], or -1 while its head is not whole; throws
 * MalformedFrames on a head a server may not send.
 */
function frameSize(data: Buffer, i = 0): number {
  if (data.length - i < 2) return -1;
  const first = data[i]!;
  const second = data[i + 1]!;
  if (second & 0x80) throw new MalformedFrames('a masked frame from the server');
  if (first & 0x70) throw new MalformedFrames('RSV bits set with no extension negotiated');
  let length = second & 0x7f;
  let head = 2;
  if (length === 126) {
    if (data.length - i < 4) return -1;
    length = data.readUInt16BE(i + 2);
    head = 4;
  } else if (length === 127) {
    if (data.length - i < 10) return -1;
    if (data.readUInt32BE(i + 2) !== 0) throw new MalformedFrames(`a frame of over ${MAX_MESSAGE_BYTES} bytes`);
    length = data.readUInt32BE(i + 6);
    head = 10;
  }
  if (length > MAX_MESSAGE_BYTES) throw new MalformedFrames(`a frame of over ${MAX_MESSAGE_BYTES} bytes`);
  return head + length;
}

export class FrameReader {
  /** The bytes of a frame not yet whole, copied out of the caller's buffer. */
  #pending: Buffer | null = null;
  /** The fragments of a message not yet finished, and its opcode (-1: none under way). */
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #fragmentOpcode = -1;
  /** A close frame was read: nothing after it is a message (section 5.5.1). */
  #closed = false;

  constructor(readonly handlers: FrameHandlers) {}

  /** Reads the next bytes (a view of the caller's buffer, not kept); throws MalformedFrames at the first violation. */
  push(bytes: Buffer): void {
    if (this.#closed) return;
    let data = bytes;
    let i = 0;
    const pending = this.#pending;
    this.#pending = null;
    if (pending) {
      const size = frameSize(pending);
      if (size === -1) {
        data = Buffer.concat([pending, bytes]); // its head is not whole yet (rare): read from the joined bytes
      } else {
        // Only the bytes the unfinished frame still needs are copied; the rest is read where it lies.
        const joined = Buffer.concat([pending, bytes.subarray(0, size - pending.length)]);
        if (joined.length < size) {
          this.#pending = joined;
          return;
        }
        this.#frameAt(joined, 0);
        i = size - pending.length;
      }
    }
    for (let next = this.#frameAt(data, i); next !== -1 && !this.#closed; next = this.#frameAt(data, i)) i = next;
    if (i < data.length && !this.#closed) this.#pending = Buffer.from(data.subarray(i));
  }

  /** Handles the frame whole at data[i]: the index after it, or -1 when it is not whole yet (or a close came before). */
  #frameAt(data: Buffer, i: number): number {
    if (this.#closed) return -1;
    const end = frameSize(data, i);
    if (end === -1 || data.length < i + end) return -1;
    const first = data[i]!;
    const length = data[i + 1]! & 0x7f;
    const start = i + (length === 126 ? 4 : length === 127 ? 10 : 2);
    this.#frame((first & 0x80) !== 0, first & 0x0f, data.subarray(start, i + end));
    return i + end;
  }

  #frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode >= OPCODE.close) {
      if (!fin || payload.length > 125) throw new MalformedFrames('a fragmented or long control frame');
      if (opcode === OPCODE.ping) this.handlers.ping(payload);
      else if (opcode === OPCODE.close) {
        if (payload.length === 1) throw new MalformedFrames('a close frame with a 1-byte payload');
        this.#closed = true;
        this.handlers.close(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
      } else if (opcode !== OPCODE.pong) throw new MalformedFrames(`opcode ${opcode}`);
      return;
    }
    if (opcode === OPCODE.continuation) {
      if (this.#fragmentOpcode === -1) throw new MalformedFrames('a continuation with no message under way');
      this.#fragmentBytes += payload.length;
      if (this.#fragmentBytes > MAX_MESSAGE_BYTES) throw new MalformedFrames(`a message of over ${MAX_MESSAGE_BYTES} bytes`);
      this.#fragments.push(Buffer.from(payload));
      if (!fin) return;
      const whole = Buffer.concat(this.#fragments);
      if (this.#fragmentOpcode === OPCODE.text) this.handlers.text(whole.toString('utf8'));
      this.#fragments = [];
      this.#fragmentBytes = 0;
      this.#fragmentOpcode = -1;
      return;
    }
    if (opcode !== OPCODE.text && opcode !== OPCODE.binary) throw new MalformedFrames(`opcode ${opcode}`);
    if (this.#fragmentOpcode !== -1) throw new MalformedFrames('a new message before the last one finished');
    if (fin) {
      if (opcode === OPCODE.text) this.handlers.text(payload.toString('utf8'));
      return;
    }
    this.#fragmentOpcode = opcode;
    this.#fragmentBytes = payload.length;
    this.#fragments = [Buffer.from(payload)];
  }
}

/** A client's frame: FIN set, its payload masked with a fresh key (section 5.3). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + 4 + length);
  frame[0] = 0x80 | opcode;
  if (head === 2) frame[1] = 0x80 | length;
  else if (head === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const key = randomBytes(4);
  key.copy(frame, head);
  for (let i = 0; i < length; i++) frame[head + 4 + i] = payload[i]! ^ key[i & 3]!;
  return frame;
}
