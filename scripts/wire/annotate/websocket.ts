/**
 * WebSocket frames after a 101: each frame's header byte by byte (FIN, RSV, opcode, MASK, the
 * length form, the masking key), then its payload described by what the upgrade was for: the
 * lab's /ws messages or engine.io packets and socket.io attachments. Fragmented messages are
 * reassembled and described on their final fragment; bytes that do not decode as frames stay
 * undecoded.
 */
import { CLOSE_CODES, decodeFrames, type WsFrame } from '../decode/websocket.ts';
import {
  type AttachmentState,
  type Content,
  describeAttachment,
  describeBinaryQuote,
  describeEnginePacket,
  describeLabText,
  type Item,
} from '../describe.ts';
import type { ByteRow, Direction } from '../types.ts';
import { type Context, push, undecoded } from './context.ts';
import { itemRows, row } from './rows.ts';

function frameHeaderRows(wire: Uint8Array, f: WsFrame): ByteRow[] {
  const rsv = f.rsv.map((b) => (b ? 1 : 0)).join('');
  const rows: ByteRow[] = [
    row(
      wire,
      f.offset,
      1,
      'FIN+RSV+opcode',
      `FIN=${f.fin ? 1 : 0} (${f.fin ? 'final fragment' : 'more fragments follow'}), ` +
        `RSV1-3=${rsv}${rsv === '000' ? ' (no extension in use)' : ''}, opcode 0x${f.opcode.toString(16)} = ${f.opcodeName}`,
    ),
    row(
      wire,
      f.offset + 1,
      1,
      'MASK+length',
      `MASK=${f.masked ? 1 : 0} (${f.masked ? 'a client frame: masked' : 'a server frame: not masked'}), length field ${f.lengthField}${
        f.lengthForm === '7-bit'
          ? ` = the payload length (7-bit form, for 0-125 bytes)`
          : f.lengthForm === '16-bit'
            ? ': a 16-bit length follows'
            : ': a 64-bit length follows'
      }`,
    ),
  ];
  const extended = f.lengthForm === '16-bit' ? 2 : f.lengthForm === '64-bit' ? 8 : 0;
  if (extended)
    rows.push(
      row(
        wire,
        f.offset + 2,
        extended,
        'extended length',
        `payload length ${f.payloadLength} (${f.lengthForm} form, for ${f.lengthForm === '16-bit' ? '126-65535' : '65536 and more'} bytes)`,
      ),
    );
  if (f.maskKeyOffset !== null)
    rows.push(
      row(
        wire,
        f.maskKeyOffset,
        4,
        'masking key',
        `masking key: the payload is XORed with these 4 bytes (RFC 6455 §5.3), so a page cannot choose the bytes a proxy in between sees`,
      ),
    );
  return rows;
}

function frameContent(f: WsFrame, dir: Direction, path: string, state: AttachmentState): Content {
  const engine = path.startsWith('/socket.io/');
  switch (f.opcode) {
    case 0x1:
      return engine ? describeEnginePacket(f.payload, dir, state) : describeLabText(f.payload);
    case 0x2:
      return engine ? describeAttachment(f.payload, state) : describeBinaryQuote(f.payload);
    case 0x8: {
      const close = f.close;
      const items: Item[] = [];
      if (close?.code != null)
        items.push({
          start: 0,
          end: 2,
          label: 'close code',
          meaning: `close code ${close.code}: ${CLOSE_CODES[close.code] ?? 'application-defined'}`,
        });
      if (close && f.payload.length > 2)
        items.push({ start: 2, end: f.payload.length, label: 'close reason', meaning: `reason ${JSON.stringify(close.reason)} (UTF-8)` });
      return {
        items,
        carries: 'close',
        seqs: [],
        payloadBytes: null,
        summary:
          close?.code != null
            ? `close ${close.code} ${CLOSE_CODES[close.code] ?? ''}${close.reason ? ` '${close.reason}'` : ''}`
            : 'close without a code',
      };
    }
    case 0x9:
    case 0xa: {
      const items: Item[] = f.payload.length
        ? [
            {
              start: 0,
              end: f.payload.length,
              label: 'application data',
              meaning: `${f.payload.length} bytes the ${f.opcode === 0x9 ? 'pong must echo' : 'ping carried'}`,
            },
          ]
        : [];
      const what =
        f.opcode === 0x9
          ? 'protocol ping (the server checks the browser is alive; the browser answers by itself, the page never sees it)'
          : 'protocol pong (the browser answering a ping by itself)';
      return { items, carries: 'heartbeat', seqs: [], payloadBytes: null, summary: what };
    }
    default:
      return {
        items: f.payload.length ? [{ start: 0, end: f.payload.length, label: 'payload', meaning: `${f.opcodeName} payload` }] : [],
        carries: 'other',
        seqs: [],
        payloadBytes: null,
        summary: `${f.opcodeName} frame`,
      };
  }
}

