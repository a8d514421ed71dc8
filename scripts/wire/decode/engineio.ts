/**
 * engine.io protocol v4 and socket.io protocol v5, the two layers socket.io 4 puts on the wire.
 *
 * engine.io packet: one type digit then data — 0 open, 1 close, 2 ping, 3 pong, 4 message,
 * 5 upgrade, 6 noop. Over HTTP long-polling a body holds several packets joined by the record
 * separator 0x1e, a binary packet written as 'b' + base64; over WebSocket each frame is one
 * packet, and a binary frame is a binary message as it stands.
 *
 * socket.io packet (inside an engine.io message): type digit, then for binary packets the number
 * of attachments and '-', then a namespace other than '/' followed by ',', then an ack id, then
 * JSON. Binary arguments are replaced by {"_placeholder":true,"num":n}; the attachments follow
 * as their own engine.io binary messages.
 *
 * Pure functions over text and bytes. Every prefix before the JSON is ASCII, so the character
 * offsets returned here are also byte offsets within the packet.
 */

export const ENGINE_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;
export const SOCKET_TYPES = ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'CONNECT_ERROR', 'BINARY_EVENT', 'BINARY_ACK'] as const;

/** The polling payload's packet separator. */
export const RECORD_SEPARATOR = 0x1e;

export interface EnginePacket {
  /** 0..6, or 'binary' for a binary message (a WebSocket binary frame, or 'b' + base64 when polling). */
  type: number | 'binary';
  name: string;
  /** Text after the type digit; for binary messages, the bytes. */
  data: string | Uint8Array;
}

/** Decodes one text engine.io packet; null when it is not one. */
export function decodeEngineText(text: string): EnginePacket | null {
  if (text.startsWith('b'))
    return { type: 'binary', name: 'binary message (base64 when polling)', data: new Uint8Array(Buffer.from(text.slice(1), 'base64')) };
  const type = text.charCodeAt(0) - 0x30;
  if (!(type >= 0 && type < ENGINE_TYPES.length)) return null;
  return { type, name: ENGINE_TYPES[type]!, data: text.slice(1) };
}

/** One packet's place in a polling body, its separator not included. */
export interface PayloadPart {
  offset: number;
  length: number;
  text: string;
  /** Offset of the 0x1e after it, or null for the last packet. */
  separator: number | null;
}

/** Splits a long-polling body into its packets. */
export function splitPollingPayload(body: Uint8Array): PayloadPart[] {
  const parts: PayloadPart[] = [];
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === RECORD_SEPARATOR) {
      const text = Buffer.from(body.subarray(start, i)).toString('utf8');
      parts.push({ offset: start, length: i - start, text, separator: i === body.length ? null : i });
      start = i + 1;
    }
  }
  return parts;
}

/** A socket.io packet and where each of its parts sits in the text it came in. */
export interface SocketPacket {
  type: number;
  name: string;
  /** BINARY_EVENT / BINARY_ACK: how many attachments follow. */
  attachments: number | null;
  nsp: string;
  ackId: number | null;
  /** The parsed JSON (undefined when there was none). */
  data: unknown;
  /** The parts in order, each with its byte offset and byte length in the packet. */
  parts: { offset: number; length: number; what: 'type' | 'attachments' | 'namespace' | 'ack id' | 'json' }[];
}

/** Decodes a socket.io packet from an engine.io message's text; null when it is not one. */
export function decodeSocketPacket(text: string): SocketPacket | null {
  const type = text.charCodeAt(0) - 0x30;
  if (!(type >= 0 && type < SOCKET_TYPES.length)) return null;
  const packet: SocketPacket = {
    type,
    name: SOCKET_TYPES[type]!,
    attachments: null,
    nsp: '/',
    ackId: null,
    data: undefined,
    parts: [{ offset: 0, length: 1, what: 'type' }],
  };
  let pos = 1;
  if (type === 5 || type === 6) {
    const dash = text.indexOf('-', pos);
    if (dash === -1 || !/^\d+$/.test(text.slice(pos, dash))) return null;
    packet.attachments = Number(text.slice(pos, dash));
    packet.parts.push({ offset: pos, length: dash + 1 - pos, what: 'attachments' });
    pos = dash + 1;
  }
  if (text[pos] === '/') {
    const comma = text.indexOf(',', pos);
    const end = comma === -1 ? text.length : comma + 1;
    packet.nsp = text.slice(pos, comma === -1 ? text.length : comma);
    packet.parts.push({ offset: pos, length: end - pos, what: 'namespace' });
    pos = end;
  }
  const ack = /^\d+/.exec(text.slice(pos));
  if (ack) {
    packet.ackId = Number(ack[0]);
    packet.parts.push({ offset: pos, length: ack[0].length, what: 'ack id' });
    pos += ack[0].length;
  }
  if (pos < text.length) {
    try {
      packet.data = JSON.parse(text.slice(pos));
    } catch {
      return null;
    }
    packet.parts.push({ offset: pos, length: Buffer.byteLength(text.slice(pos)), what: 'json' });
  }
  return packet;
}

/** A socket.io binary placeholder: {"_placeholder":true,"num":n}. */
export function isPlaceholder(value: unknown): value is { _placeholder: true; num: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { _placeholder?: unknown })._placeholder === true &&
    typeof (value as { num?: unknown }).num === 'number'
  );
}
