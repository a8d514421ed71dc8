/**
 * Says in words what decoded bytes mean: HTTP header lines, the lab's quote in JSON or in the
 * 32-byte binary layout, the lab's ws control messages, engine.io and socket.io packets. Each
 * describer takes bytes (or decoded text) and returns items — byte ranges relative to its input,
 * with a short label and a meaning — plus what the whole carries, for the overhead table.
 *
 * Everything said here is read from the bytes; nothing is typed in per run.
 */
import { BINARY_HEADER_BYTES, decodeBinary, type Quote } from '../../servers/contract.ts';
import { decodeEngineText, decodeSocketPacket, isPlaceholder, splitPollingPayload } from './decode/engineio.ts';
import type { Carries, Direction } from './types.ts';

/** A described byte range, relative to the describer's input. */
export interface Item {
  start: number;
  end: number;
  /** Short name of the part, e.g. 'chunk size line', 'masking key'. */
  label: string;
  meaning: string;
}

export interface Content {
  items: Item[];
  carries: Carries;
  seqs: number[];
  payloadBytes: number | null;
  summary: string;
}

/** Which carries wins when one message holds several things (a polling body with many packets). */
const PRIORITY: Carries[] = [
  'quote-json',
  'quote-binary',
  'quote-base64',
  'ping',
  'pong',
  'preflight',
  'handshake',
  'close',
  'control',
  'heartbeat',
  'other',
];
export function strongest(all: Carries[]): Carries {
  return PRIORITY.find((c) => all.includes(c)) ?? 'other';
}

export const utf8 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

// ---------------------------------------------------------------------------------------------
// Quotes
// ---------------------------------------------------------------------------------------------

function isQuote(value: unknown): value is Quote {
  const q = value as Quote;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof q.seq === 'number' &&
    typeof q.symbol === 'string' &&
    typeof q.price === 'number' &&
    typeof q.ts === 'number'
  );
}

const quoteWords = (q: Quote) => `quote seq ${q.seq}: ${q.symbol} at $${q.price.toFixed(2)}`;

/** The quote in a JSON text, or null. */
export function quoteFromJson(text: string): Quote | null {
  try {
    const value: unknown = JSON.parse(text);
    return isQuote(value) ? value : null;
  } catch {
    return null;
  }
}

/** The quote in the documented binary layout, or null. */
export function quoteFromBinary(bytes: Uint8Array): Quote | null {
  try {
    return decodeBinary(bytes);
  } catch {
    return null;
  }
}

/** The binary layout field by field (servers/contract.ts), or one item when it is not a quote. */
export function describeBinaryQuote(bytes: Uint8Array): Content {
  const quote = quoteFromBinary(bytes);
  if (!quote)
    return {
      items: [{ start: 0, end: bytes.length, label: 'binary', meaning: `${bytes.length} bytes that are not a quote in the lab's layout` }],
      carries: 'other',
      seqs: [],
      payloadBytes: null,
      summary: 'binary data',
    };
  const padLength = bytes.length - BINARY_HEADER_BYTES;
  const items: Item[] = [
    { start: 0, end: 4, label: 'seq', meaning: `binary quote: seq ${quote.seq} (uint32 little-endian)` },
    { start: 4, end: 12, label: 'ts', meaning: `ts ${quote.ts} ms since the epoch (float64 LE)` },
    { start: 12, end: 20, label: 'price', meaning: `price ${quote.price} (float64 LE)` },
    { start: 20, end: 28, label: 'symbol', meaning: `symbol '${quote.symbol}' (8 ASCII bytes, NUL-padded)` },
    { start: 28, end: 32, label: 'pad length', meaning: `pad length ${padLength} (uint32 LE)` },
  ];
  if (padLength > 0) items.push({ start: 32, end: bytes.length, label: 'pad', meaning: `${padLength} filler bytes` });
  return {
    items,
    carries: 'quote-binary',
    seqs: [quote.seq],
    payloadBytes: bytes.length,
    summary: `${quoteWords(quote)} in the ${bytes.length}-byte binary layout`,
  };
}

