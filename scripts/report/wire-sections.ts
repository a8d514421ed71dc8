/**
 * "What is on the wire": per transport, the overhead table and the annotated bytes of the
 * messages that teach something (handshake, a quote, a ping, the close), decoded by scripts/wire;
 * for SSE over HTTP/2, its TLS layer and header lists, and its bytes next to SSE over HTTP/1.1.
 * Every figure and every comparison word comes from the results.
 */
import { TRANSPORTS } from '../../servers/transports.ts';
import { type TransportWire, type WireKind, type WireMessage, type WireResults, type WireTransport, wireKind } from '../wire/types.ts';
import { type Block, type Cell, formatValue, type Section } from './blocks.ts';
import { LABELS } from './charts.ts';

/** The first message of each kind on the session, in wire order: the ones worth reading byte by byte. */
function teachingMessages(wire: TransportWire): WireMessage[] {
  const seen = new Set<string>();
  const picked: WireMessage[] = [];
  for (const message of wire.messages) {
    const kind = `${message.carries}/${message.dir}/${message.layer}`;
    if (seen.has(kind) || message.layer === 'undecoded' || message.rows.length === 0) continue;
    seen.add(kind);
    picked.push(message);
  }
  return picked.slice(0, 16);
}

function connectionWords(wire: TransportWire): string {
  return wire.connections
    .map((c) => {
      const tls = c.tls ? `; ${c.tls.bytes.c2s} B up / ${c.tls.bytes.s2c} B down as TLS records` : '';
      const what = c.tls ? 'HTTP/2 bytes' : 'B';
      const bytes = `${c.bytes.c2s} ${what} up / ${c.bytes.s2c} ${what} down${tls}`;
      return `#${c.conn} ${c.purpose} (${c.protocols.join(' → ')}, ${bytes}, closed by ${c.closedBy})`;
    })
    .join('; ');
}

/** What only an HTTP/2-over-TLS session has: its TLS handshake and records, frame counts, and each header list as HPACK sent it. */
function h2Blocks(wire: TransportWire): Block[] {
  const h2 = wire.h2;
  if (!h2) return [];
  const tls = wire.connections.find((c) => c.tls)?.tls;
  const blocks: Block[] = [
    {
      kind: 'p',
      text:
        `HTTP/2 frames (both directions): ${Object.entries(h2.frames)
          .map(([type, n]) => `${n} ${type}`)
          .join(', ')}. Dissected by ${h2.tshark.replace(/\.$/, '')} from the capture, decrypted with Chromium's TLS key log: ` +
        `[${h2.capture}](./${h2.capture.replace(/^results\//, '')}).`,
    },
  ];
  if (tls)
    blocks.push({
      kind: 'table',
      caption:
        `The TLS handshake (${tls.version ?? '?'}, ${tls.cipher ?? '?'}, ALPN ${tls.alpn ?? 'none'}): ` +
        'each message with its 4-byte header',
      head: ['direction', 'message', 'bytes'],
      rows: tls.handshake.map((h) => [h.dir === 'c2s' ? 'browser → server' : 'server → browser', h.message, h.bytes]),
    });
  blocks.push({
    kind: 'table',
    caption:
      'Header lists as tshark decoded them from HPACK: bytes in the frame against the same names and values as text, ' +
      'and how many fields took one byte (an index into the static or dynamic table)',
    head: ['stream', 'direction', 'what', 'fields', 'HPACK bytes', 'text bytes', 'one-byte fields'],
    rows: h2.headerBlocks.map((b) => [
      b.stream,
      b.dir === 'c2s' ? 'browser → server' : 'server → browser',
      b.what,
      b.fields.length,
      b.encodedBytes,
      b.plainBytes,
      b.fields.filter((f) => f.bytes === 1).length,
    ]),
  });
  return blocks;
}

