/**
 * The wire step's output types: results/wire.json (WireResults) and the relay's transcripts
 * (TranscriptFile, also the format of the recorded test fixtures). The report generator reads
 * these; every field says what it holds and its unit.
 *
 * Offsets are byte offsets into ONE direction of ONE TCP connection (browser -> server or
 * server -> browser), counted from that connection's first byte in that direction: the same
 * numbers Wireshark's "Follow TCP Stream" shows. Times are ms since the session start.
 */
import type { DropMode } from '../../servers/listen.ts';
import { BROWSER_TRANSPORTS, type BrowserTransport, TRANSPORTS, type TransportSpec } from '../../servers/transports.ts';
import type { RunMetadata } from '../lib/metadata.ts';

/** How the wire step decodes a transport's bytes: the registry's `wire` capability. */
export type WireKind = NonNullable<TransportSpec['wire']>;
/** The transports a browser opens and the wire step has a decoder for (the TCP floor has no browser client). */
export type WireTransport = { [T in BrowserTransport]: (typeof TRANSPORTS)[T]['wire'] extends WireKind ? T : never }[BrowserTransport];
/** In registry order. */
export const WIRE_TRANSPORTS: readonly WireTransport[] = BROWSER_TRANSPORTS.filter((t): t is WireTransport => TRANSPORTS[t].wire !== null);
export const wireKind = (transport: WireTransport): WireKind => TRANSPORTS[transport].wire;
/** The wire transports decoded as one of `K`, e.g. WireTransportOf<'h2'>. */
export type WireTransportOf<K extends WireKind> = {
  [T in WireTransport]: (typeof TRANSPORTS)[T]['wire'] extends K ? T : never;
}[WireTransport];
export const isWireTransport = (name: string): name is WireTransport => (WIRE_TRANSPORTS as readonly string[]).includes(name);

/** `c2s`: browser -> server. `s2c`: server -> browser. */
export type Direction = 'c2s' | 's2c';

// ---------------------------------------------------------------------------------------------
// Relay transcripts (results/wire/<transport>.transcript.json and test/fixtures/wire/*.json)
// ---------------------------------------------------------------------------------------------

/** One read the relay made from one side, forwarded unchanged to the other. */
export interface RecordedChunk {
  dir: Direction;
  /** ms since the session start when the relay read these bytes. */
  t: number;
  /** The bytes, base64. */
  data: string;
}

/** Everything one TCP connection carried through the relay, both directions, in read order. */
export interface ConnectionTranscript {
  /** 1-based, in the order the relay accepted the connections. */
  conn: number;
  /** The browser's ephemeral port (tells Chromium's connections apart in a pcapng). */
  clientPort: number;
  /** ms since the session start. */
  openedAt: number;
  /** ms since the session start; null if still open when the transcript was taken. */
  closedAt: number | null;
  /**
   * Which side ended it first and how: 'client FIN', 'server FIN', 'client reset', 'server reset',
   * 'relay closed at end of session', 'open'.
   */
  closedBy: string;
  chunks: RecordedChunk[];
}

/** A relay transcript. For an HTTP/2 transport it holds TLS records: its HTTP/2 frames are in the TsharkCapture. */
export interface TranscriptFile {
  transport: WireTransport;
  /** Epoch ms of the session start (t = 0). */
  sessionStart: number;
  /** The server the relay forwarded to, e.g. http://127.0.0.1:40123. */
  upstream: string;
  connections: ConnectionTranscript[];
}

// ---------------------------------------------------------------------------------------------
// tshark's dissection of an HTTP/2 session (results/wire/<transport>.tshark.json, test/fixtures/wire/*.tshark.json)
// ---------------------------------------------------------------------------------------------

/**
 * One packet of `tshark -T json --no-duplicate-keys -x`: its `_source.layers`, trimmed to the fields
 * the annotator reads (scripts/wire/tshark.ts). Field names are tshark's (`tshark -G fields`); a
 * field seen more than once in one object holds an array; `<field>_raw` is [hex, position, length, ...].
 */
export interface TsharkPacket {
  frame?: Record<string, unknown>;
  tcp?: Record<string, unknown>;
  tls?: unknown;
  http2?: unknown;
  http2_raw?: unknown;
}