/** A text WebSocket message of the lab's ws server (a quote, or a control message) or its client. */
export function describeLabText(bytes: Uint8Array): Content {
  const text = utf8(bytes);
  const whole = (label: string, meaning: string, carries: Carries, seqs: number[] = []): Content => ({
    items: [{ start: 0, end: bytes.length, label, meaning }],
    carries,
    seqs,
    payloadBytes: bytes.length,
    summary: meaning,
  });
  const quote = quoteFromJson(text);
  if (quote) return whole('quote JSON', `${quoteWords(quote)}, as ${bytes.length} bytes of JSON`, 'quote-json', [quote.seq]);
  let message: { type?: unknown; reason?: unknown } | null = null;
  try {
    message = JSON.parse(text) as { type?: unknown; reason?: unknown };
  } catch {
    // not JSON: described as text below
  }
  switch (message?.type) {
    case 'ping':
      return whole('ping JSON', `the page's ping message ${text}`, 'ping');
    case 'pong':
      return whole('pong JSON', `the server's pong: echoes t, adds its own serverTs`, 'pong');
    case 'reset':
      return message.reason === 'ahead'
        ? whole(
            'reset JSON',
            `reset: the resume id is ahead of the server's feed (a restarted process); its next quote follows ${text}`,
            'control',
          )
        : whole('reset JSON', `reset: quotes were lost from the server's replay buffer ${text}`, 'control');
    default:
      return { ...whole('text', `text ${JSON.stringify(text.slice(0, 80))}`, 'other'), payloadBytes: null };
  }
}

/** A JSON HTTP body: the SSE ping's POST and its pong. */
export function describeJsonBody(bytes: Uint8Array, dir: Direction): Content {
  const content = describeLabText(bytes);
  if (content.carries !== 'other') return content;
  return {
    items: [
      {
        start: 0,
        end: bytes.length,
        label: 'body',
        meaning: `${dir === 'c2s' ? 'request' : 'response'} body: ${JSON.stringify(utf8(bytes).slice(0, 120))}`,
      },
    ],
    carries: 'other',
    seqs: [],
    payloadBytes: null,
    summary: 'body',
  };
}

// ---------------------------------------------------------------------------------------------
// engine.io and socket.io
// ---------------------------------------------------------------------------------------------

/** Attachments announced by a binary socket.io packet and not yet seen, per connection and direction. */
export interface AttachmentState {
  pending: number;
}

const ENGINE_WORDS: Record<string, string> = {
  open: 'engine.io open: the server starts a session',
  close: 'engine.io close: the session ends',
  ping: 'engine.io ping: the server checks the client is alive every pingInterval',
  pong: 'engine.io pong: the client answers the ping',
  message: 'engine.io message: a socket.io packet follows',
  upgrade: 'engine.io upgrade: the client moves the session to the WebSocket; polling stops',
  noop: 'engine.io noop: releases the pending long-poll GET so the client can switch',
};

