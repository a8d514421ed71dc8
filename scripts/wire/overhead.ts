/**
 * The per-transport overhead table and transcript counts, summed from the annotated messages:
 * what the handshake costs, what one quote costs on the wire against its payload, a ping round
 * trip, a heartbeat. Each row names the messages it counted and how their bytes are made up.
 *
 * Bytes are TCP payload as the relay saw it; TCP/IP headers (about 52-66 bytes per segment on
 * loopback with timestamps) are not in them — the pcapng shows those.
 */
import type { Carries, ConnectionWire, Direction, OverheadRow, TranscriptStats, WireMessage } from './types.ts';

const QUOTE: Carries[] = ['quote-json', 'quote-binary', 'quote-base64'];

const ref = (m: WireMessage) => ({ conn: m.conn, dir: m.dir, offset: m.offset });
const arrow = (dir: Direction) => (dir === 'c2s' ? '→' : '←');
const short = (text: string, n = 48) => (text.length > n ? `${text.slice(0, n)}…` : text);

/** The parts of one message by label, e.g. 'chunk size line 4 + data line 74 + chunk CRLF 2'. */
function parts(m: WireMessage): string {
  return m.rows.map((r) => `${r.label} ${r.length}`).join(' + ');
}

function build(item: string, messages: WireMessage[], payloadBytes: number | null, note: string): OverheadRow {
  const c2sBytes = messages.filter((m) => m.dir === 'c2s').reduce((s, m) => s + m.length, 0);
  const s2cBytes = messages.filter((m) => m.dir === 's2c').reduce((s, m) => s + m.length, 0);
  const overheadBytes = payloadBytes === null ? null : c2sBytes + s2cBytes - payloadBytes;
  const overheadShare = payloadBytes ? Math.round((overheadBytes! / payloadBytes) * 1000) / 1000 : null;
  return { item, c2sBytes, s2cBytes, payloadBytes, overheadBytes, overheadShare, note, refs: messages.map(ref) };
}

/** No line of the message continues from an earlier chunk or is left unfinished for a later one. */
function whole(m: WireMessage): boolean {
  return !m.rows.some((r) => r.label === 'unfinished line' || r.meaning.startsWith('(continued from the chunk before)'));
}

/**
 * An SSE event split across HTTP chunks is attributed to the chunk that dispatched it; its bytes
 * also lie in the chunks before it since the previous dispatched event (those carrying nothing
 * else), so they are counted with it.
 */
function withEarlierChunks(m: WireMessage, messages: WireMessage[]): WireMessage[] {
  if (m.layer !== 'http-chunk' || whole(m)) return [m];
  const earlier = messages
    .filter((x) => x.conn === m.conn && x.dir === m.dir && x.layer === 'http-chunk' && x.offset < m.offset)
    .sort((a, b) => a.offset - b.offset);
  const parts: WireMessage[] = [];
  for (const x of earlier.reverse()) {
    if (x.seqs.length > 0 || x.carries !== 'other') break;
    parts.unshift(x);
  }
  return [...parts, m];
}

function listNote(messages: WireMessage[], limit = 10): string {
  const listed = messages.slice(0, limit).map((m) => `${arrow(m.dir)} #${m.conn} ${short(m.summary)} ${m.length}`);
  if (messages.length > limit) listed.push(`… ${messages.length - limit} more`);
  return listed.join('; ');
}