/** tshark's own names for the numbers and fields the annotator shows (`tshark -G values`, `tshark -G fields`). */
export interface TsharkNames {
  /** Field -> value (decimal) -> name, e.g. values['http2.type']['4'] = 'SETTINGS'. */
  values: Record<string, Record<string, string>>;
  /** Field -> display name, e.g. fields['http2.flags.end_stream'] = 'End Stream'. */
  fields: Record<string, string>;
}

export interface TsharkCapture {
  /** First line of `tshark --version`. */
  tshark: string;
  /** How the packets were dissected (paths left out: the capture and the key log were temporary). */
  command: string;
  /** Epoch ms of the session start (t = 0), as in the relay transcript. */
  sessionStart: number;
  /** The TCP port the capture filtered on: the relay's, so the browser's side of each connection. */
  port: number;
  names: TsharkNames;
  packets: TsharkPacket[];
}

// ---------------------------------------------------------------------------------------------
// Annotated exchange
// ---------------------------------------------------------------------------------------------

/** One annotated byte range: a line of the report's "offset | bytes | meaning" layout. */
export interface ByteRow {
  /** Offset of the first byte in the connection's byte stream in this direction. */
  offset: number;
  /** Number of bytes. */
  length: number;
  /** The bytes in hex, space-separated, at most the first 16 (one hexdump line), then '…' when there are more. */
  hex: string;
  /** The same bytes as printable ASCII ('.' for anything else), at most 64 characters, then '…'. */
  text: string;
  /** Short name of the part, e.g. 'request line', 'Origin header', 'chunk size line', 'masking key', 'quote JSON'. */
  label: string;
  /** What these bytes are, decoded by code from the bytes themselves. */
  meaning: string;
  /** For bytes not readable as they stand (a masked WebSocket payload): the decoded text, at most 200 characters. */
  decoded?: string;
}

/** What a message is for; the overhead table sums messages by this. */
export type Carries =
  | 'handshake' // opens a stream: HTTP request/response heads, upgrade, engine.io open/probe/upgrade/noop, namespace connect
  | 'quote-json' // one or more quotes as JSON text
  | 'quote-binary' // a quote in the 32-byte binary layout (ws binary frame, socket.io placeholder packet + attachment)
  | 'quote-base64' // a quote's binary layout as base64 text in an SSE data line
  | 'ping' // the page's application-level ping (ws message, socket.io emit with ack, SSE POST /sse/ping)
  | 'pong' // the answer to it
  | 'preflight' // a CORS preflight (OPTIONS) and its answer
  | 'heartbeat' // SSE `:` comment, WebSocket ping/pong control frames, engine.io ping/pong packets
  | 'control' // SSE `retry:` and `event: reset`, other lab control messages
  | 'close' // WebSocket close frames, the last chunk of a chunked body, socket.io/engine.io disconnect and close packets
  | 'other'; // anything else, including bytes no decoder recognised

export const WIRE_LAYERS = ['http-head', 'http-body', 'http-chunk', 'ws-frame', 'h2-preface', 'h2-frame', 'undecoded'] as const;
export type WireLayer = (typeof WIRE_LAYERS)[number];

/** A unit the wire carries: an HTTP head, a body or one chunk of it, one WebSocket frame, one HTTP/2 frame. */
export interface WireMessage {
  /** The connection (ConnectionTranscript.conn). */
  conn: number;
  dir: Direction;
  /** ms since the session start when the relay read the message's first byte. */
  t: number;
  /** Offset of the message's first byte in the connection's `dir` stream. */
  offset: number;
  /** Bytes the message occupies on the wire (the sum of its rows). */
  length: number;
  /**
   * The framing layer: an HTTP head, a Content-Length/close-delimited body, one chunk of a chunked body, a WebSocket frame,
   * HTTP/2's connection preface or one HTTP/2 frame (offsets then count decrypted HTTP/2 bytes), or bytes no decoder recognised.
   */
  layer: WireLayer;
  /** One line saying what the message is. */
  summary: string;
  carries: Carries;
  /** Sequence numbers of the quotes decoded from it, in order. */
  seqs: number[];
  /**
   * Application payload bytes inside it: the quote's JSON text, the 32-byte binary quote, the base64
   * text, the ping/pong JSON. null where the message carries no application payload.
   */
  payloadBytes: number | null;
  rows: ByteRow[];
}

