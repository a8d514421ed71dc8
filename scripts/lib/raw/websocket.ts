/**
 * WebSocket by hand (RFC 6455): the upgrade request, and frames. The encoder writes whatever a
 * frame spec says, including what no library would send (RSV bits, unknown opcodes, an unmasked
 * client frame, a length field that lies, a non-minimal length); the decoder reads the server's
 * frames as they are, for the caller to judge.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ANSWER_MS, type RawConnection } from './connection.ts';
import { exchange, host, request, type Exchange, type Header } from './http.ts';

export interface FrameSpec {
  fin: boolean;
  /** RSV1..3 as a 3-bit number; anything but 0 is a protocol error without an extension. */
  rsv: number;
  opcode: number;
  /** Client frames must be masked; null sends the payload in the clear. */
  mask: Buffer | null;
  payload: Buffer;
  /** Length field width: 7 (only for < 126 bytes), 16 or 64 bits. */
  lengthBits: 7 | 16 | 64;
  /** Length written in the header: the payload's own, or a lie. */
  declared: bigint;
}

export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

export const OPCODES = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;
/** Past this a frame header is taken for garbage, not a payload worth waiting for. */
const MAX_FRAME_BYTES = 2n ** 32n;

export function encodeFrame(spec: FrameSpec): Buffer {
  const head = [(spec.fin ? 0x80 : 0) | ((spec.rsv & 7) << 4) | (spec.opcode & 0x0f)];
  const maskBit = spec.mask ? 0x80 : 0;
  let length: Buffer;
  if (spec.lengthBits === 7) {
    length = Buffer.from([maskBit | Number(spec.declared & 0x7fn)]);
  } else if (spec.lengthBits === 16) {
    length = Buffer.alloc(3);
    length[0] = maskBit | 126;
    length.writeUInt16BE(Number(spec.declared & 0xffffn), 1);
  } else {
    length = Buffer.alloc(9);
    length[0] = maskBit | 127;
    length.writeBigUInt64BE(spec.declared & 0xffffffffffffffffn, 1);
  }
  const payload = Buffer.from(spec.payload);
  if (spec.mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= spec.mask[i % 4]!;
  return Buffer.concat([Buffer.from(head), length, spec.mask ?? Buffer.alloc(0), payload]);
}

/** The length field width RFC 6455 requires for this many bytes. */
export const minimalBits = (length: number): 7 | 16 | 64 => (length < 126 ? 7 : length < 65536 ? 16 : 64);

/** A well-formed client frame's spec: masked, honest minimal length. */
export function frameSpec(opcode: number, payload: Buffer | string, fin = true, mask = randomBytes(4)): FrameSpec {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return { fin, rsv: 0, opcode, mask, payload: bytes, lengthBits: minimalBits(bytes.length), declared: BigInt(bytes.length) };
}

/** A well-formed, whole client frame. */
export const clientFrame = (opcode: number, payload: Buffer | string): Buffer => encodeFrame(frameSpec(opcode, payload));

/** Decodes the server frame at the start of `buffer`: undefined while incomplete. */
function parseFrame(buffer: Buffer): { frame: ServerFrame; size: number } | undefined {
  if (buffer.length < 2) return undefined;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    const big = buffer.readBigUInt64BE(2);
    if (big > MAX_FRAME_BYTES) throw new Error(`the server sent a frame claiming ${big} bytes`);
    length = Number(big);
    at = 10;
  }
  if (masked) at += 4;
  if (buffer.length < at + length) return undefined;
  const payload = Buffer.from(buffer.subarray(at, at + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffer[at - 4 + (i % 4)]!;
  const frame = { fin: (buffer[0]! & 0x80) !== 0, rsv: (buffer[0]! >> 4) & 7, opcode: buffer[0]! & 0x0f, masked, payload };
  return { frame, size: at + length };
}

/**
 * The next server frame that passes `test` (any, by default; the ones it rejects are dropped);
 * 'closed' when the connection ended first, undefined after `timeoutMs`.
 */
export async function nextFrame(
  connection: RawConnection,
  timeoutMs: number,
  test: (frame: ServerFrame) => boolean = () => true,
): Promise<ServerFrame | 'closed' | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const parse = (buffer: Buffer, closed: boolean) => parseFrame(buffer) ?? (closed ? ('closed' as const) : undefined);
    const result = await connection.until(parse, Math.max(1, deadline - Date.now()));
    if (result === undefined || result === 'closed') return result;
    connection.consume(result.size);
    if (test(result.frame)) return result.frame;
  }
}

/** A close frame's code (1005 when it carries none, null for a malformed 1-byte payload) and reason. */
export function closeOf(frame: ServerFrame): { code: number | null; reason: string } {
  if (frame.payload.length < 2) return { code: frame.payload.length === 0 ? 1005 : null, reason: '' };
  return { code: frame.payload.readUInt16BE(0), reason: frame.payload.toString('utf8', 2) };
}

export const acceptKey = (key: string): string => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

/** The headers of a valid upgrade request, with a fresh key. */
export function upgradeHeaders(port: number): { key: string; headers: Header[] } {
  const key = randomBytes(16).toString('base64');
  return {
    key,
    headers: [host(port), ['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Key', key], ['Sec-WebSocket-Version', '13']],
  };
}

/**
 * A valid upgrade request to any target, with `then` (frames, say) in the same write so it reaches
 * the server before its answer. On a 101 the connection's buffer starts at the server's first frame.
 */
export async function upgrade(port: number, target: string, then: Buffer = Buffer.alloc(0)): Promise<Exchange & { key: string }> {
  const { key, headers } = upgradeHeaders(port);
  const { answer, connection } = await exchange(port, Buffer.concat([request('GET', target, headers), then]), ANSWER_MS);
  if (answer.kind === 'response' && answer.status === 101) connection.consume(answer.size);
  return { key, answer, connection };
}

/** A valid handshake on a raw connection; fails (a setup error, not a finding) unless it gets its 101. */
export async function openWebSocket(port: number, target: string): Promise<RawConnection> {
  const { key, answer, connection } = await upgrade(port, target);
  if (answer.kind !== 'response' || answer.status !== 101 || answer.headers['sec-websocket-accept'] !== acceptKey(key)) {
    connection.destroy();
    throw new Error(`WebSocket handshake on ${target} failed: ${answer.kind === 'response' ? answer.status : answer.kind}`);
  }
  return connection;
}
