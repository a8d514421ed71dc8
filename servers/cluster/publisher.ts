/**
 * The cluster's one producer: the same seeded QuoteFeed as a single server's, whose quotes go to Redis instead of to
 * clients. Each quote is appended to the shared stream (quote-stream.ts), which the SSE and ws nodes follow; for
 * socket.io it is also broadcast through @socket.io/redis-streams-adapter (a socket.io Server with no HTTP listener,
 * which only emits), so socket.io's own stream carries the offsets its connection state recovery resumes from.
 *
 * Restarted, it goes on where the stream ends: it reads the newest seq and walks the seeded feed past it, so the
 * cluster's (seq, symbol, price) sequence is the one a single server with the same seed makes.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server } from 'socket.io';
import type { Transport } from '../transports.ts';
import { type FeedOptions, QuoteFeed } from '../feed.ts';
import { appendQuote, connectRedis, lastSeqInStream, trackDuplicates } from './quote-stream.ts';

/** socket.io's stream: two entries per quote (one per format room), the same window of quotes as the shared stream. */
export const socketIoStreamOptions = (replay: number) => ({ streamName: 'lab:socket.io', maxLen: 2 * replay, blockTimeInMs: 500 });

export interface RunningPublisher {
  feed: QuoteFeed;
  /** The seq it started after (the stream's newest when it started; 0 on a fresh Redis). */
  resumedAfter: number;
  close(): Promise<void>;
}

export async function startPublisher(url: string, transport: Transport, options: FeedOptions): Promise<RunningPublisher> {
  const redis = connectRedis(url, 'lab-publisher');
  const resumedAfter = await lastSeqInStream(redis);
  const feed = new QuoteFeed(options);
  feed.skip(resumedAfter);
  const closeCopies = trackDuplicates(redis);
  const io = transport === 'socketio' ? new Server({ adapter: createAdapter(redis, socketIoStreamOptions(options.replay)) }) : undefined;
  const unsubscribe = feed.subscribe((frame) => {
    // ioredis sends commands in order on one connection: the stream gets the quotes in seq order.
    appendQuote(redis, frame, options.replay).catch(() => {}); // Redis away: the nodes see the gap, as a client would
    io?.to('json').emit('quote', frame.quote);
    io?.to('binary').emit('quote', frame.binary);
  });
  feed.start();
  return {
    feed,
    resumedAfter,
    async close() {
      feed.stop();
      unsubscribe();
      // Never attached to an HTTP server, so io.close() (which closes its engine) does not apply: only its adapter runs.
      await io?.of('/').adapter.close();
      closeCopies();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