/** One TCP connection of a session, decoded. */
export interface ConnectionWire {
  conn: number;
  /** What it was used for, from its first request, e.g. 'GET /sse (event stream)'. */
  purpose: string;
  clientPort: number;
  openedAt: number;
  closedAt: number | null;
  closedBy: string;
  /**
   * Bytes carried per direction (TCP payload; TCP/IP headers are only in the pcapng). Over TLS: the decrypted
   * HTTP/2 bytes the rows show; `tls.bytes` has the TCP payload.
   */
  bytes: { c2s: number; s2c: number };
  /** How many reads the relay made per direction (how the kernel delivered the bytes). */
  reads: { c2s: number; s2c: number };
  /** Protocols seen on it in order, e.g. ['HTTP/1.1'] or ['HTTP/1.1', 'WebSocket']. */
  protocols: string[];
  /** HTTP requests made on it (more than one: keep-alive reuse). */
  requests: string[];
  /** Bytes no decoder accounted for, per direction (0 when every byte was decoded). */
  undecodedBytes: { c2s: number; s2c: number };
  /** A TLS connection: its layer as tshark decrypted it. */
  tls?: TlsLayer;
}

/** The TLS under an HTTP/2 connection, from tshark's dissection with the browser's key log. */
export interface TlsLayer {
  /** The negotiated version, e.g. 'TLS 1.3'. */
  version: string | null;
  /** The server's chosen cipher suite, e.g. 'TLS_AES_128_GCM_SHA256'. */
  cipher: string | null;
  /** The protocol agreed by ALPN, e.g. 'h2'. */
  alpn: string | null;
  /** TCP payload per direction: the TLS records as sent. */
  bytes: { c2s: number; s2c: number };
  /** TLS records per direction. */
  records: { c2s: number; s2c: number };
  /** Bytes of records that carry handshake messages (5-byte record header included), per direction. */
  handshakeBytes: { c2s: number; s2c: number };
  /** The handshake messages in order, each with its size (4-byte handshake header included). */
  handshake: { dir: Direction; t: number; message: string; bytes: number }[];
}

/** One line of the per-transport overhead table. */
export interface OverheadRow {
  /** 'handshake' | 'quote (JSON)' | 'quote (binary)' | 'ping round trip' | 'heartbeat'. */
  item: string;
  /** Bytes browser -> server. */
  c2sBytes: number;
  /** Bytes server -> browser. */
  s2cBytes: number;
  /** Application payload inside those bytes (the quote's JSON text, the 32-byte binary...); null for handshake/heartbeat. */
  payloadBytes: number | null;
  /** c2sBytes + s2cBytes - payloadBytes; null when payloadBytes is null. */
  overheadBytes: number | null;
  /** overheadBytes / payloadBytes (0.25 = 25 % of the payload); null when payloadBytes is null or 0. */
  overheadShare: number | null;
  /** How the bytes are made up, from the decoded messages, e.g. 'chunk size line 4 + event 88 + CRLF 2'. */
  note: string;
  /** The messages counted, as conn/dir/offset. */
  refs: { conn: number; dir: Direction; offset: number }[];
  /**
   * HTTP/2 over TLS: the TCP payload of the packets that carried these frames (TLS record headers and
   * authentication tags included), per direction; null when those packets carried other frames too.
   */
  tlsBytes?: { c2s: number; s2c: number } | null;
}

/** Counts over a transport's transcripts. */
export interface TranscriptStats {
  connections: number;
  bytes: { c2s: number; s2c: number };
  reads: { c2s: number; s2c: number };
  messages: number;
  /** Messages per Carries value. */
  messagesByCarries: Partial<Record<Carries, number>>;
  /** Distinct quote sequence numbers decoded from the bytes, ascending. */
  quoteSeqs: number[];
  /** Quote deliveries decoded from the bytes (a quote sent on two connections counts twice). */
  decodedQuotes: number;
  undecodedBytes: number;
}

/** Something the orchestrator did or the page reported, in time order. */
export interface SessionStep {
  /** ms since the session start. */
  t: number;
  /** 'lab' (the orchestrator, e.g. publish, drop) or 'page' (the browser's own events). */
  by: 'lab' | 'page';
  what: string;
}