function transportBlocks(wire: TransportWire): Block[] {
  const pct = (share: number | null) => (share === null ? null : `${(share * 100).toFixed(0)} %`);
  const tlsColumn = wire.overhead.some((r) => r.tlsBytes !== undefined);
  const blocks: Block[] = [
    // Not bold-led: the section shows its method in view and folds each transport's account (report model's `collapsed`).
    { kind: 'p', text: `${LABELS[wire.transport]}: ${wire.connections.length} TCP connection(s): ${connectionWords(wire)}.` },
    {
      kind: 'table',
      caption: tlsColumn
        ? 'Bytes per item: HTTP/2 bytes (decrypted) both directions, overhead as a share of the payload, ' +
          'and the TLS records that carried them where those carried nothing else'
        : 'Bytes on the wire (TCP payload), both directions, and overhead as a share of the application payload',
      head: [
        'item',
        'browser → server',
        'server → browser',
        'payload',
        'overhead',
        'share',
        ...(tlsColumn ? ['as TLS records (→ / ←)'] : []),
        'made of',
      ],
      rows: wire.overhead.map((r) => [
        r.item,
        r.c2sBytes,
        r.s2cBytes,
        r.payloadBytes,
        r.overheadBytes,
        pct(r.overheadShare),
        ...(tlsColumn ? [r.tlsBytes ? `${r.tlsBytes.c2s} / ${r.tlsBytes.s2c}` : null] : []),
        r.note,
      ]),
    },
    ...h2Blocks(wire),
  ];
  for (const message of teachingMessages(wire)) {
    blocks.push({
      kind: 'details',
      summary:
        `conn ${message.conn}, ${message.dir === 'c2s' ? 'browser → server' : 'server → browser'}, ` +
        `offset ${message.offset}, ${message.length} B: ${message.summary}`,
      blocks: [{ kind: 'bytes', rows: message.rows }],
    });
  }
  const page = wire.page;
  blocks.push({
    kind: 'p',
    text:
      `The page saw ${page.quotes.length} quotes, opened ${page.opens} time(s)` +
      `${page.reconnected ? ' (it reconnected by itself after the drop)' : ' (it did not reconnect by itself)'}` +
      `${page.recovered === null ? '' : `, socket.recovered = ${page.recovered}`}${page.close ? `, close code ${page.close.code}` : ''}. ` +
      `Drop: ${wire.drop.mode} — ${wire.drop.why}`,
  });
  if (wire.pcap.path)
    blocks.push({
      kind: 'p',
      text: `Packet capture: [${wire.pcap.path}](./${wire.pcap.path.replace(/^results\//, '')}) (${wire.pcap.note}).`,
    });
  else if (wire.pcap.tool) blocks.push({ kind: 'p', text: `Packet capture: ${wire.pcap.note}.` });
  if (wire.notes.length) blocks.push({ kind: 'list', items: wire.notes });
  return blocks;
}

/** The transport decoded as `kind`, if it ran. */
function ranAs(results: WireResults, kind: WireKind): TransportWire | undefined {
  return Object.values(results.transports).find((w) => w && wireKind(w.transport) === kind);
}

/** Bytes of a message's framing around its content: HTTP/1.1's chunk size line and CRLF, HTTP/2's frame header. */
const framing = (m: WireMessage) =>
  m.rows.filter((r) => ['chunk size line', 'chunk CRLF', 'frame header'].includes(r.label)).reduce((s, r) => s + r.length, 0);
const message = (wire: TransportWire, ref: { conn: number; dir: string; offset: number } | undefined) =>
  ref && wire.messages.find((m) => m.conn === ref.conn && m.dir === ref.dir && m.offset === ref.offset);
