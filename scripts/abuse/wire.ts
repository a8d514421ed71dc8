/**
 * Raw bytes on node:net, for requests no well-behaved client library would send: request targets
 * `new URL()` cannot parse, WebSocket frames built by hand (invalid UTF-8, oversize, unsolicited
 * pings), upgrades followed by frames in the same write. Every read ends on a timeout, and a
 * connection the server drops or never answers is an observation, never an exception.
 */
import { connect, type Socket } from 'node:net';

export const HOST = '127.0.0.1';
/** How long any request waits for its answer before the silence is the observation. */
const ANSWER_TIMEOUT_MS = 3000;

export interface HttpAnswer {
  /** null: no status line came back (the connection failed or closed first). */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** The socket error that ended the exchange (ECONNREFUSED, ECONNRESET...), if any. */
  error?: string;
}

/** An HTTP/1.1 exchange whose response head has arrived (or that ended without one). */
interface Opened extends HttpAnswer {
  socket: Socket;
  /** Bytes after the response head. */
  rest: Buffer;
}

function noAnswer(socket: Socket, error?: string): Opened {
  return { socket, status: null, headers: {}, body: '', rest: Buffer.alloc(0), error };
}

/** Writes `request` and resolves once the response head is in, the socket ends, or `timeoutMs` passes. */
function open(port: number, request: string | Buffer, timeoutMs: number): Promise<Opened> {
  const socket = connect(port, HOST);
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (result: Opened) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.pause(); // the caller decides who reads the rest
      const [statusLine = '', ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
      finish({ socket, status: Number.isNaN(status) ? null : status, headers, body: '', rest: buffered.subarray(end + 4) });
    };
    const timer = setTimeout(() => finish(noAnswer(socket, 'timeout')), timeoutMs);
    socket.on('data', onData);
    socket.on('error', (error: NodeJS.ErrnoException) => finish(noAnswer(socket, error.code ?? error.message)));
    socket.once('close', () => finish(noAnswer(socket, 'closed')));
    socket.write(request);
  });
}

/** A chunked body decoded as far as it has arrived; `complete` once the last (empty) chunk is in. */
function dechunk(raw: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = parseInt(raw.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size) || raw.length < lineEnd + 2 + size + 2) break;
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), complete: false };
}

/**
 * Reads a response body (Content-Length, chunked, or until the server closes) within `timeoutMs`;
 * then waits up to `closeWaitMs` for the server to close the connection itself, and destroys it.
 */
function readBody(opened: Opened, timeoutMs: number, closeWaitMs = 0): Promise<{ body: string; closed: boolean }> {
  const { socket, headers } = opened;
  const chunked = headers['transfer-encoding']?.toLowerCase() === 'chunked';
  const length = headers['content-length'] === undefined ? Infinity : Number(headers['content-length']);
  let raw = opened.rest;
  let closed = socket.destroyed;
  const decoded = () => (chunked ? dechunk(raw) : { body: raw, complete: raw.length >= length });
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ body: decoded().body.toString('utf8'), closed });
    };
    const complete = () => {
      if (closed || closeWaitMs === 0) return done();
      clearTimeout(timer);
      timer = setTimeout(done, closeWaitMs);
    };
    timer = setTimeout(done, timeoutMs);
    socket.once('close', () => {
      closed = true;
      done();
    });
    if (decoded().complete || closed) return complete();
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      if (decoded().complete) complete();
    });
    socket.resume();
  });
}

/** One raw HTTP exchange on its own connection; the socket is destroyed afterwards. */
export async function rawRequest(port: number, request: string | Buffer, timeoutMs = ANSWER_TIMEOUT_MS): Promise<HttpAnswer> {
  const opened = await open(port, request, timeoutMs);
  if (opened.status === null) {
    opened.socket.destroy();
    return { status: null, headers: {}, body: '', error: opened.error };
  }
  return { status: opened.status, headers: opened.headers, body: (await readBody(opened, timeoutMs)).body };
}

/** Reads a streaming response (SSE) until `enough(text so far)` or ANSWER_TIMEOUT_MS, then hangs up. */
export async function readStream(port: number, request: string, enough: (text: string) => boolean): Promise<HttpAnswer> {
  const opened = await open(port, request, ANSWER_TIMEOUT_MS);
  if (opened.status === null) {
    opened.socket.destroy();
    return { status: null, headers: {}, body: '', error: opened.error };
  }
  let text = opened.rest.toString('utf8');
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      opened.socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, ANSWER_TIMEOUT_MS);
    if (enough(text)) return done();
    opened.socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (enough(text)) done();
    });
    opened.socket.once('close', done);
    opened.socket.resume();
  });
  return { status: opened.status, headers: opened.headers, body: text };
}