/** One engine.io packet given as bytes (a WebSocket text frame, or one packet of a polling body). */
export function describeEnginePacket(bytes: Uint8Array, dir: Direction, state: AttachmentState): Content {
  const text = utf8(bytes);
  const packet = decodeEngineText(text);
  if (!packet)
    return {
      items: [{ start: 0, end: bytes.length, label: 'unknown', meaning: 'not an engine.io packet' }],
      carries: 'other',
      seqs: [],
      payloadBytes: null,
      summary: 'not engine.io',
    };
  if (packet.type === 'binary') {
    const content = describeAttachment(packet.data as Uint8Array, state);
    return { ...content, items: [{ start: 0, end: bytes.length, label: 'b + base64', meaning: `'b' then base64: ${content.summary}` }] };
  }
  const data = packet.data as string;
  const probe = (packet.name === 'ping' || packet.name === 'pong') && data === 'probe';
  const typeItem: Item = {
    start: 0,
    end: 1,
    label: 'engine.io type',
    meaning: probe
      ? `'${packet.type}' = engine.io ${packet.name}, here the upgrade probe`
      : `'${packet.type}' = ${ENGINE_WORDS[packet.name]}`,
  };
  const rest = (label: string, meaning: string): Item[] => (bytes.length > 1 ? [{ start: 1, end: bytes.length, label, meaning }] : []);
  switch (packet.name) {
    case 'open': {
      let open: { sid: string; upgrades: string[]; pingInterval: number; pingTimeout: number; maxPayload: number };
      try {
        open = JSON.parse(data) as typeof open;
        if (!Array.isArray(open.upgrades)) throw new TypeError('no upgrades list');
      } catch (error) {
        return {
          items: [typeItem, ...rest('undecoded', `not the handshake JSON an open packet carries (${(error as Error).message})`)],
          carries: 'other',
          seqs: [],
          payloadBytes: null,
          summary: 'engine.io open with undecodable JSON',
        };
      }
      const meaning =
        `handshake JSON: sid ${open.sid} (session id, sent back as ?sid=), upgrades ${JSON.stringify(open.upgrades)}, ` +
        `pingInterval ${open.pingInterval} ms, pingTimeout ${open.pingTimeout} ms, maxPayload ${open.maxPayload} bytes`;
      return {
        items: [typeItem, ...rest('open JSON', meaning)],
        carries: 'handshake',
        seqs: [],
        payloadBytes: null,
        summary: `engine.io open, sid ${open.sid}, upgrades ${open.upgrades.join(',')}, pingInterval ${open.pingInterval}`,
      };
    }
    case 'ping':
    case 'pong': {
      const words = probe
        ? "'probe': the upgrade test — the client sends 2probe on the new WebSocket, " +
          'the server answers 3probe, then the client sends 5 (upgrade)'
        : `data ${JSON.stringify(data)}`;
      return {
        items: [typeItem, ...rest('probe', words)],
        carries: probe ? 'handshake' : 'heartbeat',
        seqs: [],
        payloadBytes: null,
        summary: probe ? `${packet.type}probe (upgrade probe)` : `engine.io ${packet.name} (heartbeat)`,
      };
    }
    case 'upgrade':
    case 'noop':
      return {
        items: [typeItem, ...rest('data', `data ${JSON.stringify(data)}`)],
        carries: 'handshake',
        seqs: [],
        payloadBytes: null,
        summary: `engine.io ${packet.name}`,
      };
    case 'close':
      return {
        items: [typeItem, ...rest('data', `data ${JSON.stringify(data)}`)],
        carries: 'close',
        seqs: [],
        payloadBytes: null,
        summary: 'engine.io close',
      };
    default: {
      const inner = describeSocketPacket(bytes.subarray(1), dir, state);
      return { ...inner, items: [typeItem, ...inner.items.map((i) => ({ ...i, start: i.start + 1, end: i.end + 1 }))] };
    }
  }
}

/** A raw binary engine.io message: in socket.io, the attachment a placeholder announced. */
export function describeAttachment(bytes: Uint8Array, state: AttachmentState): Content {
  const expected = state.pending > 0;
  if (expected) state.pending--;
  const inner = describeBinaryQuote(bytes);
  const prefix = expected ? 'attachment of the binary event before it, in its own frame' : 'binary message (no placeholder announced it)';
  return {
    ...inner,
    items: inner.items.map((i, n) => (n === 0 ? { ...i, meaning: `${prefix}; ${i.meaning}` } : i)),
    summary: `${prefix}: ${inner.summary}`,
  };
}

