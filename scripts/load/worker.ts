/**
 * A load-generator worker PROCESS (forked by the runner with `--import tsx`; never the server's
 * process). It opens its share of a step's clients with the lean readers (clients/lean/), from
 * several 127.0.0.x source addresses, with bounded concurrency and a timeout per connection, in
 * as many `connect` rounds as the runner sends; counts every quote of the window in a DeliveryTally;
 * marks its own CPU and quotes read just before it reads the window's first quote and once every client has the last,
 * so its cost per delivery is known and a step where the generator ran out of CPU can be flagged client-bound.
 *
 * A batched worker (`pollMs` > 0) reads its sockets in polls while a window is armed: its event loop
 * sleeps up to `pollMs` between them (waking when the window's last quote is due), so each poll
 * finds every socket holding several quotes and reads them in one go. A read costs some 8-12 µs of
 * kernel time whatever it holds (the read, the ACK it sends, the wake-up), as much as the server
 * spends writing a delivery; reading as data arrives would make the generator cost about what the
 * server costs, and a ramp would find the generator's limit instead of the server's. Every quote
 * is still checked (seq, order, loss), but its receive time is up to a poll late, so a batched
 * worker's latencies are not the step's: those come from the probe worker, which reads as data
 * arrives (`pollMs` 0), with a few clients spread through the server's connection order.
 * For round trips it runs what the transport's upstream capability calls for (capabilities.ts):
 * autocannon (a POST over HTTP/1.1), HTTP/2 sessions posting in closed loops, or the lean readers'
 * own pings in closed loops. Over TLS its clients trust the certificate the runner sends.
 *
 * It stops by itself: on `close`, or when the runner's IPC channel goes away (runner killed).
 */
import autocannon from 'autocannon';
import { ConnectError, connectLean, errorCode } from '../../clients/lean/index.ts';
import { now } from '../../servers/contract.ts';
import { POST_PATH, upstreamDriver } from './capabilities.ts';
import { openH2Poster } from './h2-post.ts';
import { createHistogram, encode, NO_SAMPLES, percentiles, recordMs } from './histogram.ts';
import { wakeInMs } from './options.ts';
import type { ConnectedMessage, CpuMark, FromWorker, ToWorker, UpstreamMessage } from './protocol.ts';
import { DeliveryTally } from './tally.ts';

/** An open connection of any kind (a lean reader, an HTTP/2 session), closed on `close` or when the runner goes. */
interface Closable {
  close(): void;
}
/** A connection that times client-to-server round trips. */
interface RoundTripper extends Closable {
  ping(): Promise<number>;
}

const readers = new Set<Closable>();
const tally = new DeliveryTally();
let reportedComplete = false;
let stopping = false;
/** Quotes read, any seq: a mark holds it beside the CPU, so CPU per delivery pairs figures of the same instants. */
let quotesRead = 0;
/** The connect rounds so far, summed: `connected` reports them all. */
const connects = { connected: 0, failed: 0, errors: {} as Record<string, number>, histogram: createHistogram() };
/** 0: read as data arrives; otherwise the longest sleep between polls while a window is armed (batched). */
let pollMs = 0;
let polling = false;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** The armed window's first and last seq and the feed's rate, and the newest quote read (its seq and send time, `now()`). */
const due = { from: 0, to: 0, rate: 0, seq: 0, ts: 0 };
/** The window's marks (ReportMessage.marks), taken as its first quote is read and once every client has its last. */
let marks: { start: CpuMark | null; end: CpuMark | null } = { start: null, end: null };

/**
 * One poll: block the event loop, then let it read everything that arrived meanwhile (libuv's poll phase runs between
 * two `setImmediate` callbacks). Atomics.wait sleeps without CPU and without touching the sockets.
 */
function poll(): void {
  if (!polling || stopping) return;
  // Up to pollMs, but awake just after the window's last quote is due: the drain does not wait out a 16-s poll.
  Atomics.wait(sleeper, 0, 0, wakeInMs(due, pollMs, now()));
  setImmediate(poll);
}

