/**
 * A load-generator worker PROCESS (forked by the runner with `--import tsx`; never the server's
 * process). It opens its share of a step's clients with the lean readers (clients/lean/), from
 * several 127.0.0.x source addresses, with bounded concurrency and a timeout per connection;
 * counts every quote of the window in a DeliveryTally; reports its own CPU at the marks the
 * runner sends, so a step where the generator ran out of CPU can be flagged client-bound.
 * For round trips it runs autocannon (SSE: POST /sse/ping) or a closed loop of pings.
 *
 * It stops by itself: on `close`, or when the runner's IPC channel goes away (runner killed).
 */
import autocannon from 'autocannon';
import { connectLean, errorCode, type LeanReader } from '../../clients/lean/index.ts';
import { createHistogram, encode, NO_SAMPLES, percentiles, recordMs } from './histogram.ts';
import type { ConnectedMessage, FromWorker, ToWorker, UpstreamMessage } from './protocol.ts';
import { DeliveryTally } from './tally.ts';

const readers = new Set<LeanReader>();
let tally = new DeliveryTally();
let reportedComplete = false;
let stopping = false;

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Runs `task(i)` for i = 0..count-1 with at most `concurrency` running at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count && !stopping) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

async function connectAll(message: Extract<ToWorker, { type: 'connect' }>): Promise<void> {
  tally = new DeliveryTally();
  reportedComplete = false;
  const histogram = createHistogram();
  const errors: Record<string, number> = {};
  let connected = 0;
  let failed = 0;
  const progress = setInterval(() => send({ type: 'progress', connected, failed }), 250);
  await pool(message.count, message.concurrency, async (i) => {
    const index = tally.add();
    try {
      const reader = await connectLean(message.transport, {
        url: message.url,
        localAddress: message.addresses[(message.offset + i) % message.addresses.length],
        connectTimeoutMs: message.timeoutMs,
        onQuote: (seq, ts, receivedAt) => {
          tally.record(index, seq, ts, receivedAt);
          if (!reportedComplete && tally.allDone) {
            reportedComplete = true;
            send({ type: 'complete' });
          }
        },
        onClose: () => {
          readers.delete(reader);
          tally.closed(index);
        },
      });
      readers.add(reader);
      recordMs(histogram, reader.connectMs);
      connected++;
    } catch (error) {
      tally.closed(index);
      failed++;
      const code = errorCode(error);
      errors[code] = (errors[code] ?? 0) + 1;
    }
  });
  clearInterval(progress);
  const done: ConnectedMessage = { type: 'connected', connected, failed, errors, histogram: encode(histogram) };
  send(done);
}

/** Each connection runs ping -> answer -> ping ... until `seconds` pass; returns the round-trip count. */
async function pingLoop(open: readonly LeanReader[], seconds: number, onRtt: (ms: number) => void, onError: () => void): Promise<void> {
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    open.map(async (reader) => {
      while (performance.now() < until && !stopping) {
        try {
          onRtt(await reader.ping!());
        } catch {
          onError();
        }
      }
    }),
  );
}

/**
 * Round trips at fixed concurrency: a warm-up of the same kind first (so JIT warm-up is not
 * measured), then `armed` (the runner reads the server's CPU), then the measured run.
 */
async function upstream(message: Extract<ToWorker, { type: 'upstream' }>): Promise<UpstreamMessage> {
  let cpuStart = 0;
  let wallStart = 0;
  const arm = () => {
    send({ type: 'armed' });
    cpuStart = cpuMicros();
    wallStart = performance.now();
  };
  const finish = (partial: Omit<UpstreamMessage, 'type' | 'cores'>): UpstreamMessage => ({
    type: 'upstream',
    ...partial,
    cores: (cpuMicros() - cpuStart) / ((performance.now() - wallStart) * 1000),
  });

  if (message.transport === 'sse') {
    const options = {
      url: new URL('/sse/ping', message.url).toString(),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ t: 0 }),
      connections: message.connections,
    };
    if (message.warmupS > 0) await autocannon({ ...options, duration: message.warmupS });
    arm();
    const result = await autocannon({ ...options, duration: message.durationS });
    const count = result.latency.totalCount;
    return finish({
      requests: result.requests.total,
      // autocannon's `errors` already counts its timeouts.
      errors: result.errors + result.non2xx,
      seconds: result.duration,
      latencyMs:
        count === 0
          ? { ...NO_SAMPLES }
          : {
              count,
              mean: result.latency.mean,
              p50: result.latency.p50,
              p90: result.latency.p90,
              p99: result.latency.p99,
              max: result.latency.max,
            },
      histogram: null,
      connectErrors: {},
    });
  }

  const connectErrors: Record<string, number> = {};
  const open: LeanReader[] = [];
  await pool(message.connections, 100, async () => {
    try {
      const reader = await connectLean(message.transport, { url: message.url, connectTimeoutMs: message.timeoutMs, onQuote: () => {} });
      readers.add(reader);
      open.push(reader);
    } catch (error) {
      const code = errorCode(error);
      connectErrors[code] = (connectErrors[code] ?? 0) + 1;
    }
  });
  await pingLoop(
    open,
    message.warmupS,
    () => {},
    () => {},
  );
  arm();
  const histogram = createHistogram();
  let requests = 0;
  let errors = 0;
  await pingLoop(
    open,
    message.durationS,
    (ms) => {
      recordMs(histogram, ms);
      requests++;
    },
    () => errors++,
  );
  const seconds = (performance.now() - wallStart) / 1000;
  for (const reader of open) {
    reader.close();
    readers.delete(reader);
  }
  return finish({ requests, errors, seconds, latencyMs: percentiles(histogram), histogram: encode(histogram), connectErrors });
}

function closeAll(): void {
  stopping = true;
  for (const reader of readers) reader.close();
  readers.clear();
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'connect':
      return connectAll(message);
    case 'window':
      // A re-armed window starts over: its `complete` has not been sent yet.
      tally.window(message.from, message.to);
      reportedComplete = false;
      return send({ type: 'armed' });
    case 'mark':
      return send({ type: 'mark', cpuMicros: cpuMicros(), wallMs: performance.now() });
    case 'collect':
      return send({ type: 'report', ...tally.snapshot(), histogram: encode(tally.latency) });
    case 'upstream':
      return send(await upstream(message));
    case 'close':
      closeAll();
      process.disconnect();
      return;
  }
}

process.on('message', (message: ToWorker) => {
  handle(message).catch((error: Error) => send({ type: 'error', message: error.message }));
});
// The runner went away (killed, or Ctrl-C): close every connection so this process can end.
process.on('disconnect', closeAll);
process.on('SIGINT', closeAll);