/**
 * A data frame that is part of a fragmented message (FIN=0, then continuation frames up to one
 * with FIN=1; control frames may come in between, RFC 6455 §5.4). The message is described once,
 * reassembled, on its final fragment; earlier fragments say which fragment they are.
 */
function fragmentContent(
  f: WsFrame,
  dir: Direction,
  path: string,
  state: AttachmentState,
  pending: { opcode: number; parts: Uint8Array[] } | null,
): { content: Content; pending: { opcode: number; parts: Uint8Array[] } | null } {
  const whole = (label: string, meaning: string): Item[] => (f.payload.length ? [{ start: 0, end: f.payload.length, label, meaning }] : []);
  if (f.opcode !== 0x0) pending = { opcode: f.opcode, parts: [] };
  if (!pending)
    return {
      content: {
        items: whole('payload', 'a continuation with no message started'),
        carries: 'other',
        seqs: [],
        payloadBytes: null,
        summary: 'continuation without a first fragment',
      },
      pending: null,
    };
  pending.parts.push(f.payload);
  const n = pending.parts.length;
  if (!f.fin) {
    return {
      content: {
        items: whole(`fragment ${n}`, `fragment ${n} of a fragmented message; described, reassembled, with its final fragment`),
        carries: 'other',
        seqs: [],
        payloadBytes: null,
        summary: `fragment ${n} of a fragmented message`,
      },
      pending,
    };
  }
  const payload = new Uint8Array(pending.parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of pending.parts) {
    payload.set(part, at);
    at += part.length;
  }
  const message = frameContent({ ...f, opcode: pending.opcode, payload }, dir, path, state);
  return {
    content: {
      ...message,
      items: whole(`final fragment ${n}`, `final fragment of ${n}; the reassembled ${payload.length}-byte message: ${message.summary}`),
      summary: `reassembled from ${n} fragments: ${message.summary}`,
    },
    pending: null,
  };
}

export function frames(ctx: Context, dir: Direction, from: number, path: string): void {
  const wire = ctx.streams[dir].bytes;
  const { frames: list, end } = decodeFrames(wire, from);
  ctx.facts.frames += list.length;
  let pending: { opcode: number; parts: Uint8Array[] } | null = null;
  for (const f of list) {
    if (f.opcode === 0x2) {
      ctx.facts.binaryFrames++;
      // An attachment is a binary frame that a placeholder packet announced.
      if (path.startsWith('/socket.io/') && ctx.attachments[dir].pending > 0) ctx.facts.attachments++;
    }
    let content: Content;
    if (f.opcode === 0x0 || (f.opcode < 0x8 && !f.fin))
      ({ content, pending } = fragmentContent(f, dir, path, ctx.attachments[dir], pending));
    else content = frameContent(f, dir, path, ctx.attachments[dir]);
    const payloadRows = itemRows(wire, f.payloadOffset, f.payload.length, content.items, f.masked ? f.payload : undefined);
    const rows = [...frameHeaderRows(wire, f), ...payloadRows];
    const summary =
      `${f.opcodeName} frame${f.masked ? ' (masked)' : ''}${f.fin ? '' : ' (not final)'}, ` +
      `${f.payloadLength}-byte payload${f.complete ? '' : ' (cut off)'}: ${content.summary}`;
    push(ctx, dir, 'ws-frame', rows, summary, content.carries, content.seqs, content.payloadBytes);
  }
  if (end < wire.length) {
    ctx.facts.undecodedAfterUpgrade += wire.length - end;
    undecoded(ctx, dir, end);
  }
}
