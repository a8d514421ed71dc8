/**
 * What every annotator of a connection shares: the two byte streams with the time each read
 * arrived, the facts gathered for the evidence, and the list messages are pushed onto. Bytes no
 * decoder recognises are kept as an 'undecoded' message rather than dropped, so the byte counts
 * always add up to what the relay saw.
 */
import type { AttachmentState } from '../describe.ts';
import type { SseLine } from '../decode/sse.ts';
import type { ByteRow, Carries, Direction, WireMessage } from '../types.ts';
import { row } from './rows.ts';

/** Facts about a connection the evidence and the notes are computed from (not written out as such). */
export interface ConnectionFacts {
  firstRequestLine: string | null;
  firstResponseStatus: number | null;
  /** Event-stream responses on this connection. */
  sse: {
    contentType: string;
    transferEncoding: string | null;
    /** The de-chunked body bytes. */
    body: Buffer;
    validUtf8: boolean;
    /** What the body's first lines before the first dispatched event did. */
    preamble: SseLine[];
  }[];
  /** base64 quotes in SSE data lines: characters on the wire and bytes they decode to. */
  base64Quotes: { chars: number; bytes: number }[];
  upgrade: { status: number; acceptVerified: boolean | null; extensionsOffered: string | null; extensionsAccepted: string | null } | null;
  /** HTTP bytes before the frames began (upgraded connections). */
  httpBytes: { c2s: number; s2c: number };
  /** Frames decoded after a 101. */
  frames: number;
  /** Bytes after a 101 that did not decode as frames. */
  undecodedAfterUpgrade: number;
  binaryFrames: number;
  /** socket.io attachments: binary messages a placeholder announced. */
  attachments: number;
}

/** A connection's facts before any byte of it is read. */
export const emptyFacts = (): ConnectionFacts => ({
  firstRequestLine: null,
  firstResponseStatus: null,
  sse: [],
  base64Quotes: [],
  upgrade: null,
  httpBytes: { c2s: 0, s2c: 0 },
  frames: 0,
  undecodedAfterUpgrade: 0,
  binaryFrames: 0,
  attachments: 0,
});

/** One direction of a connection: its bytes and when each read arrived. */
export class Stream {
  readonly bytes: Buffer;
  readonly #starts: number[] = [];
  readonly #times: number[] = [];
  constructor(chunks: { t: number; data: string }[]) {
    const pieces = chunks.map((c) => Buffer.from(c.data, 'base64'));
    let offset = 0;
    pieces.forEach((piece, i) => {
      this.#starts.push(offset);
      this.#times.push(chunks[i]!.t);
      offset += piece.length;
    });
    this.bytes = Buffer.concat(pieces);
  }
  get reads(): number {
    return this.#starts.length;
  }
  /** When the read holding byte `offset` arrived. */
  timeAt(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.#times[lo] ?? 0;
  }
}

export interface Context {
  conn: number;
  streams: Record<Direction, Stream>;
  messages: WireMessage[];
  facts: ConnectionFacts;
  attachments: Record<Direction, AttachmentState>;
}

export function push(
  ctx: Context,
  dir: Direction,
  layer: WireMessage['layer'],
  rows: ByteRow[],
  summary: string,
  carries: Carries,
  seqs: number[] = [],
  payloadBytes: number | null = null,
): WireMessage | null {
  if (rows.length === 0) return null;
  const offset = rows[0]!.offset;
  const length = rows.reduce((sum, r) => sum + r.length, 0);
  const message: WireMessage = {
    conn: ctx.conn,
    dir,
    t: ctx.streams[dir].timeAt(offset),
    offset,
    length,
    layer,
    summary,
    carries,
    seqs,
    payloadBytes,
    rows,
  };
  ctx.messages.push(message);
  return message;
}

export function undecoded(ctx: Context, dir: Direction, from: number): void {
  const wire = ctx.streams[dir].bytes;
  if (from >= wire.length) return;
  push(
    ctx,
    dir,
    'undecoded',
    [row(wire, from, wire.length - from, 'undecoded', 'bytes no decoder recognised (or a message cut off by the end of the connection)')],
    `${wire.length - from} undecoded bytes`,
    'other',
  );
}
