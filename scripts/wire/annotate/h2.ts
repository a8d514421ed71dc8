/**
 * An HTTP/2 session over TLS, annotated from tshark's dissection (decode/h2.ts) the way the other
 * annotators work from bytes: per connection and direction, the decrypted HTTP/2 bytes in order
 * (the client's preface, then frame after frame), every byte in exactly one row, one message per
 * frame. Each frame shows its 9-byte header, then its payload field by field at the positions
 * tshark gives: SETTINGS one by one, HEADERS as the header list tshark decoded from HPACK (each
 * field with its representation and the bytes it took), WINDOW_UPDATE, PING, RST_STREAM, GOAWAY,
 * and DATA — on an event stream, the same WHATWG parser as HTTP/1.1's chunks runs over the DATA
 * payloads, so its lines, events and quotes read the same.
 *
 * Offsets count decrypted HTTP/2 bytes, not TCP payload: the TLS layer (records, handshake) is
 * summed per connection beside them, from the same dissection.
 */
import { type H2Frame, nameOf, type TcpConnection, tcpConnections } from '../decode/h2.ts';
import { type Content, describeJsonBody, headerMeaning, type Item, utf8 } from '../describe.ts';
import { overheadTable, transcriptStats } from '../overhead.ts';
import type {
  ByteRow,
  Carries,
  ConnectionTranscript,
  ConnectionWire,
  Direction,
  H2HeaderBlock,
  H2Wire,
  OverheadRow,
  TlsLayer,
  TranscriptFile,
  TsharkCapture,
  TsharkNames,
  WireMessage,
} from '../types.ts';
import { type ConnectionFacts, type Context, emptyFacts, push, Stream, undecoded } from './context.ts';
import { itemRows } from './rows.ts';
import type { DecodedSession } from './session.ts';
import { type EventStream, readEventStream } from './sse.ts';

const FRAME_HEADER = 9;
const DIRS = ['c2s', 's2c'] as const;

/** What an HTTP/2 stream carries: its request and response heads as tshark decoded them. */
interface H2Stream {
  method?: string;
  path?: string;
  status?: string;
  contentType?: string;
  /** The event stream its DATA frames carry, when the response is text/event-stream. */
  events?: EventStream;
  /** Its DATA frames from the server, in order (the event stream's pieces). */
  data: H2Frame[];
}

