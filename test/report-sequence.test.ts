/**
 * The handshake sequence diagrams, drawn from the committed example wire capture: one arrow per message from the first
 * byte to the second quote, in the relay's order and direction, labels escaped, long openings capped with a count; SSE
 * and WebSocket in view, the rest folded; the same arrows as text for the Markdown.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handshakesSection, opening, sequenceSvg, sequenceText } from '../scripts/report/sequence.ts';
import type { WireMessage, WireResults } from '../scripts/wire/types.ts';

const wire = JSON.parse(readFileSync(new URL('fixtures/example-wire.json', import.meta.url), 'utf8')) as WireResults;
const arrows = (svg: string) =>
  [...svg.matchAll(/<line x1="(\d+)"[^>]*x2="(\d+)"[^>]*marker-end/g)].map((m) => Number(m[1]) < Number(m[2]));
const message = (t: number, carries: WireMessage['carries'], summary = `message ${t}`): WireMessage => ({
  conn: 1,
  dir: 's2c',
  t,
  offset: 0,
  length: 1,
  layer: 'ws-frame',
  summary,
  carries,
  seqs: [],
  payloadBytes: null,
  rows: [],
});

describe('handshake sequence diagrams', () => {
  it('draw a WebSocket opening as the upgrade, the 101 and two quotes, browser to server first', () => {
    const ws = wire.transports.ws!.messages;
    const { shown } = opening(ws);
    expect(shown.map((m) => m.carries)).toEqual(['handshake', 'handshake', 'quote-json', 'quote-json']);
    const svg = sequenceSvg(ws, 'ws');
    // true: browser → server (left to right).
    expect(arrows(svg)).toEqual(shown.map((m) => m.dir === 'c2s'));
    expect(svg).toContain('101 Switching Protocols');
  });

  it("draw socket.io's polling handshake and upgrade across its TCP connections", () => {
    const { shown } = opening(wire.transports.socketio!.messages);
    expect(new Set(shown.map((m) => m.conn)).size).toBeGreaterThan(1);
    expect(shown.filter((m) => m.carries.startsWith('quote'))).toHaveLength(2);
    expect(shown.map((m) => m.t)).toEqual([...shown.map((m) => m.t)].sort((a, b) => a - b));
  });

  it('escape labels and cap a long opening with the number left out', () => {
    const long = [
      ...Array.from({ length: 30 }, (_, i) => message(i, 'handshake', `<b>&"${i}"`)),
      message(30, 'quote-json'),
      message(31, 'quote-json'),
    ];
    const svg = sequenceSvg(long, 'x');
    expect(arrows(svg)).toHaveLength(24);
    expect(svg).toContain('… 8 more');
    expect(svg).toContain('&lt;b&gt;&amp;&quot;0&quot;');
    expect(svg).not.toContain('<b>');
  });

  it('draw SSE and WebSocket in view and fold the others, and say how to get a capture when the results have none', () => {
    expect(JSON.stringify(handshakesSection(null))).toContain('npm run wire');
    const { blocks } = handshakesSection(wire);
    const inView = blocks.filter((b) => b.kind === 'figure');
    const folded = blocks.flatMap((b) => (b.kind === 'details' ? b.blocks.filter((f) => f.kind === 'figure') : []));
    expect(inView.map((f) => f.caption.split(':')[0])).toEqual(['SSE', 'WebSocket (ws)']);
    expect(inView.length + folded.length).toBe(Object.keys(wire.transports).length);
  });

  it('give the Markdown the same arrows as text, in order and direction', () => {
    const ws = wire.transports.ws!.messages;
    const lines = sequenceText(ws).split('\n');
    expect(lines).toHaveLength(opening(ws).shown.length);
    expect(lines[0]).toMatch(/^ +0 ms #1 {2}browser → server {2}GET \/ws/);
    expect(lines[1]).toContain('server → browser  101 Switching Protocols');
  });
});
