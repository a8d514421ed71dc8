/**
 * Binary data: whether SSE carries only text (sse-text-only) and what base64 costs on the wire
 * against WebSocket and socket.io binary (sse-base64-costs-bandwidth), from the binary scenario.
 */
import { spec, type Transport } from '../../servers/transports.ts';
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, yes } from './words.ts';

const RAW = 'binary/sse/raw-text-4096';
const BASE64 = 'binary/sse/base64-';
const FRAMES = 'binary/ws/binary-';

/** Whether every transfer of these ids arrived with an equal hash (reading up to the first that did not). */
const intact = (e: Evidence, ids: string[]) => ids.length > 0 && ids.every((id) => e.fact<boolean>(id, 'intact') === true);

export const BINARY_RULES = {
  'sse-text-only': rule({
    read(e) {
      const base64 = e.ids(BASE64);
      const frames = e.ids(FRAMES);
      return {
        rawIntact: e.fact<boolean>(RAW, 'intact'),
        base64: { sizes: base64.length, intact: intact(e, base64) },
        frames: { sizes: frames.length, intact: intact(e, frames) },
        rawSent: e.bytes(RAW, 'payloadTotal'),
        rawRecovered: e.bytes(RAW, 'receivedTotal'),
        replacementChars: e.fact<number>(RAW, 'replacementChars'),
      };
    },
    decide: (s) => ({
      verdict: s.rawIntact === true ? 'refuted' : s.base64.intact && s.frames.intact ? 'confirmed' : 'depends',
      figures: {
        rawBytesSent: s.rawSent,
        rawBytesRecovered: s.rawRecovered,
        replacementChars: s.replacementChars ?? null,
        base64Intact: s.base64.intact,
        wsIntact: s.frames.intact,
      },
    }),
    word: (s, d) =>
      `Written as raw bytes into an event stream, ${s.rawSent} random bytes reached the page as text ` +
      `that re-encoded to ${s.rawRecovered} bytes with ${s.replacementChars} U+FFFD replacement characters ` +
      `(hash equal: ${yes(s.rawIntact)}). ` +
      `Encoded as base64, ${s.base64.sizes} sizes arrived with equal hashes: ${yes(s.base64.intact)}; ` +
      `as WebSocket binary frames (ArrayBuffers), ${s.frames.sizes} sizes: ${yes(s.frames.intact)}. ` +
      closing(d.verdict, {
        confirmed: 'SSE carries binary only inside a text encoding; WebSocket carries it as is.',
        refuted: 'Raw bytes survived the event stream, so it was not limited to text here: refuted.',
        depends:
          'Raw bytes did not survive the event stream, but not every encoded transfer arrived intact either, ' +
          'so the comparison is open: depends.',
      }),
  }),

  'sse-base64-costs-bandwidth': rule({
    read(e) {
      const sizes = e
        .ids(BASE64)
        .map((id) => Number(id.split('-').at(-1)))
        .sort((a, b) => a - b);
      // The case holding a transport's encoded transfers (scenarios/binary.ts): base64 on an EventSource, binary elsewhere.
      const encoded = (t: Transport) => (spec(t).browserApi === 'EventSource' ? 'base64' : 'binary');
      const ratio = (t: Transport, size: number) => e.fact<number>(`binary/${t}/${encoded(t)}-${size}`, 'wireToPayloadRatio') ?? Number.NaN;
      return { rows: sizes.map((size) => ({ size, sse: ratio('sse', size), ws: ratio('ws', size), io: ratio('socketio', size) })) };
    },
    decide({ rows }) {
      const costlier = rows.filter((r) => r.sse > r.ws).length;
      return {
        verdict: rows.length > 0 && costlier === rows.length ? 'confirmed' : costlier > 0 ? 'depends' : 'refuted',
        costlier,
        figures: Object.fromEntries(
          rows.flatMap((r) => [
            [`sse ${r.size}`, r.sse],
            [`ws ${r.size}`, r.ws],
            [`socketio ${r.size}`, r.io],
          ]),
        ),
      };
    },
    word({ rows }, d) {
      const largest = rows.at(-1);
      const smallest = rows[0];
      return (
        "Bytes on the wire per byte of random payload, from the server socket's counters: " +
        `${rows.map((r) => `${r.size} B: SSE base64 ${r.sse}, WebSocket ${r.ws}, socket.io ${r.io}`).join('; ')}. ` +
        `SSE cost more than WebSocket at ${d.costlier} of ${rows.length} sizes. ` +
        (largest && smallest
          ? `At the largest size (${largest.size} B) SSE cost ${largest.sse} per byte against base64's own 4/3 = 1.333, ` +
            `WebSocket ${largest.ws}; at the smallest (${smallest.size} B) socket.io's binary emit cost ${smallest.io}, ` +
            `${smallest.io > smallest.sse ? 'more' : 'no more'} than SSE base64 (${smallest.sse}). `
          : '') +
        closing(d.verdict, {
          confirmed: 'Base64 over SSE cost more bandwidth than WebSocket binary at every size: confirmed.',
          depends: 'It cost more at some sizes and not at others: depends on the message size.',
          refuted: 'SSE base64 cost no more than WebSocket binary at any size: refuted.',
        })
      );
    },
  }),
} satisfies RuleSet;
