/** The feed and the wire contract: determinism, replay and gaps, both encodings. */
import { describe, expect, it } from 'vitest';
import { BINARY_HEADER_BYTES, decodeBinary, encodeBinary, encodeJson, SYMBOLS } from '../servers/contract.ts';
import { parseSeq, QuoteFeed, resetOf } from '../servers/feed.ts';
import { key, publish } from './helpers.ts';

describe('quote feed', () => {
  it('makes the same (seq, symbol, price) sequence for the same seed, and another for another seed', () => {
    const a = new QuoteFeed({ seed: 42, rate: 0 });
    const b = new QuoteFeed({ seed: 42, rate: 0 });
    const c = new QuoteFeed({ seed: 43, rate: 0 });
    const run = (feed: QuoteFeed) => Array.from({ length: 200 }, () => key(feed.publish().quote));
    const first = run(a);
    expect(run(b)).toEqual(first);
    expect(run(c)).not.toEqual(first);
    expect(first.map(([seq]) => seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(first.map(([, symbol]) => symbol))).toEqual(new Set(SYMBOLS));
    for (const [, , price] of first) expect(Number(price.toFixed(2))).toBe(price); // whole cents
  });

  it('replays what a client missed, names a gap when the buffer lost some, and ignores ids that are no seq', () => {
    const feed = new QuoteFeed({ rate: 0, replay: 10 });
    publish(feed, 25);
    expect(feed.oldestSeq).toBe(16);
    const replay = feed.resumeAfter(20);
    expect(replay.kind).toBe('replay');
    expect(replay.kind === 'replay' && replay.frames.map((f) => f.quote.seq)).toEqual([21, 22, 23, 24, 25]);
    const gap = feed.resumeAfter(3);
    expect(gap).toMatchObject({ kind: 'gap', lastSeen: 3, firstAvailable: 16, missed: 12 });
    expect(gap.kind === 'gap' && gap.frames.length).toBe(10);
    expect(feed.resumeAfter(25)).toEqual({ kind: 'replay', frames: [] });
    for (const none of [-1, Number.NaN, 1.5, 2 ** 53]) expect(feed.resumeAfter(none)).toEqual({ kind: 'fresh' });
    for (const raw of ['abc', '', '1e3', '-5', ' 7', undefined, '9'.repeat(16)]) expect(parseSeq(raw)).toBeNaN();
    expect(parseSeq('17')).toBe(17);
  });

  it('names an id ahead of the feed (a previous process, before a restart) instead of starting fresh in silence', () => {
    const feed = new QuoteFeed({ rate: 0, replay: 10 });
    expect(feed.resumeAfter(301)).toEqual({ kind: 'ahead', lastSeen: 301, firstAvailable: 1, frames: [] });
    publish(feed, 44);
    for (const ahead of [45, 301, 1e12]) {
      const resume = feed.resumeAfter(ahead);
      expect(resume).toEqual({ kind: 'ahead', lastSeen: ahead, firstAvailable: 45, frames: [] });
      expect(resetOf(resume)).toEqual({ lastSeen: ahead, firstAvailable: 45, missed: 0, reason: 'ahead' });
    }
    // The newest id and older ones are placeable as before: a replay, or a gap named as expired.
    expect(feed.resumeAfter(44)).toEqual({ kind: 'replay', frames: [] });
    expect(resetOf(feed.resumeAfter(44))).toBeUndefined();
    expect(resetOf(feed.resumeAfter(30))).toEqual({ lastSeen: 30, firstAvailable: 35, missed: 4, reason: 'expired' });
    expect(resetOf(feed.resumeAfter(Number.NaN))).toBeUndefined();
    // The next quote is the one the reset named, and the same seed makes the same one as the previous process did.
    const before = new QuoteFeed({ rate: 0 });
    publish(before, 44);
    expect(key(feed.publish().quote)).toEqual(key(before.publish().quote));
  });

  it('encodes each quote once, however many readers ask', () => {
    const feed = new QuoteFeed({ rate: 0 });
    const frame = feed.publish();
    let made = 0;
    const make = () => {
      made++;
      return 'event';
    };
    for (let i = 0; i < 100; i++) frame.memo('sse-json', make);
    expect(made).toBe(1);
    expect(frame.json).toBe(frame.json);
    expect(frame.binary).toBe(frame.binary);
  });

  it('pads both encodings by the same number of bytes', () => {
    const feed = new QuoteFeed({ rate: 0, padding: 1000 });
    const { quote } = feed.publish();
    expect(quote.pad).toHaveLength(1000);
    const binary = encodeBinary(quote);
    expect(binary.length).toBe(BINARY_HEADER_BYTES + 1000);
    expect(decodeBinary(binary)).toEqual(quote);
    expect(encodeJson(quote).length).toBe(encodeJson({ ...quote, pad: undefined }).length + '"pad":"",'.length + 1000);
    expect(() => decodeBinary(binary.subarray(0, 20))).toThrow(/32 bytes/);
    expect(() => decodeBinary(binary.subarray(0, 40))).toThrow(/pad bytes/);
  });

  it('runs on its own clock at the configured rate and stops', async () => {
    const feed = new QuoteFeed({ rate: 200 });
    const seen: number[] = [];
    feed.subscribe((f) => seen.push(f.quote.seq));
    feed.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    feed.stop();
    const stoppedAt = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.length).toBe(stoppedAt);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(seen).toEqual(Array.from({ length: stoppedAt }, (_, i) => i + 1));
  });
});
