/**
 * "What is on the wire": per transport, the overhead table and the annotated bytes of the
 * messages that teach something (handshake, a quote, a ping, the close), decoded by scripts/wire.
 */
import type { TransportWire, WireMessage, WireResults } from '../wire/types.ts';
import { LABELS } from './charts.ts';
import { formatValue, type Block, type Section } from './blocks.ts';

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

function transportBlocks(wire: TransportWire): Block[] {
  const pct = (share: number | null) => (share === null ? null : `${(share * 100).toFixed(0)} %`);
  const blocks: Block[] = [
    {
      kind: 'p',
      text: `**${LABELS[wire.transport]}.** ${wire.connections.length} TCP connection(s): ${wire.connections.map((c) => `#${c.conn} ${c.purpose} (${c.protocols.join(' → ')}, ${c.bytes.c2s} B up / ${c.bytes.s2c} B down, closed by ${c.closedBy})`).join('; ')}.`,
    },
    {
      kind: 'table',
      caption: 'Bytes on the wire (TCP payload), both directions, and overhead as a share of the application payload',
      head: ['item', 'browser → server', 'server → browser', 'payload', 'overhead', 'share', 'made of'],
      rows: wire.overhead.map((r) => [r.item, r.c2sBytes, r.s2cBytes, r.payloadBytes, r.overheadBytes, pct(r.overheadShare), r.note]),
    },
  ];
  for (const message of teachingMessages(wire)) {
    blocks.push({
      kind: 'details',
      summary: `conn ${message.conn}, ${message.dir === 'c2s' ? 'browser → server' : 'server → browser'}, offset ${message.offset}, ${message.length} B: ${message.summary}`,
      blocks: [{ kind: 'bytes', rows: message.rows }],
    });
  }
  const page = wire.page;
  blocks.push({
    kind: 'p',
    text: `The page saw ${page.quotes.length} quotes, opened ${page.opens} time(s)${page.reconnected ? ' (it reconnected by itself after the drop)' : ' (it did not reconnect by itself)'}${page.recovered === null ? '' : `, socket.recovered = ${page.recovered}`}${page.close ? `, close code ${page.close.code}` : ''}. Drop: ${wire.drop.mode} — ${wire.drop.why}`,
  });
  if (wire.pcap.path)
    blocks.push({
      kind: 'p',
      text: `Packet capture: [${wire.pcap.path}](./${wire.pcap.path.replace(/^results\//, '')}) (${wire.pcap.note}).`,
    });
  if (wire.notes.length) blocks.push({ kind: 'list', items: wire.notes });
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
  const blocks: Block[] = [{ kind: 'p', text: results.method }, ...evidence];
  for (const wire of Object.values(results.transports)) if (wire) blocks.push(...transportBlocks(wire));
  return [{ id: 'wire', title: 'What is on the wire', blocks }];
}
