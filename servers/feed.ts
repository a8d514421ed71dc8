/**
 * The one producer: a deterministic stock-quote feed. A seeded PRNG (mulberry32) walks integer
 * cents over SYMBOLS, so two processes with the same seed produce the same (seq, symbol, price)
 * sequence; only `ts`, the send time, differs.
 *
 * Each quote is published once as a Frame whose encodings are computed on first use and then
 * shared by every client of every transport: a broadcast to N clients encodes once, not N times.
 * Quotes are emitted one per macrotask, never several in one tick, so no transport gets to
 * coalesce writes that another sends one by one (Node's http corks a response until the next tick).
 */
import { SYMBOLS, encodeBinary, encodeJson, now, type Quote, type Reset } from './contract.ts';

export interface FeedOptions {
  /** PRNG seed. Default `42`. */
  seed: number;
  /** Quotes per second across all symbols; `0` pauses the clock (publish by hand). Default `10`. */
  rate: number;
  /** Filler bytes added to every quote, for payload-size sweeps. Default `0`. */
  padding: number;
  /** How many recent quotes are kept for resume. Default `1000`. */
  replay: number;
}

export const FEED_DEFAULTS: FeedOptions = { seed: 42, rate: 10, padding: 0, replay: 1000 };

/** One published quote with its encodings, each made once and shared. */
export class Frame {
  #json?: string;
  #binary?: Buffer;
  readonly #memo = new Map<string, string | Buffer>();
  constructor(readonly quote: Quote) {}
  get json(): string {
    return (this.#json ??= encodeJson(this.quote));
  }
  get binary(): Buffer {
    return (this.#binary ??= encodeBinary(this.quote));
  }
  /** A transport's own framing of this quote (an SSE event, an NDJSON line), made once. */
  memo<T extends string | Buffer>(key: string, make: (frame: Frame) => T): T {
    let value = this.#memo.get(key) as T | undefined;
    if (value === undefined) this.#memo.set(key, (value = make(this)));
    return value;
  }
}

/**
 * What a client resuming after `lastSeen` gets: the missed frames, a named gap, an id ahead of the
 * feed named as such (nothing to replay: the stream goes on at `firstAvailable`, the next quote), or
 * a fresh stream for no id at all.
 */
export type Resume =
  | { kind: 'replay'; frames: Frame[] }
  | { kind: 'gap'; lastSeen: number; firstAvailable: number; missed: number; frames: Frame[] }
  | { kind: 'ahead'; lastSeen: number; firstAvailable: number; frames: [] }
  | { kind: 'fresh' };

/** The `reset` a resume starts with (see Reset in contract.ts), or undefined when it needs none. */
export function resetOf(resume: Resume): Reset | undefined {
  if (resume.kind === 'gap') {
    const { lastSeen, firstAvailable, missed } = resume;
    return { lastSeen, firstAvailable, missed, reason: 'expired' };
  }
  if (resume.kind === 'ahead') return { lastSeen: resume.lastSeen, firstAvailable: resume.firstAvailable, missed: 0, reason: 'ahead' };
  return undefined;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class QuoteFeed {
  readonly options: FeedOptions;
  readonly #random: () => number;
  readonly #cents: number[];
  readonly #listeners = new Set<(frame: Frame) => void>();
  /** Ring buffer of the last `replay` frames, oldest first once full. */
  readonly #ring: Frame[] = [];
  #ringStart = 0;
  #seq = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #due = 0;

  constructor(options: Partial<FeedOptions> = {}) {
    this.options = { ...FEED_DEFAULTS, ...options };
    this.#random = mulberry32(this.options.seed);
    // Start prices between $20 and $520, drawn from the same PRNG so they are seeded too.
    this.#cents = SYMBOLS.map(() => 2000 + Math.floor(this.#random() * 50000));
  }

  get latestSeq(): number {
    return this.#seq;
  }

  get oldestSeq(): number {
    return this.#ring.length === 0 ? 0 : this.#ring[this.#ringStart]!.quote.seq;
  }

  subscribe(listener: (frame: Frame) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Makes the next quote of the walk and sends it to every subscriber now. */
  publish(): Frame {
    const { symbol, price } = this.#step();
    const quote: Quote = { seq: this.#seq + 1, symbol, price, ts: now() };
    if (this.options.padding > 0) quote.pad = 'x'.repeat(this.options.padding);
    const frame = new Frame(quote);
    this.append(frame);
    return frame;
  }

  /**
   * Takes `count` steps of the walk without publishing them: a cluster's publisher, restarted, goes on where the
   * shared stream ends with the same (seq, symbol, price) an uninterrupted feed would have made.
   */
  skip(count: number): void {
    for (let i = 0; i < count; i++) this.#step();
    this.#seq += count;
  }

  /**
   * Adds a quote made elsewhere as this feed's next one and sends it to every subscriber (unless `notify` is false: a
   * cluster node filling its replay buffer from the shared stream at start-up). Its seq becomes the feed's latest.
   */
  append(frame: Frame, notify = true): void {
    this.#seq = frame.quote.seq;
    this.#remember(frame);
    if (notify) for (const listener of this.#listeners) listener(frame);
  }

  /** One step of the seeded walk: a symbol and its new price. */
  #step(): { symbol: string; price: number } {
    const index = Math.floor(this.#random() * SYMBOLS.length);
    // A step of -0.5% .. +0.5%, at least one cent, never below $1.
    const cents = this.#cents[index]!;
    const step = Math.round(cents * (this.#random() - 0.5) * 0.01) || (this.#random() < 0.5 ? -1 : 1);
    this.#cents[index] = Math.max(100, cents + step);
    return { symbol: SYMBOLS[index]!, price: this.#cents[index]! / 100 };
  }

  /**
   * Frames after `lastSeen`: all of them, a named gap when some fell out of the buffer, `ahead` for
   * an id this feed has not reached (it cannot place it: never streamed over in silence), or fresh
   * for no id (NaN, negative, fractional).
   */
  resumeAfter(lastSeen: number): Resume {
    if (!Number.isSafeInteger(lastSeen) || lastSeen < 0) return { kind: 'fresh' };
    if (lastSeen > this.#seq) return { kind: 'ahead', lastSeen, firstAvailable: this.#seq + 1, frames: [] };
    const frames = this.#ordered().filter((f) => f.quote.seq > lastSeen);
    const firstAvailable = frames[0]?.quote.seq ?? this.#seq + 1;
    if (firstAvailable > lastSeen + 1) {
      return { kind: 'gap', lastSeen, firstAvailable, missed: firstAvailable - lastSeen - 1, frames };
    }
    return { kind: 'replay', frames };
  }

  /** Starts the clock at `rate` quotes/s; a rate of 0 leaves publishing to the caller. */
  start(): void {
    if (this.#timer || this.options.rate <= 0) return;
    this.#due = performance.now();
    this.#tick();
  }

  stop(): void {
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
    }
    this.#timer = undefined;
  }

  #tick = (): void => {
    this.publish();
    this.#due += 1000 / this.options.rate;
    const wait = this.#due - performance.now();
    // Behind schedule by more than a second (a stalled loop): skip ahead rather than burst.
    if (wait < -1000) this.#due = performance.now();
    this.#timer = wait > 1 ? setTimeout(this.#tick, wait) : setImmediate(this.#tick);
  };

  #remember(frame: Frame): void {
    if (this.options.replay <= 0) return;
    if (this.#ring.length < this.options.replay) {
      this.#ring.push(frame);
    } else {
      this.#ring[this.#ringStart] = frame;
      this.#ringStart = (this.#ringStart + 1) % this.options.replay;
    }
  }

  #ordered(): Frame[] {
    return [...this.#ring.slice(this.#ringStart), ...this.#ring.slice(0, this.#ringStart)];
  }
}

/** A client-supplied sequence number (Last-Event-ID, ?since=); anything but plain digits is NaN, which starts fresh. */
export function parseSeq(raw: unknown): number {
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
}