/** What the page itself saw (its JavaScript API's view, next to the bytes). */
export interface PageView {
  /** Quotes the page's handlers received: seq, the format it came in, and on which of its connections. */
  quotes: { seq: number; format: 'json' | 'binary' | 'base64'; connection: 'main' | 'binary' }[];
  /** Times the main connection opened (EventSource open, WebSocket open, socket.io connect). */
  opens: number;
  /** Whether the main connection came back by itself after the drop (opens >= 2). */
  reconnected: boolean;
  /** socket.io only: `socket.recovered` on the reconnect (connection state recovery). */
  recovered: boolean | null;
  /** The page's ping answer as received, or null. */
  pong: unknown;
  /** WebSocket only: the close event's code and reason on the main connection. */
  close: { code: number; reason: string } | null;
  /** Connections the relay accepted after the drop within the observation window. */
  connectionsAfterDrop: number;
}

export interface PcapInfo {
  /** Path of the pcapng (relative to the project root), or null when none was made. */
  path: string | null;
  /** 'tshark' when it made the file. */
  tool: 'tshark' | null;
  /** The capture filter, or why there is no file (e.g. 'tshark not installed'). */
  note: string;
}

/** One transport's decoded session. */
export interface TransportWire {
  transport: WireTransport;
  /** The lab server the relay forwarded to. */
  serverUrl: string;
  /** Where the page connected: the relay. */
  relayUrl: string;
  /** The page, on its own small server. */
  pageUrl: string;
  /** How the server dropped the main connection, and why that mode. */
  drop: { mode: DropMode; why: string };
  steps: SessionStep[];
  page: PageView;
  connections: ConnectionWire[];
  /** Every message of every connection, ordered by time then connection. */
  messages: WireMessage[];
  overhead: OverheadRow[];
  stats: TranscriptStats;
  pcap: PcapInfo;
  /** The relay transcript this was decoded from (TranscriptFile), relative to the project root. */
  transcript: string;
  /** HTTP/2 over TLS: what tshark's dissection adds. */
  h2?: H2Wire;
  /** Method notes for the report (e.g. where the socket.io client script was loaded from). */
  notes: string[];
}

/** An HTTP/2 session's own facts, from tshark's dissection. */
export interface H2Wire {
  /** The dissection the messages were annotated from (TsharkCapture), relative to the project root. */
  capture: string;
  /** First line of `tshark --version`. */
  tshark: string;
  /** HTTP/2 frames by type name, both directions, e.g. { SETTINGS: 4, HEADERS: 6, DATA: 14 }. */
  frames: Record<string, number>;
  /** Every header block in order, each field as HPACK encoded it. */
  headerBlocks: H2HeaderBlock[];
  /** Per direction over all connections: decrypted HTTP/2 bytes, TLS bytes (TCP payload), and TLS handshake bytes. */
  bytes: { h2: { c2s: number; s2c: number }; tls: { c2s: number; s2c: number }; tlsHandshake: { c2s: number; s2c: number } };
  /** TLS records per direction over all connections. */
  tlsRecords: { c2s: number; s2c: number };
}

/** One HEADERS frame's header list as tshark decoded it. */
export interface H2HeaderBlock {
  conn: number;
  dir: Direction;
  /** The HTTP/2 stream id. */
  stream: number;
  t: number;
  /** The request or the response it is, e.g. 'GET /sse' or '200 text/event-stream'. */
  what: string;
  /** Bytes of the HPACK-encoded block in the frame. */
  encodedBytes: number;
  /** Name and value lengths summed over the fields: the list before HPACK. */
  plainBytes: number;
  fields: {
    name: string;
    value: string;
    /** tshark's word for the HPACK representation, e.g. 'Indexed Header Field'. */
    representation: string;
    /** The table index it referred to, when it did. */
    index: number | null;
    /** Bytes it took in the block. */
    bytes: number;
  }[];
}

// ---------------------------------------------------------------------------------------------
// Evidence for the claims (the scenarios step decides verdicts; this only gives the decoded facts)
// ---------------------------------------------------------------------------------------------

