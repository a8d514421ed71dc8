/**
 * HTTP/2 frames and TLS records as tshark dissected them (a TsharkCapture), grouped by TCP
 * connection: each frame with its bytes and the position tshark gives each of its fields, each
 * TLS record with its type and size. Nothing is decoded here: every value, HPACK's header lists
 * included, is tshark's; this only reads its JSON.
 *
 * tshark's JSON shapes: a field seen more than once in one object is an array of values
 * (`--no-duplicate-keys`), `<field>_raw` is [hex, position, length, bitmask, type] (or an array of
 * them), and positions count from the start of the decrypted data the field lies in, so a field's
 * place in its frame is its position minus the frame's.
 */
import type { Direction, TsharkCapture, TsharkNames, TsharkPacket } from '../types.ts';

type Json = Record<string, unknown>;
type Raw = [string, number, number, ...unknown[]];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value that may be one or many (tshark merges repeated keys into arrays). */
export const many = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const raws = (v: unknown): Raw[] => (!Array.isArray(v) ? [] : typeof v[0] === 'string' ? [v as Raw] : (v as Raw[]));

/** Every value of `field` anywhere below `value` (tshark nests fields in trees), in document order. */
export function fieldValues(value: unknown, field: string): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v))
      for (const [key, inner] of Object.entries(v)) {
        if (key === field) for (const x of many(inner)) typeof x === 'string' ? found.push(x) : walk(x);
        else walk(inner);
      }
  };
  walk(value);
  return found;
}

/** A field of a frame: its value (a string, or tshark's subtree) and where it sits in the frame. */
export interface H2Field {
  value: unknown;
  start: number;
  length: number;
}

export interface H2Frame {
  dir: Direction;
  /** Epoch ms of the packet that completed the frame. */
  time: number;
  /** tshark's frame.number of that packet. */
  packet: number;
  /** The frame's bytes, as tshark shows them after decryption. */
  bytes: Buffer;
  /** The client's connection preface (`PRI * HTTP/2.0...`), not a frame. */
  preface: boolean;
  /** Frame type number; null for the preface. */
  type: number | null;
  /** Display names of the flags set, e.g. ['End Stream']. */
  flags: string[];
  streamId: number;
  /** tshark's tree for the frame (its `http2.stream` object). */
  tree: Json;
  /** The occurrences of a field directly in the tree, with their places in the frame. */
  fields(name: string): H2Field[];
}

export interface TlsRecord {
  dir: Direction;
  time: number;
  packet: number;
  /** The record's content type (inside the encryption for TLS 1.3), e.g. 22 handshake, 23 application data. */
  contentType: number;
  /** Record bytes with its 5-byte header. */
  bytes: number;
  /** The handshake messages in it: type and size with the 4-byte handshake header. */
  handshake: { type: number; bytes: number }[];
}

/** One TCP connection of the capture, from the browser's side. */
export interface TcpConnection {
  /** tshark's tcp.stream. */
  stream: number;
  clientPort: number;
  /** TCP payload per direction (the TLS records), each byte once: retransmitted segments are not counted again. */
  bytes: Record<Direction, number>;
  frames: H2Frame[];
  records: TlsRecord[];
  /** Per packet that carried payload: its direction, TCP payload and the frames it completed. */
  packets: Map<number, { dir: Direction; tcpBytes: number; frames: H2Frame[] }>;
  /** From the server's hello and encrypted extensions, as numbers or text tshark gave. */
  version: number | null;
  cipher: number | null;
  alpn: string | null;
}

const first = (value: unknown, field: string): string | undefined => fieldValues(value, field)[0];
const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));

function frameOf(stream: Json, raw: Raw, dir: Direction, time: number, packet: number, names: TsharkNames): H2Frame {
  const [hex, framePos] = raw;
  const flagsTree = isObject(stream['http2.flags_tree']) ? stream['http2.flags_tree'] : {};
  const flags = Object.entries(flagsTree)
    .filter(([key, v]) => !key.endsWith('_raw') && !key.includes('unused') && v === '1')
    .map(([key]) => names.fields[key] ?? key);
  return {
    dir,
    time,
    packet,
    bytes: Buffer.from(hex, 'hex'),
    preface: stream['http2.magic'] !== undefined,
    type: num(stream['http2.type'] as string | undefined),
    flags,
    streamId: num(stream['http2.streamid'] as string | undefined) ?? 0,
    tree: stream,
    fields(name) {
      const values = many(stream[name]);
      // A field may lie in another data source than the frame (the reassembled body tshark shows on a stream's last
      // DATA frame): only occurrences whose bytes are the frame's own, at that place, are the frame's fields. (A bit
      // field's hex is its value, not its bytes: for those, inside the frame is all that can be checked.)
      return raws(stream[`${name}_raw`])
        .map(([fieldHex, pos, length, bitmask], i) => ({ value: values[i], start: pos - framePos, length, fieldHex, bitmask }))
        .filter(
          (f) =>
            f.start >= 0 &&
            f.start + f.length <= hex.length / 2 &&
            (f.bitmask !== 0 || hex.slice(f.start * 2, (f.start + f.length) * 2) === f.fieldHex.toLowerCase()),
        )
        .map(({ value, start, length }) => ({ value, start, length }));
    },
  };
}