/** A request with `Connection: close`, so every exchange has its own socket and ends by itself. */
export function httpText(method: string, target: string, port: number, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${HOST}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body || method === 'POST') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The `code` of a lab error body `{"error":{"code":...}}`, or null. */
export function errorCode(body: string): string | null {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

/** An answer as one compact observation: status, lab error code, and the socket error if there was no answer. */
export function answerOf(answer: HttpAnswer): { status: number | null; code: string | null; error?: string } {
  return { status: answer.status, code: errorCode(answer.body), ...(answer.error ? { error: answer.error } : {}) };
}

// --- WebSocket frames by hand ---------------------------------------------------------------

export const OPCODE = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A client frame (masked, as RFC 6455 requires of clients); `rsv1` sets a reserved bit no extension claimed. */
export function clientFrame(opcode: number, payload: Buffer | string, options: { rsv1?: boolean } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = data.length;
  const header = Buffer.alloc(length < 126 ? 2 : length < 65536 ? 4 : 10);
  header[0] = 0x80 | (options.rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = data[i]! ^ MASK[i & 3]!;
  return Buffer.concat([header, MASK, masked]);
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

export interface CloseInfo {
  code: number | null;
  reason: string;
}

/** Parses the frames a server sends on a raw socket, as they arrive. */
export class FrameReader {
  readonly frames: ServerFrame[] = [];
  /** The server's close frame, once one arrived. */
  close: CloseInfo | null = null;
  /** The TCP connection ended (FIN, RST, or our own hangUp). */
  ended = false;
  /** We ended it ourselves (hangUp), so `ended` says nothing about the server. */
  hungUp = false;
  #buffer = Buffer.alloc(0);
  readonly #waiters = new Set<() => void>();

  constructor(readonly socket: Socket, initial: Buffer = Buffer.alloc(0)) {
    socket.on('data', (chunk: Buffer) => this.#push(chunk));
    socket.on('error', () => {}); // an RST is an observation (ended), not a crash of the attacker
    socket.once('close', () => {
      this.ended = true;
      this.#notify();
    });
    if (initial.length > 0) this.#push(initial);
  }

  /** Ends the connection from our side. */
  hangUp(): void {
    this.hungUp = true;
    this.socket.destroy();
  }

  /** Text payloads so far. */
  get texts(): string[] {
    return this.frames.filter((f) => f.opcode === OPCODE.text).map((f) => f.payload.toString('utf8'));
  }

  /** Resolves true once `condition` holds, false after `timeoutMs` (or when the socket ended without it). */
  until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!condition() && !this.ended) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(condition());
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve(condition());
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const frame = this.#next();
      if (!frame) break;
      this.frames.push(frame);
      if (frame.opcode === OPCODE.close) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : null;
        this.close = { code, reason: frame.payload.subarray(2).toString('utf8') };
      }
    }
    this.#notify();
  }

  #next(): ServerFrame | null {
    const b = this.#buffer;
    if (b.length < 2) return null;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const mask = masked ? b.subarray(offset, offset + 4) : null;
    if (masked) offset += 4;
    if (b.length < offset + length) return null;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    this.#buffer = b.subarray(offset + length);
    return { opcode: b[0]! & 0x0f, payload };
  }
}

export interface Upgrade extends HttpAnswer {
  socket: Socket;
  /** A refused upgrade: the server closed the connection after its answer (within a second). */
  closedAfterAnswer: boolean;
  /** Set when the server answered 101: the frames it sends from then on. */
  reader: FrameReader | null;
}

/**
 * A WebSocket upgrade request with valid Upgrade/Key/Version headers to any target, optionally with
 * frames in the same write (so they reach the server before it has answered the upgrade).
 */
export async function rawUpgrade(port: number, target: string, options: { then?: Buffer } = {}): Promise<Upgrade> {
  const head = [
    `GET ${target} HTTP/1.1`,
    `Host: ${HOST}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
  ].join('\r\n');
  const request = Buffer.concat([Buffer.from(`${head}\r\n\r\n`), options.then ?? Buffer.alloc(0)]);
  const opened = await open(port, request, ANSWER_TIMEOUT_MS);
  if (opened.status === 101) {
    const reader = new FrameReader(opened.socket, opened.rest);
    opened.socket.resume();
    return { ...opened, body: '', reader, closedAfterAnswer: false };
  }
  const { body, closed } = opened.status === null ? { body: '', closed: true } : await readBody(opened, ANSWER_TIMEOUT_MS, 1000);
  opened.socket.destroy();
  const { socket, status, headers, error } = opened;
  return { socket, status, headers, body, error, reader: null, closedAfterAnswer: closed };
}

/** "1013 LAB_CONNECTION_CAP", "no close frame" or "no upgrade (403)": one observation as one string, for tallies. */
export function describeClose(upgrade: Upgrade): string {
  if (!upgrade.reader) return `no upgrade (${upgrade.status ?? upgrade.error})`;
  const close = upgrade.reader.close;
  if (close) return `${close.code} ${close.reason}`.trim();
  return upgrade.reader.ended && !upgrade.reader.hungUp ? 'ended without close frame' : 'no close frame';
}

/** Counts equal strings: {"1013 LAB_CONNECTION_CAP": 12}. */
export function tally(values: (string | number | null | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}