export interface WireEvidence {
  /** Claim ws-tcp-sse-http: both start as HTTP requests; WebSocket leaves HTTP after 101. */
  'ws-tcp-sse-http': {
    /** First line the browser sent on the SSE connection, e.g. 'GET /sse HTTP/1.1'. */
    sseRequestLine: string | null;
    sseResponseStatus: number | null;
    /** Every byte of the SSE stream connection decoded as HTTP/1.1 messages (no protocol switch, nothing left over). */
    sseAllBytesHttp: boolean | null;
    /** The SSE body's Transfer-Encoding (chunked: the events ride in HTTP chunks). */
    sseTransferEncoding: string | null;
    /** First line the browser sent on the WebSocket connection, e.g. 'GET /ws HTTP/1.1'. */
    wsRequestLine: string | null;
    wsResponseStatus: number | null;
    /** Sec-WebSocket-Accept equals base64(sha1(key + GUID)). */
    wsAcceptVerified: boolean | null;
    /** HTTP bytes on the WebSocket connection before the frames began, per direction. */
    wsHttpBytes: { c2s: number; s2c: number } | null;
    /** Frames decoded after the 101 on that connection, both directions. */
    wsFramesAfter101: number | null;
    /** After the 101 every byte decoded as RFC 6455 frames, with no HTTP message among them. */
    wsOnlyFramesAfter101: boolean | null;
    /** socket.io's first request line (engine.io starts with HTTP long-polling). */
    socketioFirstRequestLine: string | null;
    /** socket.io's session moved to a WebSocket (101 seen, then the 2probe/3probe/5 exchange). */
    socketioUpgraded: boolean | null;
  };
  /** Claim sse-text-only. */
  'sse-text-only': {
    /** The SSE response's Content-Type. */
    sseContentType: string | null;
    /** The whole SSE body is valid UTF-8. */
    sseBodyValidUtf8: boolean | null;
    /** Bytes in the SSE body below 0x20 other than LF, CR and TAB (0: nothing binary on the stream). */
    sseBodyControlBytes: number | null;
    /** How the binary quote crossed SSE, decoded from the data line, e.g. 'base64 text in a data: line'. */
    sseBinaryQuoteAs: string | null;
    /** WebSocket frames with opcode 0x2 (binary) seen. */
    wsBinaryFrames: number | null;
    /** socket.io binary attachments seen (raw binary WebSocket frames after a placeholder packet). */
    socketioBinaryAttachments: number | null;
  };
  /** Claim sse-base64-costs-bandwidth. */
  'sse-base64-costs-bandwidth': {
    /** The binary quote's size (the documented layout). */
    binaryQuoteBytes: number | null;
    /** Its base64 text in the SSE data line. */
    base64Bytes: number | null;
    /** base64Bytes / binaryQuoteBytes - 1 (0.375 = 37.5 % more). */
    base64Inflation: number | null;
    /** Wire bytes server -> browser for one quote, by transport and format (from the overhead tables). */
    quoteWireBytes: {
      sseJson: number | null;
      sseBase64: number | null;
      wsJson: number | null;
      wsBinary: number | null;
      socketioJson: number | null;
      socketioBinary: number | null;
    };
  };
}

// ---------------------------------------------------------------------------------------------
// results/wire.json
// ---------------------------------------------------------------------------------------------

export interface WireOptions {
  /** Transports run, in order. */
  transports: WireTransport[];
  /** Feed seed. */
  seed: number;
  /** Quote filler bytes (0: natural ~65-byte JSON quotes). */
  padding: number;
  /** SSE `:` heartbeat, ws ping and engine.io pingInterval, ms (small so a short session shows them). */
  heartbeatMs: number;
  /** SSE `retry:` and socket.io reconnection delay, ms. */
  retryMs: number;
  /** How long the lab watches for a reconnect that a transport does not make by itself (ws), ms. */
  reconnectWatchMs: number;
  /** 'auto': a pcapng per transport when tshark is on PATH; 'off': never (and no HTTP/2 session, which needs tshark). */
  pcap: 'auto' | 'off';
}

export interface WireResults {
  meta: RunMetadata;
  options: WireOptions;
  /**
   * How the session runs: the feed is paused (rate 0) and the lab publishes each quote by hand once the
   * page is ready for it, so every run carries the same quotes in the same order on the same connections.
   */
  method: string;
  transports: Partial<Record<WireTransport, TransportWire>>;
  /** Transports asked for but not run, with the reason (an HTTP/2 session without tshark). */
  notRun?: Partial<Record<WireTransport, string>>;
  evidence: WireEvidence;
}