function recordsOf(tls: unknown, dir: Direction, time: number, packet: number): TlsRecord[] {
  return many(tls).flatMap((layer) =>
    isObject(layer)
      ? many(layer['tls.record'] as Json | Json[]).map((r) => ({
          dir,
          time,
          packet,
          contentType: Number(r['tls.record.content_type']),
          bytes: Number(r['tls.record.length']) + 5,
          handshake: many(r['tls.handshake'] as Json | Json[])
            .filter((h) => h['tls.handshake.type'] !== undefined)
            .map((h) => ({ type: Number(h['tls.handshake.type']), bytes: Number(h['tls.handshake.length']) + 4 })),
        }))
      : [],
  );
}

/**
 * Counts each TCP payload byte once: a segment adds only the bytes past the highest sequence number seen in its
 * direction, so a retransmission (loopback under load has them) adds nothing. `seq` is tshark's relative tcp.seq.
 */
export class PayloadCounter {
  readonly #highest = new Map<string, number>();
  /** The new bytes of a segment of `length` bytes at `seq` in the flow `key`. */
  add(key: string, seq: number, length: number): number {
    const highest = this.#highest.get(key) ?? seq;
    const added = Math.max(0, seq + length - Math.max(seq, highest));
    this.#highest.set(key, Math.max(highest, seq + length));
    return added;
  }
}

/** The capture's TCP connections in the order they opened, with their HTTP/2 frames and TLS records in capture order. */
export function tcpConnections(capture: TsharkCapture): TcpConnection[] {
  const byStream = new Map<number, TcpConnection>();
  const counter = new PayloadCounter();
  for (const p of capture.packets as TsharkPacket[]) {
    const stream = Number(first(p.tcp, 'tcp.stream'));
    const dir: Direction = Number(first(p.tcp, 'tcp.dstport')) === capture.port ? 'c2s' : 's2c';
    const clientPort = Number(first(p.tcp, dir === 'c2s' ? 'tcp.srcport' : 'tcp.dstport'));
    let conn = byStream.get(stream);
    if (!conn) {
      conn = {
        stream,
        clientPort,
        bytes: { c2s: 0, s2c: 0 },
        frames: [],
        records: [],
        packets: new Map(),
        version: null,
        cipher: null,
        alpn: null,
      };
      byStream.set(stream, conn);
    }
    const time = Number(first(p.frame, 'frame.time_epoch')) * 1000;
    const packet = Number(first(p.frame, 'frame.number'));
    const tcpBytes = Number(first(p.tcp, 'tcp.len') ?? 0);
    conn.bytes[dir] += counter.add(`${stream}/${dir}`, Number(first(p.tcp, 'tcp.seq') ?? 0), tcpBytes);
    const frames = many(p.http2 as Json | Json[]).flatMap((layer) => {
      const streams = many(layer['http2.stream'] as Json | Json[]);
      const streamRaws = raws(layer['http2.stream_raw']);
      return streams.flatMap((s, i) => (streamRaws[i] ? [frameOf(s, streamRaws[i]!, dir, time, packet, capture.names)] : []));
    });
    conn.frames.push(...frames);
    if (tcpBytes > 0) conn.packets.set(packet, { dir, tcpBytes, frames });
    conn.records.push(...recordsOf(p.tls, dir, time, packet));
    if (dir === 's2c') {
      conn.version ??= num(first(p.tls, 'tls.handshake.extensions.supported_version'));
      conn.cipher ??= num(first(p.tls, 'tls.handshake.ciphersuite'));
      conn.alpn ??= first(p.tls, 'tls.handshake.extensions_alpn_str') ?? null;
    }
  }
  return [...byStream.values()];
}

/** tshark's name for a number of a field, e.g. nameOf(names, 'http2.type', 4) = 'SETTINGS'. */
export function nameOf(names: TsharkNames, field: string, value: number | null): string | null {
  return value === null ? null : (names.values[field]?.[String(value)] ?? null);
}