export function overheadTable(messages: WireMessage[], connections: ConnectionWire[]): OverheadRow[] {
  const rows: OverheadRow[] = [];
  const firstQuote = messages.find((m) => m.dir === 's2c' && QUOTE.includes(m.carries) && m.seqs.length > 0);

  if (firstQuote) {
    // Everything that set the stream up before the first quote, on the connections open by then.
    const early = new Set(connections.filter((c) => c.openedAt <= firstQuote.t).map((c) => c.conn));
    const setup = messages.filter(
      (m) => m !== firstQuote && m.t <= firstQuote.t && early.has(m.conn) && (m.carries === 'handshake' || m.carries === 'control'),
    );
    rows.push(build('handshake', setup, null, `${setup.length} messages before the first quote: ${listNote(setup)}`));
  }

  // A quote that arrived whole is preferred; an SSE event split over chunks is counted with its earlier chunks.
  const firstOf = (carries: Carries[]) => {
    const candidates = messages.filter((m) => m.dir === 's2c' && carries.includes(m.carries) && m.seqs.length === 1);
    return candidates.find(whole) ?? candidates[0];
  };
  const json = firstOf(['quote-json']);
  if (json) {
    const counted = withEarlierChunks(json, messages);
    rows.push(
      build(
        'quote (JSON)',
        counted,
        json.payloadBytes,
        counted.length === 1 ? parts(json) : counted.map((m) => `[${parts(m)}]`).join(' then '),
      ),
    );
  }

  const binary = firstOf(['quote-binary', 'quote-base64']);
  if (binary) {
    // socket.io: the placeholder packet just before the attachment belongs to the same quote.
    const same = messages.filter((m) => m.conn === binary.conn && m.dir === binary.dir && m.offset < binary.offset);
    const before = same.at(-1);
    const counted =
      before && before.carries === 'quote-binary' && before.seqs.length === 0 ? [before, binary] : withEarlierChunks(binary, messages);
    rows.push(build('quote (binary)', counted, binary.payloadBytes, counted.map((m) => `[${parts(m)}]`).join(' then ')));
  }

  // The CORS preflight of a cross-origin POST is paid once and then cached (Access-Control-Max-Age),
  // so it gets its own row instead of inflating every ping round trip.
  const preflight = messages.filter((m) => m.carries === 'preflight');
  if (preflight.length) rows.push(build('CORS preflight (once, then cached)', preflight, null, listNote(preflight)));
  const ping = messages.filter((m) => m.carries === 'ping' || m.carries === 'pong');
  if (ping.length) {
    const payload = ping.reduce((s, m) => s + (m.payloadBytes ?? 0), 0);
    rows.push(build('ping round trip', ping, payload, listNote(ping)));
  }

  // A heartbeat on the WebSocket when there is one: engine.io's first pings may still go over long-polling,
  // where the answer travels in a POST on another connection and cannot be paired.
  const beats = messages.filter((m) => m.dir === 's2c' && m.carries === 'heartbeat');
  const beat = beats.find((m) => m.layer === 'ws-frame') ?? beats[0];
  if (beat) {
    const answer = messages.find(
      (m) => m.conn === beat.conn && m.dir === 'c2s' && m.carries === 'heartbeat' && m.layer === beat.layer && m.t >= beat.t,
    );
    const counted = answer ? [beat, answer] : [beat];
    rows.push(build('heartbeat', counted, null, counted.map((m) => `${arrow(m.dir)} ${short(m.summary, 60)} [${parts(m)}]`).join('; ')));
  }
  return rows;
}

export function transcriptStats(connections: ConnectionWire[], messages: WireMessage[]): TranscriptStats {
  const sum = (pick: (c: ConnectionWire) => number) => connections.reduce((s, c) => s + pick(c), 0);
  const byCarries: Partial<Record<Carries, number>> = {};
  for (const m of messages) byCarries[m.carries] = (byCarries[m.carries] ?? 0) + 1;
  const seqs = messages.flatMap((m) => m.seqs);
  return {
    connections: connections.length,
    bytes: { c2s: sum((c) => c.bytes.c2s), s2c: sum((c) => c.bytes.s2c) },
    reads: { c2s: sum((c) => c.reads.c2s), s2c: sum((c) => c.reads.s2c) },
    messages: messages.length,
    messagesByCarries: byCarries,
    quoteSeqs: [...new Set(seqs)].sort((a, b) => a - b),
    decodedQuotes: seqs.length,
    undecodedBytes: sum((c) => c.undecodedBytes.c2s + c.undecodedBytes.s2c),
  };
}
