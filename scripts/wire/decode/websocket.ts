/**
 * RFC 6455 on a recorded byte stream: the base framing (§5.2) — FIN, RSV1-3, opcode, MASK, the
 * payload length in its 7-, 16- or 64-bit form, the masking key, the unmasked payload, and a close
 * frame's code and reason. Pure functions over the whole stream; a frame cut off by the end of the
 * bytes is returned marked incomplete. The handshake's accept check (§4.2.2) uses `acceptFor`, which
 * the lean WebSocket client shares (clients/lean/ws-frames.ts).
 */

export const OPCODES: Record<number, string> = {
  0: 'continuation',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

/** Close codes of RFC 6455 §7.4.1 (and 1012-1014 from the IANA registry). */
export const CLOSE_CODES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status received (never on the wire)',
  1006: 'abnormal closure (never on the wire)',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
};

export type LengthForm = '7-bit' | '16-bit' | '64-bit';

export interface WsFrame {
  /** Offset of the frame's first byte in the stream. */
  offset: number;
  /** Header plus payload bytes present (short of the full frame when incomplete). */
  length: number;
  fin: boolean;
  rsv: [boolean, boolean, boolean];
  opcode: number;
  opcodeName: string;
  masked: boolean;
  /** The 7-bit length field of byte 1: the length itself, or 126 / 127 for the extended forms. */
  lengthField: number;
  lengthForm: LengthForm;
  payloadLength: number;
  /** Bytes of fixed header, extended length and masking key. */
  headerLength: number;
  /** Offset of the masking key, when masked. */
  maskKeyOffset: number | null;
  maskKey: Uint8Array | null;
  payloadOffset: number;
  /** The payload, unmasked (as much as was present). */
  payload: Uint8Array;
  complete: boolean;
  /** Close frames: the status code (null when the payload is empty) and the UTF-8 reason. */
  close?: { code: number | null; reason: string };
}

/** Reads one frame header at `offset`; null when fewer header bytes than it needs are present, or its 64-bit length is past 2^53. */
function readHeader(bytes: Uint8Array, offset: number) {
  if (offset + 2 > bytes.length) return null;
  const b0 = bytes[offset]!;
  const b1 = bytes[offset + 1]!;
  const masked = (b1 & 0x80) !== 0;
  const lengthField = b1 & 0x7f;
  let pos = offset + 2;
  let payloadLength = lengthField;
  let lengthForm: LengthForm = '7-bit';
  if (lengthField === 126) {
    if (pos + 2 > bytes.length) return null;
    payloadLength = (bytes[pos]! << 8) | bytes[pos + 1]!;
    lengthForm = '16-bit';
    pos += 2;
  } else if (lengthField === 127) {
    if (pos + 8 > bytes.length) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset + pos, 8);
    const big = view.getBigUint64(0);
    // A length past 2^53 is no frame anyone sent: stop here and leave the rest undecoded.
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    payloadLength = Number(big);
    lengthForm = '64-bit';
    pos += 8;
  }
  const maskKeyOffset = masked ? pos : null;
  if (masked) {
    if (pos + 4 > bytes.length) return null;
    pos += 4;
  }
  return { b0, masked, lengthField, payloadLength, lengthForm, maskKeyOffset, payloadOffset: pos };
}

/** Decodes consecutive frames from `offset`; `end` is where decoding stopped (== length when all was frames). */
export function decodeFrames(bytes: Uint8Array, offset = 0): { frames: WsFrame[]; end: number } {
  const frames: WsFrame[] = [];
  let pos = offset;
  while (pos < bytes.length) {
    const h = readHeader(bytes, pos);
    if (!h) break;
    const available = Math.min(h.payloadLength, bytes.length - h.payloadOffset);
    // Copies (Uint8Array.from), never views: a Buffer's slice() shares memory, and unmasking must not touch the input.
    const maskKey = h.maskKeyOffset === null ? null : Uint8Array.from(bytes.subarray(h.maskKeyOffset, h.maskKeyOffset + 4));
    const payload = Uint8Array.from(bytes.subarray(h.payloadOffset, h.payloadOffset + available));
    if (maskKey) for (let i = 0; i < payload.length; i++) payload[i]! ^= maskKey[i & 3]!;
    const opcode = h.b0 & 0x0f;
    const frame: WsFrame = {
      offset: pos,
      length: h.payloadOffset - pos + available,
      fin: (h.b0 & 0x80) !== 0,
      rsv: [(h.b0 & 0x40) !== 0, (h.b0 & 0x20) !== 0, (h.b0 & 0x10) !== 0],
      opcode,
      opcodeName: OPCODES[opcode] ?? `reserved 0x${opcode.toString(16)}`,
      masked: h.masked,
      lengthField: h.lengthField,
      lengthForm: h.lengthForm,
      payloadLength: h.payloadLength,
      headerLength: h.payloadOffset - pos,
      maskKeyOffset: h.maskKeyOffset,
      maskKey,
      payloadOffset: h.payloadOffset,
      payload,
      complete: available === h.payloadLength,
    };
    if (opcode === 0x8 && frame.complete) {
      frame.close =
        payload.length >= 2
          ? { code: (payload[0]! << 8) | payload[1]!, reason: Buffer.from(payload.subarray(2)).toString('utf8') }
          : { code: null, reason: '' };
    }
    frames.push(frame);
    pos += frame.length;
    if (!frame.complete) break;
  }
  return { frames, end: pos };
}
