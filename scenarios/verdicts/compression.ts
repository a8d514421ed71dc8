/**
 * Compression at the proxy (gzip-undoes-base64-overhead): bytes the browser was sent per payload
 * byte for base64 events through nginx's `tuned` profile (no compression) and its `gzip` profile,
 * for random bytes and for a compressible payload (the proxy-compression scenario). The overhead
 * is what a payload byte costs above 1.0; "undone" is the share of it gzip removed:
 * (tuned - gzip) / (tuned - 1). Most of it (at least half) on random bytes confirms the claim; on
 * the compressible payload only, it depends on the payload; on neither, refuted.
 */
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, ms } from './words.ts';

const ID = (payload: string, profile: string) => `proxy-compression/sse/${payload}-${profile}`;
/** "Most": gzip removed at least this share of base64's overhead. */
const MOST = 0.5;

function pair(e: Evidence, payload: string) {
  const ratio = (profile: string) => e.fact<number>(ID(payload, profile), 'wireToPayloadRatio') ?? Number.NaN;
  return { tuned: ratio('tuned'), gzip: ratio('gzip') };
}

const undone = (p: { tuned: number; gzip: number }) => Math.round(((p.tuned - p.gzip) / (p.tuned - 1)) * 1000) / 1000;
const percent = (share: number) => `${Math.round(share * 100)}%`;
/** A share above 1 means gzip went below the payload's own size: all the overhead gone, and part of the payload. */
const undoneWords = (share: number) =>
  share > 1 ? 'all of the overhead undone, and the payload itself compressed' : `${percent(share)} of the overhead undone`;

export const COMPRESSION_RULES = {
  'gzip-undoes-base64-overhead': rule({
    read(e) {
      return {
        size: e.setup<number>(ID('base64-random', 'gzip'), 'binaryBytes'),
        encoding: e.fact<string | null>(ID('base64-random', 'gzip'), 'contentEncoding'),
        random: pair(e, 'base64-random'),
        repetitive: pair(e, 'base64-repetitive'),
        json: { tuned: e.bytes(ID('json', 'tuned'), 'browserWirePerEvent'), gzip: e.bytes(ID('json', 'gzip'), 'browserWirePerEvent') },
        delay: {
          tuned: e.fact<number>(ID('base64-random', 'tuned'), 'delayP50Ms'),
          gzip: e.fact<number>(ID('base64-random', 'gzip'), 'delayP50Ms'),
        },
      };
    },
    decide(s) {
      const random = undone(s.random);
      const repetitive = undone(s.repetitive);
      return {
        verdict: random >= MOST ? 'confirmed' : repetitive >= MOST ? 'depends' : 'refuted',
        random,
        repetitive,
        figures: {
          randomTuned: s.random.tuned,
          randomGzip: s.random.gzip,
          randomOverheadUndone: random,
          repetitiveTuned: s.repetitive.tuned,
          repetitiveGzip: s.repetitive.gzip,
          repetitiveOverheadUndone: repetitive,
          jsonBytesPerEventTuned: s.json.tuned,
          jsonBytesPerEventGzip: s.json.gzip,
        },
      };
    },
    word: (s, d) =>
      `Through nginx without compression (\`tuned\`), base64 events of ${s.size} random bytes cost ${s.random.tuned} bytes on the ` +
      "wire per payload byte (base64's 4/3 = 1.333 plus the SSE field and chunk framing); " +
      `through \`gzip\` (Content-Encoding: ${s.encoding ?? 'none'}) they cost ${s.random.gzip}: ` +
      `${undoneWords(d.random)} (the overhead: what a payload byte costs above one byte). ` +
      `A compressible payload of the same size (a binary quote padded with 'x') went from ${s.repetitive.tuned} to ` +
      `${s.repetitive.gzip} per payload byte: ${undoneWords(d.repetitive)}. ` +
      `JSON quotes took ${s.json.tuned} bytes per event without gzip and ${s.json.gzip} with it. ` +
      `Median delay from publish to the page for the random payload: ${ms(s.delay.tuned)} without gzip, ${ms(s.delay.gzip)} with. ` +
      closing(d.verdict, {
        confirmed:
          "gzip removed most of base64's overhead even on random bytes, where only the 64-letter alphabet is left to compress: confirmed.",
        depends: 'gzip removed most of the overhead on a compressible payload but not on random bytes: depends on the payload.',
        refuted: "gzip left most of base64's overhead in place, on random and compressible payloads alike: refuted.",
      }),
  }),
} satisfies RuleSet;
