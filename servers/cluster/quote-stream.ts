/**
 * The cluster's shared, ordered log of quotes: one Redis Stream, written by the one publisher and read by every node.
 *
 * An entry's id is the quote's seq (`<seq>-0`), so the stream is numbered like the feed: "the quotes after
 * Last-Event-ID 317" is `XRANGE lab:quotes (317-0 +`, on any node. Its one field, `q`, is the quote's JSON exactly as
 * the single-process servers send it. The stream is capped at the replay buffer's size (exact MAXLEN): a node holds
 * the same window in memory, so a resume on any node answers what the stream would.
 */
import { Redis } from 'ioredis';
import type { Quote } from '../contract.ts';
import { Frame, type FeedOptions, QuoteFeed } from '../feed.ts';

export const QUOTE_STREAM = 'lab:quotes';

/** A Redis client for the lab's own Redis: loopback, and it gives up after a few seconds instead of queueing forever. */
export function connectRedis(url: string, name: string): Redis {
  const redis = new Redis(url, { connectionName: name, maxRetriesPerRequest: 3, lazyConnect: false });
  redis.on('error', () => {}); // reconnects by itself; a command that fails rejects where it was sent
  return redis;
}

/**
 * Closes every copy the socket.io adapter made of `redis` (redis.duplicate(): one for its blocking XREAD, one for
 * pub/sub). The adapter ends its reader only once the XREAD in flight returns; should Redis stop first, that copy
 * would reconnect forever and keep the process alive. Returns the function that disconnects them all now.
 */
export function trackDuplicates(redis: Redis): () => void {
  const copies: Redis[] = [];
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (...args: Parameters<Redis['duplicate']>) => {
    const copy = duplicate(...args);
    copies.push(copy);
    return copy;
  };
  return () => {
    for (const copy of copies) copy.disconnect();
  };
}

const entryId = (seq: number) => `${seq}-0`;

/** Appends one quote; the stream keeps the last `maxLen`. */
export function appendQuote(redis: Redis, frame: Frame, maxLen: number): Promise<unknown> {
  return redis.xadd(QUOTE_STREAM, 'MAXLEN', maxLen, entryId(frame.quote.seq), 'q', frame.json);
}

/** The seq of the stream's newest quote; 0 when it is empty or missing (a fresh Redis). */
export async function lastSeqInStream(redis: Redis): Promise<number> {
  const [newest] = await redis.xrevrange(QUOTE_STREAM, '+', '-', 'COUNT', 1);
  return newest ? Number(newest[0].split('-')[0]) : 0;
}

type Entry = [id: string, fields: string[]];
const frameOf = ([, fields]: Entry): Frame => new Frame(JSON.parse(fields[1]!) as Quote);

/**
 * A cluster node's feed: a QuoteFeed whose quotes come from the shared stream instead of the walk. open() copies the
 * stream into the replay buffer; start() follows it with a blocking XREAD on a connection of its own, handing each
 * quote to the node's server as it arrives. Resume, reset and replay are QuoteFeed's, unchanged.
 */
export class StreamFeed extends QuoteFeed {
  readonly #reader: Redis;
  #running = false;
  #reading?: Promise<void>;

  constructor(
    url: string,
    options: Partial<FeedOptions>,
    /** Told when the node missed quotes because the stream trimmed them before it read them (it fell behind). */
    readonly onFellBehind: (from: number, to: number) => void = () => {},
  ) {
    super({ ...options, rate: 0 });
    this.#reader = connectRedis(url, 'lab-node-reader');
  }

  /** Copies the stream (at most the replay window) into the replay buffer, without sending anything. */
  async open(): Promise<void> {
    const entries = (await this.#reader.xrange(QUOTE_STREAM, '-', '+')) as Entry[];
    for (const entry of entries) this.append(frameOf(entry), false);
  }

  override start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#reading = this.#follow();
  }

  override stop(): void {
    this.#running = false;
  }

  /** Stops following and closes the connection (a blocked XREAD ends with it). */
  async close(): Promise<void> {
    this.stop();
    this.#reader.disconnect();
    await this.#reading;
  }

  async #follow(): Promise<void> {
    while (this.#running) {
      let batch: [string, Entry[]][] | null;
      try {
        batch = (await this.#reader.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', QUOTE_STREAM, entryId(this.latestSeq))) as
          | [string, Entry[]][]
          | null;
      } catch {
        if (this.#running) await new Promise((resolve) => setTimeout(resolve, 100)); // Redis away: ioredis reconnects
        continue;
      }
      for (const entry of batch?.[0]?.[1] ?? []) {
        const frame = frameOf(entry);
        if (frame.quote.seq > this.latestSeq + 1 && this.latestSeq > 0) this.onFellBehind(this.latestSeq + 1, frame.quote.seq - 1);
        this.append(frame);
      }
    }
  }
}