/** The socket.io packet inside an engine.io message. */
function describeSocketPacket(bytes: Uint8Array, dir: Direction, state: AttachmentState): Content {
  const packet = decodeSocketPacket(utf8(bytes));
  if (!packet)
    return {
      items: [{ start: 0, end: bytes.length, label: 'message', meaning: `engine.io message that is not a socket.io packet` }],
      carries: 'other',
      seqs: [],
      payloadBytes: null,
      summary: 'engine.io message',
    };
  const items: Item[] = [];
  let carries: Carries = 'other';
  let seqs: number[] = [];
  let payloadBytes: number | null = null;
  let summary = `socket.io ${packet.name}`;
  const args = Array.isArray(packet.data) ? (packet.data as unknown[]) : [];
  let jsonMeaning = `JSON ${JSON.stringify(packet.data)}`.slice(0, 200);
  switch (packet.name) {
    case 'CONNECT': {
      carries = 'handshake';
      const data = (packet.data ?? {}) as Record<string, unknown>;
      if (dir === 'c2s') {
        const recovering = typeof data.pid === 'string';
        jsonMeaning = recovering
          ? `auth ${JSON.stringify({ format: data.format })} plus pid ${String(data.pid)} and offset ${String(data.offset)}: ` +
            'connection state recovery asks for the packets missed since that offset'
          : `auth payload ${JSON.stringify(data)}: the handshake's auth object (the lab reads format from it)`;
        summary = recovering ? `socket.io CONNECT to ${packet.nsp} with recovery (pid, offset)` : `socket.io CONNECT to ${packet.nsp}`;
      } else {
        const pid = data.pid ? `, private id pid ${String(data.pid)} (kept by the client for recovery)` : '';
        jsonMeaning = `socket id sid ${String(data.sid)}${pid}`;
        summary = `socket.io CONNECT ack, sid ${String(data.sid)}`;
      }
      break;
    }
    case 'DISCONNECT':
      carries = 'close';
      summary = `socket.io DISCONNECT from ${packet.nsp}`;
      break;
    case 'EVENT':
    case 'BINARY_EVENT': {
      const [name, ...rest] = args;
      const binary = packet.name === 'BINARY_EVENT';
      if (binary) state.pending += packet.attachments ?? 0;
      const quote = rest.find(isQuote);
      const placeholders = rest.filter(isPlaceholder);
      const offset = rest.length >= 2 && typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : null;
      const parts: string[] = [`event '${String(name)}'`];
      if (quote) {
        parts.push(`${quoteWords(quote)} as JSON`);
        carries = 'quote-json';
        seqs = [quote.seq];
        payloadBytes = Buffer.byteLength(JSON.stringify(quote));
      } else if (placeholders.length > 0) {
        parts.push(
          `${placeholders.map((p) => `placeholder {"_placeholder":true,"num":${p.num}}`).join(', ')}: ` +
            `the binary argument travels as attachment #${placeholders[0]!.num} in the next frame`,
        );
        carries = 'quote-binary';
        payloadBytes = 0;
      } else if (name === 'ping') {
        parts.push(`argument ${JSON.stringify(rest[0])}`);
        carries = 'ping';
        payloadBytes = Buffer.byteLength(JSON.stringify(rest[0]));
      }
      if (offset !== null)
        parts.push(
          `last argument '${offset}': the recovery offset socket.io appends to every broadcast (connection state recovery); ` +
            'the client sends the latest back when it reconnects',
        );
      jsonMeaning = parts.join('; ');
      summary =
        `socket.io ${packet.name}${packet.ackId !== null ? ` (ack id ${packet.ackId})` : ''}: ${parts[0]}` +
        `${seqs.length ? `, quote seq ${seqs[0]}` : ''}${placeholders.length ? `, ${packet.attachments} attachment(s)` : ''}`;
      break;
    }
    case 'ACK':
    case 'BINARY_ACK':
      carries = 'pong';
      payloadBytes = args[0] === undefined ? null : Buffer.byteLength(JSON.stringify(args[0]));
      jsonMeaning = `ack arguments ${JSON.stringify(args)}`.slice(0, 200);
      summary = `socket.io ${packet.name} for ack id ${packet.ackId}`;
      break;
    case 'CONNECT_ERROR':
      summary = `socket.io CONNECT_ERROR ${JSON.stringify(packet.data)}`;
      break;
  }
  for (const part of packet.parts) {
    const end = part.offset + part.length;
    const meaning =
      part.what === 'type'
        ? `'${packet.type}' = socket.io ${packet.name}`
        : part.what === 'attachments'
          ? `'${packet.attachments}-': ${packet.attachments} binary attachment(s) follow this packet`
          : part.what === 'namespace'
            ? `namespace ${packet.nsp}`
            : part.what === 'ack id'
              ? `ack id ${packet.ackId}: the other side answers with an ACK packet carrying the same id`
              : jsonMeaning;
    items.push({ start: part.offset, end, label: `socket.io ${part.what}`, meaning });
  }
  return { items, carries, seqs, payloadBytes, summary };
}