interface HeaderField {
  name: string;
  value: string;
  representation: string;
  index: number | null;
  start: number;
  length: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const fieldStr = (frame: H2Frame, name: string) => str(frame.fields(name)[0]?.value);

/** The header list of a HEADERS frame, each field where it sits in the frame. */
function headerFields(frame: H2Frame): HeaderField[] {
  return frame.fields('http2.header').map((f) => {
    const tree = (f.value ?? {}) as Record<string, string>;
    return {
      name: tree['http2.header.name'] ?? '',
      value: tree['http2.header.value'] ?? '',
      representation: tree['http2.header.repr'] ?? '',
      index: tree['http2.header.index'] === undefined ? null : Number(tree['http2.header.index']),
      start: f.start,
      length: f.length,
    };
  });
}

const typeName = (names: TsharkNames, frame: H2Frame) =>
  frame.preface ? 'preface' : (nameOf(names, 'http2.type', frame.type) ?? `type 0x${(frame.type ?? 0).toString(16)}`);

/** What the stream's heads say it is, e.g. 'GET /sse' or '200 text/event-stream'. */
function streamWords(s: H2Stream | undefined, dir: Direction): string {
  if (!s) return '';
  return dir === 'c2s' ? `${s.method ?? '?'} ${s.path ?? '?'}` : `${s.status ?? '?'}${s.contentType ? ` ${s.contentType}` : ''}`;
}

/** The carries of a stream's frames from what its request is for, as the HTTP/1.1 heads' are. */
function streamCarries(s: H2Stream | undefined, dir: Direction): Carries {
  if (s?.method === 'OPTIONS') return 'preflight';
  if (s?.path?.startsWith('/sse/ping')) return dir === 'c2s' ? 'ping' : 'pong';
  return 'handshake';
}

interface Described {
  items: Item[];
  carries: Carries;
  summary: string;
  seqs?: number[];
  payloadBytes?: number | null;
  /** Rows made elsewhere for part of the payload (an event stream's lines), at [start, end) of the frame. */
  inner?: { start: number; end: number; rows: ByteRow[] };
}

/** The items of a frame's payload fields, from tshark's positions, and what the frame is for. */
function describeFrame(frame: H2Frame, names: TsharkNames, streams: Map<number, H2Stream>): Described {
  const name = typeName(names, frame);
  const s = streams.get(frame.streamId);
  const on = frame.streamId === 0 ? 'the connection' : `stream ${frame.streamId}`;
  const items: Item[] = [];
  const add = (field: string, label: string, meaning: (value: string) => string) => {
    for (const f of frame.fields(field)) items.push({ start: f.start, end: f.start + f.length, label, meaning: meaning(str(f.value)) });
  };
  add('http2.padding', 'pad length', (v) => `pad length ${v}: padding bytes at the end of the frame`);

  switch (name) {
    case 'preface':
      return { items, carries: 'handshake', summary: 'connection preface: the browser starts HTTP/2' };
    case 'SETTINGS': {
      if (frame.flags.includes('ACK'))
        return {
          items,
          carries: 'handshake',
          summary: `SETTINGS ACK: the ${frame.dir === 'c2s' ? "server's" : "browser's"} settings acknowledged`,
        };
      const settings = frame.fields('http2.settings').map((f) => {
        const tree = (f.value ?? {}) as Record<string, string>;
        const id = Number(tree['http2.settings.id']);
        const [key, value] = Object.entries(tree).find(([k]) => k !== 'http2.settings.id' && !k.endsWith('_raw')) ?? ['', ''];
        const label = nameOf(names, 'http2.settings.id', id) ?? names.fields[key] ?? `setting ${id}`;
        items.push({ start: f.start, end: f.start + f.length, label: 'setting', meaning: `setting ${id} (${label}) = ${value}` });
        return `${label} ${value}`;
      });
      const who = frame.dir === 'c2s' ? "the browser's" : "the server's";
      return { items, carries: 'handshake', summary: `SETTINGS, ${who}: ${settings.join(', ') || 'none (defaults)'}` };
    }
    case 'WINDOW_UPDATE': {
      const increment = fieldStr(frame, 'http2.window_update.window_size_increment');
      add('http2.window_update.window_size_increment', 'window size increment', (v) => `window size increment ${v}`);
      return {
        items,
        carries: 'control',
        summary:
          `WINDOW_UPDATE on ${on}: flow control, ` +
          `the ${frame.dir === 'c2s' ? 'browser' : 'server'} lets the other side send ${increment} more bytes`,
      };
    }
    case 'PING': {
      const ack = frame.flags.includes('ACK');
      add(ack ? 'http2.pong' : 'http2.ping', 'opaque data', () => `8 bytes the ${ack ? 'ping carried, echoed' : 'answer must echo'}`);
      return {
        items,
        carries: 'heartbeat',
        summary: ack
          ? 'PING ACK: the answer to a PING'
          : `PING from the ${frame.dir === 'c2s' ? 'browser' : 'server'}: HTTP/2's own liveness check`,
      };
    }
    case 'RST_STREAM': {
      const error = nameOf(names, 'http2.rst_stream.error', Number(fieldStr(frame, 'http2.rst_stream.error')));
      add('http2.rst_stream.error', 'error code', (v) => `error code ${v} = ${error ?? '?'}`);
      return {
        items,
        carries: 'close',
        summary: `RST_STREAM on ${on} (${error}): ${streamWords(s, 'c2s')} cancelled, the connection stays`,
      };
    }
    case 'GOAWAY': {
      const error = nameOf(names, 'http2.goaway.error', Number(fieldStr(frame, 'http2.goaway.error')));
      add('http2.goaway.last_stream_id', 'last stream id', (v) => `last stream id ${v}: streams above it were not processed`);
      add('http2.goaway.error', 'error code', (v) => `error code ${v} = ${error ?? '?'}`);
      add('http2.goaway.addata', 'debug data', () => 'additional debug data');
      return {
        items,
        carries: 'close',
        summary: `GOAWAY (${error}): the ${frame.dir === 'c2s' ? 'browser' : 'server'} closes the connection`,
      };
    }
    case 'PRIORITY_UPDATE':
      add('http2.priority_update_stream_id', 'prioritized stream', (v) => `for stream ${v}`);
      add('http2.priority_update_field_value', 'priority field value', (v) => `priority ${JSON.stringify(v)} (RFC 9218)`);
      return { items, carries: 'control', summary: `PRIORITY_UPDATE: ${fieldStr(frame, 'http2.priority_update_field_value')}` };
    case 'HEADERS':
      return describeHeaders(frame, s, items);
    case 'DATA':
      return describeData(frame, s, items);
    default:
      return { items, carries: 'other', summary: `${name} frame` };
  }
}

function describeHeaders(frame: H2Frame, s: H2Stream | undefined, items: Item[]): Described {
  const dependency = frame.fields('http2.stream_dependency')[0];
  const weight = frame.fields('http2.headers.weight')[0];
  if (dependency && weight && dependency.length > 0)
    items.push({
      start: dependency.start,
      end: weight.start + weight.length,
      label: 'priority',
      meaning:
        `priority (the Priority flag): depends on stream ${str(dependency.value)}` +
        `${fieldStr(frame, 'http2.exclusive') === '1' ? ' exclusively' : ''}, ` +
        `weight ${fieldStr(frame, 'http2.headers.weight_real') || str(weight.value)}`,
    });
  for (const f of frame.fields('http2.header_table_size_update')) {
    const size = subfield(f.value, 'http2.header_table_size_update.header_table_size');
    items.push({
      start: f.start,
      end: f.start + f.length,
      label: 'table size update',
      meaning: `HPACK dynamic table size update: ${size} bytes`,
    });
  }
  const fields = headerFields(frame);
  for (const h of fields)
    items.push({
      start: h.start,
      end: h.start + h.length,
      label: `${h.name} header`,
      meaning:
        `${headerMeaning(h.name, h.value, frame.dir)} — HPACK ${h.representation}` +
        `${h.index === null ? '' : ` (table index ${h.index})`}, ${h.length} B for ${h.name.length + h.value.length} characters`,
    });
  for (const f of frame.fields('http2.headers.padding'))
    items.push({ start: f.start, end: f.start + f.length, label: 'padding', meaning: 'padding' });
  const block = frame.fields('http2.headers')[0]?.length ?? 0;
  const end = frame.flags.includes('End Stream') ? ', END_STREAM' : '';
  return {
    items,
    carries: streamCarries(s, frame.dir),
    summary: `HEADERS on stream ${frame.streamId}${end}: ${streamWords(s, frame.dir)} (${fields.length} fields in ${block} bytes of HPACK)`,
  };
}

/** One field of a tshark subtree, as text. */
const subfield = (value: unknown, field: string) => str((value as Record<string, unknown> | undefined)?.[field]);

function describeData(frame: H2Frame, s: H2Stream | undefined, items: Item[]): Described {
  const data = frame.fields('http2.data.data')[0];
  const start = data?.start ?? FRAME_HEADER;
  const bytes = frame.bytes.subarray(start, start + (data?.length ?? 0));
  const ended = frame.flags.includes('End Stream');
  for (const f of frame.fields('http2.data.padding'))
    items.push({ start: f.start, end: f.start + f.length, label: 'padding', meaning: 'padding' });
  const tail = !ended ? '' : frame.dir === 's2c' ? ', END_STREAM: the server ends the stream' : ', END_STREAM: the request body ends';
  if (s?.events && frame.dir === 's2c') {
    if (bytes.length === 0)
      return {
        items,
        carries: 'close',
        summary: `DATA on stream ${frame.streamId}, empty${tail} (EventSource reconnects after the retry time)`,
      };
    const index = s.data.indexOf(frame);
    const content = s.events.content(index);
    return {
      items,
      carries: content.carries,
      seqs: content.seqs,
      payloadBytes: content.payloadBytes,
      summary: `DATA on stream ${frame.streamId}, ${bytes.length} bytes${tail}: ${content.summary}`,
      inner: { start, end: start + bytes.length, rows: s.events.rows(index) },
    };
  }
  if (bytes.length === 0) return { items, carries: streamCarries(s, frame.dir), summary: `DATA on stream ${frame.streamId}, empty${tail}` };
  const content: Content = s?.path?.startsWith('/sse/ping')
    ? describeJsonBody(bytes, frame.dir)
    : {
        items: [{ start: 0, end: bytes.length, label: 'body', meaning: `body: ${JSON.stringify(utf8(bytes).slice(0, 120))}` }],
        carries: 'other',
        seqs: [],
        payloadBytes: null,
        summary: 'body',
      };
  items.push(...content.items.map((i) => ({ ...i, start: i.start + start, end: i.end + start })));
  return {
    items,
    carries: content.carries === 'other' ? streamCarries(s, frame.dir) : content.carries,
    seqs: content.seqs,
    payloadBytes: content.payloadBytes,
    summary: `DATA on stream ${frame.streamId}, ${bytes.length} bytes${tail}: ${content.summary}`,
  };
}

function frameHeader(frame: H2Frame, names: TsharkNames): Item {
  if (frame.preface)
    return {
      start: 0,
      end: frame.bytes.length,
      label: 'connection preface',
      meaning:
        `the client connection preface ${JSON.stringify(frame.bytes.toString('latin1'))} (RFC 9113 §3.4): ` +
        "HTTP/2 from the first byte, as ALPN agreed; the browser's SETTINGS follow",
    };
  const type = frame.type ?? 0;
  return {
    start: 0,
    end: FRAME_HEADER,
    label: 'frame header',
    meaning:
      `9-byte frame header: payload length ${frame.bytes.length - FRAME_HEADER}, type 0x${type.toString(16)} ${typeName(names, frame)}, ` +
      `flags ${frame.flags.join(' + ') || 'none'}, stream ${frame.streamId}${frame.streamId === 0 ? ' (the connection)' : ''}`,
  };
}

/** A frame's rows: its header and fields from tshark's positions, an event stream's line rows where it carries one. */
function frameRows(wire: Buffer, offset: number, frame: H2Frame, names: TsharkNames, d: Described): ByteRow[] {
  const items = [frameHeader(frame, names), ...d.items];
  const inner = d.inner;
  if (!inner) return itemRows(wire, offset, frame.bytes.length, items);
  const after = items.filter((i) => i.start >= inner.end).map((i) => ({ ...i, start: i.start - inner.end, end: i.end - inner.end }));
  return [
    ...itemRows(
      wire,
      offset,
      inner.start,
      items.filter((i) => i.end <= inner.start),
    ),
    ...inner.rows,
    ...itemRows(wire, offset + inner.end, frame.bytes.length - inner.end, after),
  ];
}

/** The TLS layer of a connection, summed from tshark's records. */
function tlsLayer(tc: TcpConnection, names: TsharkNames, sessionStart: number): TlsLayer {
  const per = (pick: (dir: Direction) => number) => ({ c2s: pick('c2s'), s2c: pick('s2c') });
  // Handshake records, and the change_cipher_spec record TLS 1.3 still sends for middleboxes.
  const handshake = tc.records.filter((r) => r.contentType === 22 || r.contentType === 20);
  return {
    version: nameOf(names, 'tls.handshake.extensions.supported_version', tc.version),
    cipher: nameOf(names, 'tls.handshake.ciphersuite', tc.cipher),
    alpn: tc.alpn,
    bytes: { ...tc.bytes },
    records: per((dir) => tc.records.filter((r) => r.dir === dir).length),
    handshakeBytes: per((dir) => handshake.filter((r) => r.dir === dir).reduce((s, r) => s + r.bytes, 0)),
    handshake: tc.records.flatMap((r) =>
      r.handshake.map((h) => ({
        dir: r.dir,
        t: r.time - sessionStart,
        message: nameOf(names, 'tls.handshake.type', h.type) ?? `handshake type ${h.type}`,
        bytes: h.bytes,
      })),
    ),
  };
}

interface AnnotatedH2 {
  connection: ConnectionWire;
  messages: WireMessage[];
  facts: ConnectionFacts;
  headerBlocks: H2HeaderBlock[];
  /** Each message's frame, by conn/dir/offset (to find the packets that carried it). */
  frames: Map<string, H2Frame>;
}

const key = (m: { conn: number; dir: Direction; offset: number }) => `${m.conn}/${m.dir}/${m.offset}`;

/** A relay connection whose TLS tshark did not decrypt (or that carried nothing): its bytes stay undecoded. */
function opaqueConnection(rc: ConnectionTranscript, tc: TcpConnection | undefined, capture: TsharkCapture): AnnotatedH2 {
  const streams = {
    c2s: new Stream(rc.chunks.filter((c) => c.dir === 'c2s')),
    s2c: new Stream(rc.chunks.filter((c) => c.dir === 's2c')),
  };
  const ctx: Context = {
    conn: rc.conn,
    streams,
    messages: [],
    facts: emptyFacts(),
    attachments: { c2s: { pending: 0 }, s2c: { pending: 0 } },
  };
  for (const dir of DIRS) undecoded(ctx, dir, 0);
  const bytes = { c2s: streams.c2s.bytes.length, s2c: streams.s2c.bytes.length };
  const connection: ConnectionWire = {
    conn: rc.conn,
    purpose:
      bytes.c2s + bytes.s2c === 0
        ? 'no bytes either way: a connection the browser opened and never used'
        : 'TLS that tshark did not decrypt (no key for it in the key log)',
    clientPort: rc.clientPort,
    openedAt: rc.openedAt,
    closedAt: rc.closedAt,
    closedBy: rc.closedBy,
    bytes,
    reads: { c2s: streams.c2s.reads, s2c: streams.s2c.reads },
    protocols: bytes.c2s + bytes.s2c === 0 ? [] : ['TLS'],
    requests: [],
    undecodedBytes: bytes,
    ...(tc?.records.length ? { tls: tlsLayer(tc, capture.names, capture.sessionStart) } : {}),
  };
  return { connection, messages: ctx.messages, facts: ctx.facts, headerBlocks: [], frames: new Map() };
}

function annotateH2Connection(rc: ConnectionTranscript, tc: TcpConnection, capture: TsharkCapture): AnnotatedH2 {
  const { names } = capture;
  const byDir = { c2s: tc.frames.filter((f) => f.dir === 'c2s'), s2c: tc.frames.filter((f) => f.dir === 's2c') };
  const offsets = new Map<H2Frame, number>();
  for (const dir of DIRS) {
    let at = 0;
    for (const f of byDir[dir]) {
      offsets.set(f, at);
      at += f.bytes.length;
    }
  }
  const chunks = (dir: Direction) => byDir[dir].map((f) => ({ t: f.time - capture.sessionStart, data: f.bytes.toString('base64') }));
  const ctx: Context = {
    conn: rc.conn,
    streams: { c2s: new Stream(chunks('c2s')), s2c: new Stream(chunks('s2c')) },
    messages: [],
    facts: emptyFacts(),
    attachments: { c2s: { pending: 0 }, s2c: { pending: 0 } },
  };

  // The streams' heads first: a DATA frame is read by what its stream's request and response were.
  const streams = new Map<number, H2Stream>();
  const streamOf = (id: number) => streams.get(id) ?? streams.set(id, { data: [] }).get(id)!;
  for (const f of tc.frames) {
    const name = typeName(names, f);
    if (name === 'HEADERS') {
      const s = streamOf(f.streamId);
      for (const h of headerFields(f)) {
        if (h.name === ':method') s.method = h.value;
        else if (h.name === ':path') s.path = h.value;
        else if (h.name === ':status') s.status = h.value;
        else if (h.name === 'content-type') s.contentType = h.value;
      }
    } else if (name === 'DATA' && f.dir === 's2c') streamOf(f.streamId).data.push(f);
  }
  for (const [id, s] of streams) {
    if (!s.contentType?.toLowerCase().startsWith('text/event-stream')) continue;
    const pieces = s.data.map((f) => {
      const data = f.fields('http2.data.data')[0];
      return { offset: offsets.get(f)! + (data?.start ?? FRAME_HEADER), length: data?.length ?? 0 };
    });
    const ended = tc.frames.some(
      (f) => f.streamId === id && ((f.dir === 's2c' && f.flags.includes('End Stream')) || typeName(names, f) === 'RST_STREAM'),
    );
    s.events = readEventStream(ctx, ctx.streams.s2c.bytes, pieces, ended, { contentType: s.contentType, transferEncoding: null });
  }

  const headerBlocks: H2HeaderBlock[] = [];
  const frames = new Map<string, H2Frame>();
  for (const f of tc.frames) {
    const offset = offsets.get(f)!;
    const d = describeFrame(f, names, streams);
    const rows = frameRows(ctx.streams[f.dir].bytes, offset, f, names, d);
    const layer = f.preface ? 'h2-preface' : 'h2-frame';
    const message = push(ctx, f.dir, layer, rows, d.summary, d.carries, d.seqs ?? [], d.payloadBytes ?? null);
    if (message) frames.set(key(message), f);
    if (typeName(names, f) === 'HEADERS') {
      const fields = headerFields(f);
      headerBlocks.push({
        conn: rc.conn,
        dir: f.dir,
        stream: f.streamId,
        t: f.time - capture.sessionStart,
        what: streamWords(streams.get(f.streamId), f.dir),
        encodedBytes: f.fields('http2.headers')[0]?.length ?? 0,
        plainBytes: fields.reduce((sum, h) => sum + h.name.length + h.value.length, 0),
        fields: fields.map(({ name, value, representation, index, length }) => ({ name, value, representation, index, bytes: length })),
      });
    }
  }

  const requests = [...streams.entries()].filter(([, s]) => s.method).map(([id, s]) => `${s.method} ${s.path} (stream ${id})`);
  const first = [...streams.values()].find((s) => s.method);
  ctx.facts.firstRequestLine = first ? `${first.method} ${first.path} HTTP/2` : null;
  ctx.facts.firstResponseStatus = first?.status ? Number(first.status) : null;
  const tls = tlsLayer(tc, names, capture.sessionStart);
  const bytes = { c2s: ctx.streams.c2s.bytes.length, s2c: ctx.streams.s2c.bytes.length };
  const messages = ctx.messages.sort((a, b) => a.t - b.t || (a.dir === b.dir ? a.offset - b.offset : a.dir === 'c2s' ? -1 : 1));
  const connection: ConnectionWire = {
    conn: rc.conn,
    purpose: `${tls.version ?? 'TLS'}${tls.alpn ? ` (ALPN ${tls.alpn})` : ''}, then HTTP/2 streams: ${requests.join(', ') || 'none'}`,
    clientPort: rc.clientPort,
    openedAt: rc.openedAt,
    closedAt: rc.closedAt,
    closedBy: rc.closedBy,
    bytes,
    reads: {
      c2s: rc.chunks.filter((c) => c.dir === 'c2s').length,
      s2c: rc.chunks.filter((c) => c.dir === 's2c').length,
    },
    protocols: [tls.version ?? 'TLS', 'HTTP/2'],
    requests,
    undecodedBytes: { c2s: 0, s2c: 0 },
    tls,
  };
  return { connection, messages, facts: ctx.facts, headerBlocks, frames };
}

/**
 * The TCP payload of the packets that carried a row's frames, per direction, when those packets
 * carried nothing else (TLS record headers and tags included); null when they carried other frames too.
 */
function tlsBytesOf(row: OverheadRow, frames: Map<string, H2Frame>, tcs: TcpConnection[]): OverheadRow['tlsBytes'] {
  const counted = row.refs.map((r) => frames.get(key(r)));
  if (counted.length === 0 || counted.some((f) => !f)) return null;
  const own = new Set(counted);
  const sum = { c2s: 0, s2c: 0 };
  const seen = new Set<string>();
  for (const f of counted as H2Frame[]) {
    const tc = tcs.find((c) => c.frames.includes(f))!;
    const packet = tc.packets.get(f.packet);
    if (!packet || packet.frames.some((x) => !own.has(x))) return null;
    if (seen.has(`${tc.stream}/${f.packet}`)) continue;
    seen.add(`${tc.stream}/${f.packet}`);
    sum[packet.dir] += packet.tcpBytes;
  }
  const frameBytes = (dir: Direction) => (counted as H2Frame[]).filter((f) => f.dir === dir).reduce((s, f) => s + f.bytes.length, 0);
  // A frame split over packets would leave bytes in a packet not counted here: then say nothing.
  return DIRS.every((dir) => sum[dir] >= frameBytes(dir)) ? sum : null;
}

/** An HTTP/2 session decoded, with what only HTTP/2 over TLS has. */
export interface DecodedH2Session extends DecodedSession {
  h2: Omit<H2Wire, 'capture'>;
}

/**
 * Decodes an HTTP/2 session from tshark's dissection, connection by connection as the relay
 * recorded them (matched by the browser's port), then the overhead table with each row's TLS
 * bytes, and a row for the TLS handshake of the connection that carried the first quote.
 */
export function decodeH2Capture(capture: TsharkCapture, transcript: TranscriptFile): DecodedH2Session {
  const tcs = tcpConnections(capture);
  const annotated = transcript.connections.map((rc) => {
    const tc = tcs.find((c) => c.clientPort === rc.clientPort);
    return tc && tc.frames.length > 0 ? annotateH2Connection(rc, tc, capture) : opaqueConnection(rc, tc, capture);
  });
  const connections = annotated.map((a) => a.connection);
  const messages = annotated.flatMap((a) => a.messages).sort((a, b) => a.t - b.t || a.conn - b.conn);
  const frames = new Map(annotated.flatMap((a) => [...a.frames]));
  const overhead = overheadTable(messages, connections).map((r) => ({ ...r, tlsBytes: tlsBytesOf(r, frames, tcs) }));

  const firstQuote = overhead.find((r) => r.item === 'quote (JSON)')?.refs[0];
  const tls = connections.find((c) => c.conn === firstQuote?.conn)?.tls;
  if (tls) {
    const at = overhead.findIndex((r) => r.item === 'handshake') + 1;
    overhead.splice(at, 0, {
      item: 'TLS handshake',
      c2sBytes: tls.handshakeBytes.c2s,
      s2cBytes: tls.handshakeBytes.s2c,
      payloadBytes: null,
      overheadBytes: null,
      overheadShare: null,
      note:
        `${tls.version ?? 'TLS'}, ${tls.cipher ?? '?'}: ` +
        `${tls.handshake.map((h) => `${h.dir === 'c2s' ? '→' : '←'} ${h.message} ${h.bytes}`).join('; ')}; ` +
        'records carry a 5-byte header each',
      refs: [],
      tlsBytes: { ...tls.handshakeBytes },
    });
  }

  const frameCounts: Record<string, number> = {};
  for (const tc of tcs)
    for (const f of tc.frames) if (!f.preface) frameCounts[typeName(capture.names, f)] = (frameCounts[typeName(capture.names, f)] ?? 0) + 1;
  const sum = (pick: (c: ConnectionWire) => { c2s: number; s2c: number } | undefined) => ({
    c2s: connections.reduce((s, c) => s + (pick(c)?.c2s ?? 0), 0),
    s2c: connections.reduce((s, c) => s + (pick(c)?.s2c ?? 0), 0),
  });
  const h2Connections = connections.filter((c) => c.protocols.includes('HTTP/2'));
  return {
    connections,
    messages,
    overhead,
    stats: transcriptStats(connections, messages),
    facts: annotated.map((a) => a.facts),
    h2: {
      tshark: capture.tshark,
      frames: frameCounts,
      headerBlocks: annotated.flatMap((a) => a.headerBlocks),
      bytes: {
        h2: { c2s: h2Connections.reduce((s, c) => s + c.bytes.c2s, 0), s2c: h2Connections.reduce((s, c) => s + c.bytes.s2c, 0) },
        tls: sum((c) => c.tls?.bytes),
        tlsHandshake: sum((c) => c.tls?.handshakeBytes),
      },
      tlsRecords: sum((c) => c.tls?.records),
    },
  };
}