/** The browser's requests for the event stream: the first, and the reconnect that carries Last-Event-ID. */
function streamRequests(wire: TransportWire): { first?: WireMessage; resume?: WireMessage } {
  const requests = wire.messages.filter((m) => m.dir === 'c2s' && (m.layer === 'http-head' || m.layer === 'h2-frame'));
  // 'GET /sse' or 'GET /sse (Last-Event-ID 4)' on HTTP/1.1, 'HEADERS on stream 1, END_STREAM: GET /sse (19 fields…)' on HTTP/2.
  const isStream = (m: WireMessage) => /(^|: )GET \/sse( \(|$)/.test(m.summary);
  return {
    first: requests.find(isStream),
    resume: requests.find((m) => isStream(m) && m.rows.some((r) => r.label.toLowerCase() === 'last-event-id header')),
  };
}

const PREFLIGHT = 'CORS preflight (once, then cached)';
const more = (a: number, b: number, unit = 'B') => (a === b ? 'the same' : `${Math.abs(b - a)} ${unit} ${b > a ? 'more' : 'fewer'}`);

/**
 * SSE over HTTP/1.1 (plain) next to SSE over HTTP/2 (TLS): the same session's handshake, quotes, heartbeat and
 * requests, in HTTP bytes on both, and on the wire as TLS records for HTTP/2; then what the figures say.
 */
function h2Comparison(results: WireResults): Block[] {
  const h1 = ranAs(results, 'event-stream');
  const h2 = ranAs(results, 'h2');
  if (!h1 || !h2) return [];
  const item = (wire: TransportWire, name: string) => wire.overhead.find((r) => r.item === name);
  const both = (r: { c2sBytes: number; s2cBytes: number } | undefined): Cell => (r ? `${r.c2sBytes} / ${r.s2cBytes}` : null);
  const tls = (name: string): Cell => {
    const t = item(h2, name)?.tlsBytes;
    return t ? `${t.c2s} / ${t.s2c}` : null;
  };
  const [r1, r2] = [streamRequests(h1), streamRequests(h2)];
  const rows: Cell[][] = [
    ['handshake (HTTP, before the first quote)', both(item(h1, 'handshake')), both(item(h2, 'handshake')), tls('handshake')],
    ['TLS handshake', '(plain: none)', '–', tls('TLS handshake')],
    ['one JSON quote', both(item(h1, 'quote (JSON)')), both(item(h2, 'quote (JSON)')), tls('quote (JSON)')],
    ['one base64 quote', both(item(h1, 'quote (binary)')), both(item(h2, 'quote (binary)')), tls('quote (binary)')],
    ['heartbeat', both(item(h1, 'heartbeat')), both(item(h2, 'heartbeat')), tls('heartbeat')],
    ['CORS preflight', both(item(h1, PREFLIGHT)), both(item(h2, PREFLIGHT)), tls(PREFLIGHT)],
    ['ping round trip (POST /sse/ping)', both(item(h1, 'ping round trip')), both(item(h2, 'ping round trip')), tls('ping round trip')],
    ['GET /sse request', r1.first?.length ?? null, r2.first?.length ?? null, null],
    ['reconnect request (Last-Event-ID)', r1.resume?.length ?? null, r2.resume?.length ?? null, null],
  ];
  const blocks: Block[] = [
    {
      kind: 'table',
      caption:
        `${LABELS[h1.transport]} (plain) and ${LABELS[h2.transport]}: bytes browser → server / server → browser in the same session. ` +
        'HTTP/2 bytes are the decrypted frames; the last column is the TCP payload of the TLS records that carried them, ' +
        'where those records carried nothing else',
      head: [
        'item',
        `${LABELS[h1.transport]}: HTTP/1.1 bytes`,
        `${LABELS[h2.transport]}: HTTP/2 bytes`,
        `${LABELS[h2.transport]}: TLS records`,
      ],
      rows,
    },
  ];

  const says: string[] = [];
  const q1 = message(h1, item(h1, 'quote (JSON)')?.refs.at(-1));
  const q2 = message(h2, item(h2, 'quote (JSON)')?.refs.at(-1));
  if (q1 && q2) {
    const onWire = item(h2, 'quote (JSON)')?.tlsBytes?.s2c;
    says.push(
      `A JSON quote took ${q1.length} B as an HTTP/1.1 chunk (${framing(q1)} B of chunk size line and CRLF around its event) ` +
        `and ${q2.length} B as an HTTP/2 DATA frame (a ${framing(q2)}-byte frame header around its event): ` +
        `${more(q1.length, q2.length)} per quote before encryption` +
        (onWire
          ? `; TLS then carried it in ${onWire} B, ${onWire - q2.length} B of record header, content type and authentication tag.`
          : '.'),
    );
  }
  if (r1.first && r2.first && r1.resume && r2.resume) {
    const block = (m: WireMessage) => h2.h2?.headerBlocks.find((b) => b.conn === m.conn && b.dir === 'c2s' && b.t === m.t);
    const resumeBlock = block(r2.resume);
    says.push(
      `The first GET /sse took ${r1.first.length} B of request head on HTTP/1.1 and ${r2.first.length} B as a HEADERS frame; ` +
        `the reconnect with Last-Event-ID took ${r1.resume.length} B against ${r2.resume.length} B` +
        (resumeBlock
          ? `, ${resumeBlock.fields.filter((f) => f.bytes === 1).length} of its ${resumeBlock.fields.length} fields one byte each: ` +
            "HPACK's dynamic table held them from the requests before."
          : '.'),
    );
  }
  const hs1 = item(h1, 'handshake');
  const hs2 = item(h2, 'handshake');
  const tlsHs = item(h2, 'TLS handshake');
  if (hs1 && hs2 && tlsHs) {
    const kinds = [
      ...new Set(
        hs2.refs
          .map((r) => message(h2, r)?.summary ?? '')
          .map((t) => (t.startsWith('connection preface') ? 'preface' : t.split(/[ ,]/)[0])),
      ),
    ];
    const hello = h2.connections.flatMap((c) => c.tls?.handshake ?? []).find((h) => h.dir === 'c2s' && h.message === 'Client Hello');
    says.push(
      `Before the first quote: ${hs1.c2sBytes + hs1.s2cBytes} B of HTTP/1.1 against ${hs2.c2sBytes + hs2.s2cBytes} B of HTTP/2 ` +
        `(${kinds.join(', ')}), plus ${tlsHs.c2sBytes + tlsHs.s2cBytes} B of TLS handshake that the plain connection did not pay ` +
        `(${tlsHs.c2sBytes} B from the browser${hello ? `, ${hello.bytes} B of it its Client Hello` : ''}).`,
    );
  }
  if (says.length) blocks.push({ kind: 'p', text: says.join(' ') });
  return blocks;
}

export function wireSections(results: WireResults): Section[] {
  // What the decoded bytes say, one small table per claim (the verdicts themselves come from the scenarios).
  const evidence: Block[] = Object.entries(results.evidence).map(([claim, facts]) => ({
    kind: 'table',
    caption: `Decoded facts bearing on [${claim}](#claim-${claim})`,
    head: ['fact', 'value'],
    rows: Object.entries(facts as Record<string, unknown>).map(([k, v]) => [k, formatValue(v)]),
  }));
  const blocks: Block[] = [{ kind: 'p', text: results.method }, ...evidence, ...h2Comparison(results)];
  for (const [transport, reason] of Object.entries(results.notRun ?? {}))
    blocks.push({ kind: 'p', text: `**${TRANSPORTS[transport as WireTransport].label}** was not run: ${reason}.` });
  for (const wire of Object.values(results.transports)) if (wire) blocks.push(...transportBlocks(wire));
  return [{ id: 'wire', title: 'What is on the wire', blocks }];
}