/** A long-polling body: packets joined by 0x1e. */
export function describePollingBody(bytes: Uint8Array, dir: Direction, state: AttachmentState): Content {
  if (utf8(bytes) === 'ok')
    return {
      items: [{ start: 0, end: bytes.length, label: 'ok', meaning: "'ok': engine.io's answer to a polling POST" }],
      carries: 'other',
      seqs: [],
      payloadBytes: null,
      summary: 'ok',
    };
  const items: Item[] = [];
  const all: Content[] = [];
  for (const part of splitPollingPayload(bytes)) {
    const content = describeEnginePacket(bytes.subarray(part.offset, part.offset + part.length), dir, state);
    all.push(content);
    items.push(...content.items.map((i) => ({ ...i, start: i.start + part.offset, end: i.end + part.offset })));
    if (part.separator !== null)
      items.push({
        start: part.separator,
        end: part.separator + 1,
        label: 'record separator',
        meaning: '0x1e: separates packets in a long-polling body',
      });
  }
  const payloads = all.map((c) => c.payloadBytes).filter((p): p is number => p !== null);
  return {
    items,
    carries: strongest(all.map((c) => c.carries)),
    seqs: all.flatMap((c) => c.seqs),
    payloadBytes: payloads.length ? payloads.reduce((a, b) => a + b, 0) : null,
    summary: all.map((c) => c.summary).join(' | '),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP header lines
// ---------------------------------------------------------------------------------------------

/** What a header line means here (the caller adds checks that need the request, such as the accept hash). */
export function headerMeaning(name: string, value: string, dir: Direction): string {
  const n = name.toLowerCase();
  const v = value.toLowerCase();
  switch (n) {
    case 'host':
      return 'Host: the address the page connected to (the relay)';
    case 'origin':
      return (
        "Origin: the page's origin; the lab server checks it against its allowlist " +
        '(for a WebSocket, where browsers apply no CORS, this server-side check is the only protection)'
      );
    case 'accept':
      return v === 'text/event-stream'
        ? 'Accept: text/event-stream — every EventSource request asks for an event stream'
        : `Accept: ${value}`;
    case 'last-event-id':
      return `Last-Event-ID: ${value} — the last event id the browser saw, sent back on this reconnect so the server resumes after it`;
    case 'cache-control':
      return dir === 'c2s'
        ? `Cache-Control: ${value} — the browser asks for a fresh answer`
        : `Cache-Control: ${value} — no caching; no-transform tells proxies not to compress or re-encode the stream`;
    case 'connection':
      return v.includes('upgrade')
        ? 'Connection: Upgrade — this request asks to switch protocols'
        : `Connection: ${value} — the TCP connection may carry further requests`;
    case 'upgrade':
      return `Upgrade: ${value} — ${dir === 'c2s' ? 'the protocol the browser wants to switch to' : 'the protocol the server switches to'}`;
    case 'sec-websocket-key':
      return `Sec-WebSocket-Key: 16 random bytes in base64; the server must hash it into Sec-WebSocket-Accept`;
    case 'sec-websocket-version':
      return `Sec-WebSocket-Version: ${value} (RFC 6455)`;
    case 'sec-websocket-extensions':
      return dir === 'c2s'
        ? `Sec-WebSocket-Extensions: extensions offered: ${value}`
        : `Sec-WebSocket-Extensions: extension accepted: ${value}`;
    case 'content-type':
      return v.startsWith('text/event-stream')
        ? 'Content-Type: text/event-stream — the SSE media type; with any other type EventSource fails for good'
        : `Content-Type: ${value}`;
    case 'transfer-encoding':
      return v === 'chunked'
        ? 'Transfer-Encoding: chunked — no length up front; ' +
            'the body comes as chunks (hex size, CRLF, data, CRLF) and ends with a 0-size chunk'
        : `Transfer-Encoding: ${value}`;
    case 'content-length':
      return `Content-Length: the body is ${value} bytes`;
    case 'access-control-allow-origin':
      return `Access-Control-Allow-Origin: ${value} — CORS: the page's origin may read this answer`;
    case 'access-control-allow-credentials':
      return 'Access-Control-Allow-Credentials: true — CORS: also with credentials';
    case 'access-control-allow-methods':
    case 'access-control-allow-headers':
    case 'access-control-max-age': {
      const cached = n === 'access-control-max-age' ? ' (seconds the browser may cache it)' : '';
      return `${name}: ${value} — the CORS preflight's answer${cached}`;
    }
    case 'access-control-request-method':
    case 'access-control-request-headers':
      return `${name}: ${value} — the CORS preflight's question: may the page send this?`;
    case 'vary':
      return `Vary: ${value} — caches must key the answer on these request headers`;
    case 'x-accel-buffering':
      return 'X-Accel-Buffering: no — tells nginx not to buffer the stream';
    default:
      return `${name}: ${value.length > 80 ? `${value.slice(0, 80)}…` : value}`;
  }
}
