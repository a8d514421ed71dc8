/**
 * HDR histograms (hdr-histogram-js) of microseconds: record, merge, encode/decode, summarize.
 * Workers record, the runner merges their encoded histograms into one per step, and the step
 * keeps the encoded form so runs on different days can be merged the same way. Values are
 * whole microseconds; 3 significant digits keep percentiles within 0.1%.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { Percentiles } from './types.ts';

export type { Histogram };

const BUCKETS = 32;

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: BUCKETS,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Records a duration given in ms; a negative one (clock skew) is recorded as 0 and reported by returning false. */
export function recordMs(histogram: Histogram, ms: number): boolean {
  histogram.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
  return ms >= 0;
}

export function encode(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decode(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, BUCKETS, false);
}

/** One histogram holding every sample of the encoded ones. */
export function merge(encoded: readonly string[]): Histogram {
  const total = createHistogram();
  for (const one of encoded) total.add(decode(one));
  return total;
}

const ms = (micros: number) => Math.round(micros) / 1000;

export const NO_SAMPLES: Percentiles = { count: 0, mean: null, p50: null, p90: null, p99: null, max: null };

export function percentiles(histogram: Histogram): Percentiles {
  const count = histogram.totalCount;
  if (count === 0) return { ...NO_SAMPLES };
  return {
    count,
    mean: ms(histogram.mean),
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    max: ms(histogram.maxValue),
  };
}
