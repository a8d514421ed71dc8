/**
 * The event-stream parser on two fixtures: a hand-written stream exercising the WHATWG rules, and
 * the body Chromium received in a recorded wire session. Each is fed whole, byte by byte, and split
 * at every position (which includes splits between CR and LF and inside multi-byte UTF-8
 * characters); the lines must come out the same every time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeHttpConnection, header } from '../scripts/wire/decode/http.ts';
import { parseEventStream, type SseLine } from '../scripts/wire/decode/sse.ts';
import type { TranscriptFile } from '../scripts/wire/types.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`fixtures/wire/${name}`, import.meta.url), 'utf8'));
const edge = new Uint8Array(Buffer.from((fixture('sse-edge.json') as { stream: string }).stream, 'utf8'));

/** The parts of a line that must not depend on how the bytes were split. */
const shape = (lines: SseLine[]) =>
  lines.map(({ offset, length, ending, text, kind, dispatch, bom, validUtf8 }) => ({
    offset,
    length,
    ending,
    text,
    kind,
    dispatch,
    bom,
    validUtf8,
  }));

function splits(bytes: Uint8Array): { at: number; lines: SseLine[] }[] {
  return Array.from({ length: bytes.length - 1 }, (_, i) => ({
    at: i + 1,
    lines: parseEventStream([bytes.subarray(0, i + 1), bytes.subarray(i + 1)]).lines,
  }));
}

/** Split positions that fall between a CR and its LF, and inside a multi-byte UTF-8 character. */
function awkward(bytes: Uint8Array): { crlf: number[]; utf8: number[] } {
  const crlf: number[] = [];
  const utf8: number[] = [];
  for (let i = 1; i < bytes.length; i++) {
    if (bytes[i - 1] === 0x0d && bytes[i] === 0x0a) crlf.push(i);
    if ((bytes[i]! & 0xc0) === 0x80) utf8.push(i); // a continuation byte: the split lands inside a character
  }
  return { crlf, utf8 };
}

describe('SSE parser on the hand-written edge stream', () => {
  const whole = parseEventStream([edge]);

  it('follows the WHATWG rules line by line', () => {
    const { lines, parser } = whole;
    expect(lines[0]).toMatchObject({ bom: true, kind: 'field', field: 'retry', value: '150', ending: 'CRLF' });
    expect(lines[1]!.dispatch).toMatchObject({ dispatched: false });
    expect(lines.find((l) => l.field === 'id' && l.value === '7')!.ending).toBe('CR');
    expect(lines.find((l) => l.kind === 'comment')!.text).toBe(': comment with é');
    expect(lines.find((l) => l.field === 'retry' && l.value === '1x')!.effect).toMatch(/ignored/);
    expect(lines.find((l) => l.field === 'unknown')!.effect).toMatch(/ignored/);
    expect(lines.at(-1)).toMatchObject({ kind: 'unterminated', text: 'data: unfinished', ending: null });
    // The invalid retry did not replace the valid one.
    expect(parser.reconnectionTime).toBe(150);
    expect(lines.every((l) => l.validUtf8)).toBe(true);
  });

  it('dispatches exactly the three complete events, with the last event id carried and reset', () => {
    const events = whole.lines.filter((l) => l.dispatch?.dispatched).map((l) => l.dispatch);
    expect(events).toEqual([
      { dispatched: true, type: 'tick', data: '株価 €12\nno-space\n', lastEventId: '7' },
      { dispatched: true, type: 'message', data: 'second 😀', lastEventId: '7' },
      { dispatched: true, type: 'message', data: 'third', lastEventId: '' },
    ]);
  });

  it('gives the same lines whatever the split, including CR|LF and mid-character splits', () => {
    const { crlf, utf8 } = awkward(edge);
    expect(crlf.length).toBeGreaterThan(0);
    expect(utf8.length).toBeGreaterThan(0);
    for (const { at, lines } of splits(edge)) expect(shape(lines), `split at ${at}`).toEqual(shape(whole.lines));
    const bytewise = parseEventStream(Array.from(edge, (b) => Uint8Array.of(b))).lines;
    expect(shape(bytewise)).toEqual(shape(whole.lines));
  });

  it('counts every byte once: lines tile the stream', () => {
    let at = 0;
    for (const line of whole.lines) {
      expect(line.offset).toBe(at);
      at += line.length;
    }
    expect(at).toBe(edge.length);
  });
});

describe('SSE parser on the event stream Chromium received (recorded)', () => {
  const transcript = fixture('chromium-sse.transcript.json') as TranscriptFile;
  const bodies: Uint8Array[] = [];
  for (const conn of transcript.connections) {
    const stream = (dir: 'c2s' | 's2c') =>
      Buffer.concat(conn.chunks.filter((c) => c.dir === dir).map((c) => Buffer.from(c.data, 'base64')));
    const s2c = stream('s2c');
    for (const exchange of decodeHttpConnection(stream('c2s'), s2c).exchanges) {
      const response = exchange.response;
      if (!response || !header(response.head, 'content-type')?.startsWith('text/event-stream')) continue;
      bodies.push(Buffer.concat(response.body.chunked!.chunks.map((c) => s2c.subarray(c.data.offset, c.data.offset + c.data.length))));
    }
  }

  it('finds the event streams in the recorded HTTP', () => {
    expect(bodies.length).toBeGreaterThanOrEqual(2);
  });

  it('decodes the quotes and gives the same lines at every split', () => {
    for (const body of bodies) {
      const whole = parseEventStream([body]);
      // The lab server sends `retry:` first; that blank line dispatches nothing.
      expect(whole.lines[0]).toMatchObject({ field: 'retry' });
      expect(whole.lines[1]!.dispatch?.dispatched).toBe(false);
      const quotes = whole.lines.filter((l) => l.dispatch?.dispatched && l.dispatch.type === 'quote');
      expect(quotes.length).toBeGreaterThanOrEqual(1);
      for (const { at, lines } of splits(body)) expect(shape(lines), `split at ${at}`).toEqual(shape(whole.lines));
    }
  });
});