function startPolling(): void {
  if (pollMs === 0 || polling) return;
  polling = true;
  setImmediate(poll);
}

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

function mark(): CpuMark {
  return { cpuMicros: cpuMicros(), wallMs: performance.now(), quotes: quotesRead };
}

/** Runs `task(i)` for i = 0..count-1 with at most `concurrency` running at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count && !stopping) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** One round of connections, added to those already open (the runner interleaves the probe's with the batched workers'). */
async function connectAll(message: Extract<ToWorker, { type: 'connect' }>): Promise<void> {
  pollMs = message.pollMs;
  const progress = setInterval(() => send({ type: 'progress', connected: connects.connected, failed: connects.failed }), 250);
  await pool(message.count, message.concurrency, async (i) => {
    const index = tally.add();
    try {
      const reader = await connectLean(message.transport, {
        url: message.url,
        ca: message.ca ?? undefined,
        localAddress: message.addresses[(message.offset + i) % message.addresses.length],
        connectTimeoutMs: message.timeoutMs,
        onQuote: (seq, ts, receivedAt) => {
          if (seq > due.seq) {
            if (marks.start === null && seq >= due.from && due.from > 0) marks.start = mark();
            due.seq = seq;
            due.ts = ts;
          }
          quotesRead++;
          tally.record(index, seq, ts, receivedAt);
          if (!reportedComplete && tally.allDone) {
            reportedComplete = true;
            marks.end = mark();
            send({ type: 'complete' });
          }
        },
        onClose: () => {
          readers.delete(reader);
          tally.closed(index);
        },
      });
      readers.add(reader);
      recordMs(connects.histogram, reader.connectMs);
      connects.connected++;
    } catch (error) {
      tally.closed(index);
      connects.failed++;
      const code = errorCode(error);
      connects.errors[code] = (connects.errors[code] ?? 0) + 1;
    }
  });
  clearInterval(progress);
  const { connected, failed, errors, histogram } = connects;
  const done: ConnectedMessage = { type: 'connected', connected, failed, errors: { ...errors }, histogram: encode(histogram) };
  send(done);
}

/** Each connection runs ping -> answer -> ping ... until `seconds` pass. */
async function pingLoop(open: readonly RoundTripper[], seconds: number, onRtt: (ms: number) => void, onError: () => void): Promise<void> {
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    open.map(async (reader) => {
      while (performance.now() < until && !stopping) {
        try {
          onRtt(await reader.ping());
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

  const driver = upstreamDriver(message.transport);
  if (driver === 'autocannon') {
    // Over https autocannon does not check the certificate (it sets rejectUnauthorized: false itself).
    const options = {
      url: new URL(POST_PATH, message.url).toString(),
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

  const ca = message.ca ?? undefined;
  const openOne = async (): Promise<RoundTripper> => {
    if (driver === 'h2-post') return openH2Poster(message.url, { ca, timeoutMs: message.timeoutMs });
    const reader = await connectLean(message.transport, { url: message.url, ca, connectTimeoutMs: message.timeoutMs, onQuote: () => {} });
    if (reader.ping) return { ping: () => reader.ping!(), close: () => reader.close() };
    reader.close();
    throw new ConnectError('LAB_NO_PING', `the ${message.transport} lean reader has no ping(), yet its upstream is on its connection`);
  };
  const connectErrors: Record<string, number> = {};
  const open: RoundTripper[] = [];
  await pool(message.connections, 100, async () => {
    try {
      const reader = await openOne();
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
      Object.assign(due, { from: message.from, to: message.to, rate: message.rate });
      marks = { start: null, end: null };
      reportedComplete = false;
      startPolling();
      return send({ type: 'armed' });
    case 'collect': {
      // Reading as data arrives again: the report, the memory reading and the next window's arming need no poll's wait.
      polling = false;
      // A window none of whose quotes arrived starts and ends here (no deliveries); one some client never completed ends here.
      const end = marks.end ?? mark();
      const start = marks.start ?? end;
      const timed = pollMs === 0;
      return send({ type: 'report', ...tally.snapshot(), histogram: encode(tally.latency), timed, marks: { start, end } });
    }
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
