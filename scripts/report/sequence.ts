/**
 * The handshakes as sequence diagrams, drawn from the wire capture's transcripts (results/wire.json): for each
 * transport, every message the relay read between the browser and the server from the first byte to the second quote,
 * in the order it read them, as an arrow labelled with the decoder's one-line summary and the TCP connection it rode
 * on. Inline SVG (no request, no library), so the report stays one offline file.
 */
import { LABELS } from './charts.ts';
import { spoken } from './engines.ts';
import type { Block, Section } from './blocks.ts';
import type { WireMessage, WireResults, WireTransport } from '../wire/types.ts';

/** The opening: every message up to and including the second quote, at most this many. */
const MAX_ARROWS = 24;
const QUOTES_SHOWN = 2;
const ROW = 24;
const TOP = 44;
const WIDTH = 760;
const BROWSER_X = 150;
const SERVER_X = 730;
const LABEL_CHARS = 86;

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const clip = (s: string) => (s.length > LABEL_CHARS ? `${s.slice(0, LABEL_CHARS - 1)}…` : s);

/** The messages of the opening, in the order the relay read them, and how many more the opening had past the cap. */
export function opening(messages: readonly WireMessage[]): { shown: WireMessage[]; more: number } {
  const ordered = [...messages].sort((a, b) => a.t - b.t);
  const quotes = ordered.map((m, i) => (m.carries.startsWith('quote') ? i : -1)).filter((i) => i >= 0);
  const end = quotes.length >= QUOTES_SHOWN ? quotes[QUOTES_SHOWN - 1]! + 1 : ordered.length;
  return { shown: ordered.slice(0, Math.min(end, MAX_ARROWS)), more: Math.max(0, end - MAX_ARROWS) };
}

/** The same opening as lines of text: time, connection, direction and what the decoder read. */
export function sequenceText(messages: readonly WireMessage[]): string {
  const { shown, more } = opening(messages);
  const t0 = shown[0]?.t ?? 0;
  const lines = shown.map(
    (m) =>
      `${`${(m.t - t0).toFixed(0)} ms`.padStart(7)} #${m.conn}  ${m.dir === 'c2s' ? 'browser → server' : 'server → browser'}  ${m.summary}`,
  );
  return [...lines, ...(more ? [`… ${more} more`] : [])].join('\n');
}

/** One transport's opening as an SVG sequence diagram. */
export function sequenceSvg(messages: readonly WireMessage[], id: string): string {
  const { shown, more } = opening(messages);
  const t0 = shown[0]?.t ?? 0;
  const height = TOP + shown.length * ROW + (more ? ROW : 0) + 16;
  const lifeline = (x: number, name: string) =>
    `<text x="${x}" y="18" text-anchor="middle" font-weight="600">${name}</text>` +
    `<line x1="${x}" y1="26" x2="${x}" y2="${height - 8}" stroke="#8a93a3" stroke-dasharray="4 3"/>`;
  const arrows = shown.map((m, i) => {
    const y = TOP + i * ROW;
    const [from, to] = m.dir === 'c2s' ? [BROWSER_X, SERVER_X] : [SERVER_X, BROWSER_X];
    const colour = m.carries.startsWith('quote') ? '#0b5d23' : m.carries === 'handshake' ? '#1f4e8c' : '#6b5300';
    return (
      `<text x="8" y="${y + 4}" fill="#5b6475">${(m.t - t0).toFixed(0)} ms · #${m.conn}</text>` +
      `<text x="${(BROWSER_X + SERVER_X) / 2}" y="${y - 4}" text-anchor="middle">${xml(clip(m.summary))}</text>` +
      `<line x1="${from}" y1="${y}" x2="${to}" y2="${y}" stroke="${colour}" stroke-width="1.5" marker-end="url(#${id}-arrow)"/>`
    );
  });
  const tail = more
    ? `<text x="${(BROWSER_X + SERVER_X) / 2}" y="${TOP + shown.length * ROW}" text-anchor="middle">… ${more} more</text>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" ` +
    'font-family="system-ui,sans-serif" font-size="11" role="img">' +
    `<defs><marker id="${id}-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">` +
    '<path d="M0,0 L8,4 L0,8 z" fill="#5b6475"/></marker></defs>' +
    `${lifeline(BROWSER_X, 'browser')}${lifeline(SERVER_X, 'server')}${arrows.join('')}${tail}</svg>`
  );
}

const TITLE = 'How each transport opens, as recorded';

/** Drawn in view: the two protocols a browser speaks natively; the others fold under them. */
const IN_VIEW: readonly string[] = ['sse', 'ws'];

export function handshakesSection(wire: WireResults | null): Section {
  if (!wire)
    return {
      id: 'handshakes',
      title: TITLE,
      blocks: [{ kind: 'p', text: 'No wire capture in these results: `npm run wire` records one.' }],
    };
  const figures = Object.entries(wire.transports).map(
    ([transport, t]) => [transport, figure(transport as WireTransport, t.messages)] as const,
  );
  const folded = figures.filter(([t]) => !IN_VIEW.includes(t));
  const blocks: Block[] = [
    {
      kind: 'p',
      text:
        'Each arrow is one message the wire capture (`npm run wire`, Chromium) read, from the first byte to the second quote, ' +
        'with its time and TCP connection (`#1`, `#2` …); the bytes themselves are in "What is on the wire".',
    },
    ...figures.filter(([t]) => IN_VIEW.includes(t)).map(([, f]) => f),
    ...(folded.length
      ? [
          {
            kind: 'details' as const,
            summary: `${spoken(folded.map(([t]) => LABELS[t as WireTransport]))}, opening`,
            blocks: folded.map(([, f]) => f),
          },
        ]
      : []),
  ];
  return { id: 'handshakes', title: TITLE, blocks };
}

function figure(transport: WireTransport, messages: readonly WireMessage[]): Block {
  const { shown, more } = opening(messages);
  const quotes = shown.filter((m) => m.carries.startsWith('quote')).length;
  const reach = quotes >= QUOTES_SHOWN ? 'up to and including the second quote' : 'the whole capture (it holds no second quote)';
  return {
    kind: 'figure',
    svg: sequenceSvg(messages, `seq-${transport}`),
    text: sequenceText(messages),
    caption:
      `${LABELS[transport]}: ${shown.length + more} messages on ` +
      `${new Set(shown.map((m) => m.conn)).size} TCP connection(s), ${reach}${more ? ` (the first ${shown.length} drawn)` : ''}.`,
  };
}
