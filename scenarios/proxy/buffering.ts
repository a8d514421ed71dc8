/**
 * Scenario `proxy-buffering`: does nginx hold SSE events back? Through `stock` (proxy_buffering
 * on, nginx's default) with and without the server's `X-Accel-Buffering: no`, and through `gzip`
 * (buffering off, gzip on for text/event-stream) with and without it.
 *
 * Method. An SSE lab server behind nginx; the browser (each engine) opens an EventSource through it and waits up to
 * OPEN_MS for `open` (with buffering, nginx may hold even the response head). Then the feed runs at
 * RATE quotes/s (small quotes, about 100 bytes per event) for WATCH_MS: long enough that 4 KB or
 * 8 KB of events (nginx's buffer sizes) accumulate more than once. Each quote carries its publish
 * stamp (`ts`); the page stamps its arrival; both are this host's clock. Recorded per event (the
 * first MAX_ARRIVALS): seq, publish time and arrival time (ms since the case started), and from
 * them: the first event's delay, delivery delay p50/max, inter-arrival times, and bursts (events
 * arriving within BURST_GAP_MS of the one before count as one burst), plus how many quotes
 * arrived at all within the watch (and GRACE_MS after the last was published).
 *
 * Samples: one stream per case, RATE x WATCH_MS / 1000 quotes. Invalidated by: a loaded machine
 * delaying the page's event loop by more than BURST_GAP_MS between events it received apart (it
 * would merge them into one burst); the tuned-through-loopback delays in proxy-works (a few ms)
 * are the yardstick.
 */
import { QuoteFeed } from '../../servers/feed.ts';
import type { ProxyProfile } from '../../servers/proxy/profiles.ts';
import { spec } from '../capabilities.ts';
import { sleep, type CaseContext, type CaseSpec, type ScenarioSpec } from '../harness.ts';
import { countOf, distribution, round } from '../measure.ts';
import type { Json, Observed, ScenarioTransport } from '../types.ts';
import { accessText, parseAccessLog } from './access-log.ts';
import { behindNginx, PROXIED, quoteEvents } from './through.ts';

const RATE = 20;
const WATCH_MS = 6000;
const OPEN_MS = 2000;
const BURST_GAP_MS = 5;
/** After the feed stops, the last quote published gets this long to cross loopback before the page is read. */
const GRACE_MS = 250;
const MAX_ARRIVALS = 150;

/** One configuration: the nginx profile and whether the server sends `X-Accel-Buffering: no`. */
interface Config {
  profile: ProxyProfile;
  header: boolean;
}

const CONFIGS: Config[] = [
  { profile: 'stock', header: false },
  { profile: 'stock', header: true },
  { profile: 'gzip', header: true },
  { profile: 'gzip', header: false },
];

const configCase = ({ profile, header }: Config) => `${profile}-${header ? 'header' : 'no-header'}`;

/** Sizes of runs of arrivals each within `gapMs` of the one before, in order. */
function bursts(arrivals: readonly number[], gapMs: number): number[] {
  const sizes: number[] = [];
  arrivals.forEach((t, i) => {
    if (i > 0 && t - arrivals[i - 1]! <= gapMs) sizes[sizes.length - 1]!++;
    else sizes.push(1);
  });
  return sizes;
}

async function buffering(c: CaseContext, transport: ScenarioTransport, config: Config): Promise<Observed> {
  // The case starts the clock itself, once the stream is open (or given up on), so every quote has a reader.
  const feed = new QuoteFeed({ rate: RATE });
  c.defer(() => feed.stop());
  const lab = await behindNginx(c, transport, { feed, accelBufferingHeader: config.header }, { profile: config.profile });
  const page = await c.page();
  const createdAt = c.elapsed();
  await page.openClient(transport, 'x', lab.url);
  await page.waitForEvents('x', 'open', 1, OPEN_MS);
  const startedAt = c.elapsed();
  feed.start();
  await sleep(WATCH_MS);
  feed.stop();
  const published = feed.latestSeq;
  await sleep(GRACE_MS);
  const events = await page.events('x');
  await page.call('close', 'x');
  await sleep(200);
  const access = parseAccessLog(await lab.proxy.accessLog());

  const quotes = quoteEvents(events);
  const arrivals = quotes.map((e) => ({ seq: e.detail!.seq as number, published: (e.detail!.ts as number) - c.t0, arrived: e.t }));
  const delays = arrivals.map((a) => a.arrived - a.published);
  const gaps = arrivals.slice(1).map((a, i) => a.arrived - arrivals[i]!.arrived);
  const sizes = bursts(
    arrivals.map((a) => a.arrived),
    BURST_GAP_MS,
  );
  const open = events.find((e) => e.type === 'open');
  const stats = (values: number[]) => (values.length > 0 ? (distribution(values) as unknown as Json) : null);
  return {
    events: events.filter((e) => !quotes.includes(e)).slice(0, 50),
    readyState: await page.readyState('x').catch(() => null),
    counts: {
      published,
      quotes: quotes.length,
      notArrivedInWatch: published - new Set(arrivals.map((a) => a.seq)).size,
      opens: countOf(events, 'open'),
      errors: countOf(events, 'error'),
      bursts: sizes.length,
      largestBurst: sizes.length > 0 ? Math.max(...sizes) : 0,
    },
    facts: {
      opened: open !== undefined,
      openMs: open ? round(open.t - createdAt) : null,
      feedStartedMs: startedAt,
      firstEventDelayMs: delays.length > 0 ? round(delays[0]!) : null,
      deliveryMs: stats(delays),
      interArrivalMs: stats(gaps),
      burstSizes: sizes.slice(0, 60),
      // [seq, published, arrived], ms since the case started: the chart draws arrival against publish time.
      arrivals: arrivals.slice(0, MAX_ARRIVALS).map((a) => [a.seq, round(a.published), round(a.arrived)]),
      nginxAccessLog: access.slice(0, 5).map(accessText),
      responseHeadAccelBuffering: lab.tap.connections[0]?.response?.headers['x-accel-buffering'] ?? null,
    },
  };
}

function bufferingCase(transport: ScenarioTransport, config: Config): CaseSpec {
  const header = config.header ? 'with `X-Accel-Buffering: no`' : 'without `X-Accel-Buffering`';
  return {
    transport,
    case: configCase(config),
    client: 'browser',
    title: `${spec(transport).label} at ${RATE} quotes/s through nginx's \`${config.profile}\` profile, ${header}`,
    claims: ['proxies-buffer-sse'],
    setup: {
      profile: config.profile,
      accelBufferingHeader: config.header,
      rate: RATE,
      watchMs: WATCH_MS,
      graceMs: GRACE_MS,
      openWaitMs: OPEN_MS,
      burstGapMs: BURST_GAP_MS,
      maxArrivals: MAX_ARRIVALS,
    },
    run: (c) => buffering(c, transport, config),
  };
}

export const proxyBuffering: ScenarioSpec = {
  name: 'proxy-buffering',
  title: 'SSE through nginx: buffered or passed on event by event, with and without X-Accel-Buffering, and with gzip',
  cases: PROXIED.filter((t) => spec(t).browserApi === 'EventSource').flatMap((t) => CONFIGS.map((config) => bufferingCase(t, config))),
};
