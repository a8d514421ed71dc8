/**
 * Scenario `proxy-works`: through nginx as people first write it (`stock`: proxy_pass and nothing
 * else), does each transport work at all? And through `tuned` (the documented real-time setup),
 * as the contrast. SSE also runs through `stock` from a server that leaves out `X-Accel-Buffering:
 * no` (the nginx-specific header the lab's SSE server sends by default): the stream as a server
 * that never heard of nginx sends it.
 *
 * Method. Every transport nginx can front (servers/proxy/nginx.ts `proxiable`) gets a lab server
 * (feed paused) behind a wire tap behind nginx with the profile. The browser opens the transport's
 * own client through nginx (socket.io with its defaults: long-polling first, then a WebSocket
 * upgrade probe), waits up to OPEN_MS for it to open and SETTLE_MS more for an upgrade, then the
 * case publishes PUBLISHED quotes by hand, one every SPACING_MS, and waits up to DELIVER_MS for
 * them. Recorded: what the page saw (open, errors, the WebSocket close code, the console
 * errors, socket.io's transport at the end and its upgrade probe's outcome), the quotes received
 * (count, order, loss, each one's delay from its publish stamp), what nginx sent the server (the
 * tap: HTTP version, Upgrade header; and what the server answered: its status line and its
 * X-Accel-Buffering header) and nginx's access log (one line per request with its status, written
 * when the request ends: the client is closed first).
 *
 * Samples: one connection per case. Invalidated by: nothing timing-related on loopback, as long
 * as OPEN_MS covers a connection set-up (the records show the open time).
 */
import { PROXY_PROFILES, type ProxyProfile } from '../../servers/proxy/profiles.ts';
import { spec } from '../capabilities.ts';
import { sleep, until, type CaseContext, type CaseSpec, type ScenarioSpec } from '../harness.ts';
import { countOf, distribution, lossAndDuplicates, round } from '../measure.ts';
import type { Json, Observed, ScenarioTransport } from '../types.ts';
import { accessText, parseAccessLog, statusCounts } from './access-log.ts';
import { behindNginx, PROXIED, quoteEvents } from './through.ts';

const OPEN_MS = 3000;
const SETTLE_MS = 1000;
const PUBLISHED = 10;
const SPACING_MS = 20;
const DELIVER_MS = 2000;
/** The profiles compared: what people write first, and what the docs recommend. */
const PROFILES: ProxyProfile[] = PROXY_PROFILES.filter((p) => p === 'stock' || p === 'tuned');

/** One case's configuration: the profile, and whether an SSE server sends `X-Accel-Buffering: no` (its default). */
interface Config {
  profile: ProxyProfile;
  accelBufferingHeader: boolean;
}

/** Every transport through each profile; SSE through `stock` once more, without the header. */
const configsOf = (transport: ScenarioTransport): Config[] => [
  ...PROFILES.map((profile) => ({ profile, accelBufferingHeader: true })),
  ...(spec(transport).browserApi === 'EventSource' ? [{ profile: 'stock' as const, accelBufferingHeader: false }] : []),
];

async function works(c: CaseContext, transport: ScenarioTransport, { profile, accelBufferingHeader }: Config): Promise<Observed> {
  const lab = await behindNginx(c, transport, { accelBufferingHeader }, { profile });
  const page = await c.page();
  const createdAt = c.elapsed();
  await page.openClient(transport, 'x', lab.url);
  await page.waitForEvents('x', 'open', 1, OPEN_MS);
  await sleep(SETTLE_MS);
  const publishedFrom = c.elapsed();
  for (let i = 0; i < PUBLISHED; i++) {
    lab.server.feed.publish();
    await sleep(SPACING_MS);
  }
  await until(async () => quoteEvents(await page.events('x')).length >= PUBLISHED, DELIVER_MS);
  const isSocketIo = spec(transport).browserApi === 'socket.io';
  const transportName = isSocketIo ? await page.call<string | null>('transportName', 'x') : null;
  const readyState = isSocketIo ? null : await page.readyState('x');
  const events = await page.events('x');
  // nginx writes a request's access-log line when it ends: close the client, then give nginx a moment.
  await page.call('close', 'x');
  await until(async () => (await lab.proxy.accessLog()).length > 0, 1000);
  await sleep(200);
  const access = parseAccessLog(await lab.proxy.accessLog());

  const quotes = quoteEvents(events);
  const seqs = quotes.map((e) => e.detail!.seq as number);
  const { lost, duplicated } = lossAndDuplicates(seqs, PUBLISHED);
  // Arrival minus the quote's publish stamp, both on this host's clock, as ms since the case started.
  const delays = quotes.map((e) => e.t - ((e.detail!.ts as number) - c.t0));
  const open = events.find((e) => e.type === 'open');
  const close = events.find((e) => e.type === 'close');
  const asked = lab.tap.requests.find((r) => r.path.startsWith('/ws') || r.path.includes('transport=websocket')) ?? lab.tap.requests[0];
  const upstream = lab.tap.connections.find((x) => x.id === asked?.connection);
  return {
    events: events.filter((e) => !quotes.includes(e)).slice(0, 50),
    readyState,
    counts: {
      opens: countOf(events, 'open'),
      errors: countOf(events, 'error'),
      closes: countOf(events, 'close'),
      published: PUBLISHED,
      quotes: quotes.length,
      lost,
      duplicated,
      upgradeErrors: countOf(events, 'upgrade-error'),
      accessLogLines: access.length,
      upstreamConnections: lab.tap.connections.length,
    },
    server: { connections: lab.tap.connections.length, requests: lab.tap.requests.slice(0, 20) },
    facts: {
      opened: open !== undefined,
      openMs: open ? round(open.t - createdAt) : null,
      inOrder: seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!),
      firstQuoteDelayMs: delays.length > 0 ? round(delays[0]!) : null,
      firstQuoteAfterPublishStartMs: quotes.length > 0 ? round(quotes[0]!.t - publishedFrom) : null,
      deliveryMs: delays.length > 0 ? (distribution(delays) as unknown as Json) : null,
      closeCode: (close?.detail?.code as number | undefined) ?? null,
      closeReason: (close?.detail?.reason as string | undefined) ?? null,
      consoleErrors: page.console.map((e) => e.detail!.text as string).slice(0, 5),
      ...(isSocketIo
        ? {
            finalTransport: transportName,
            openedOn: (open?.detail?.transport as string | undefined) ?? null,
            upgradeAttempted: events.some((e) => ['upgrading', 'upgrade', 'upgrade-error'].includes(e.type)),
            upgraded: events.some((e) => e.type === 'upgrade'),
          }
        : {}),
      nginxStatuses: statusCounts(access),
      nginxAccessLog: access.slice(0, 20).map(accessText),
      // What nginx sent the server for the request that asks for a WebSocket (ws, socket.io's probe), or for the stream.
      upstreamConnectionHeader: asked?.headers.connection ?? null,
      upstreamUpgradeHeader: asked?.headers.upgrade ?? null,
      serverStatusLine: upstream?.response?.statusLine ?? null,
      // The server's own answer, before nginx: whether it told nginx not to buffer.
      upstreamAccelBuffering: upstream?.response?.headers['x-accel-buffering'] ?? null,
    },
  };
}

function worksCase(transport: ScenarioTransport, config: Config): CaseSpec {
  const { profile, accelBufferingHeader } = config;
  const sse = spec(transport).browserApi === 'EventSource';
  return {
    transport,
    case: accelBufferingHeader ? profile : `${profile}-no-header`,
    client: 'browser',
    title:
      `${spec(transport).label} in the browser through nginx's \`${profile}\` profile` +
      `${accelBufferingHeader ? '' : ', from a server that sends no X-Accel-Buffering'}: does it open and deliver?`,
    claims: ['sse-needs-no-special-server'],
    setup: {
      profile,
      ...(sse ? { accelBufferingHeader } : {}),
      published: PUBLISHED,
      spacingMs: SPACING_MS,
      openWaitMs: OPEN_MS,
      settleMs: SETTLE_MS,
      deliverWaitMs: DELIVER_MS,
      feed: 'paused; quotes published by hand',
      ...(spec(transport).browserApi === 'socket.io'
        ? { socketIoClient: 'socket.io-client defaults (polling, then an upgrade probe)' }
        : {}),
    },
    run: (c) => works(c, transport, config),
  };
}

export const proxyWorks: ScenarioSpec = {
  name: 'proxy-works',
  title: "Through nginx's stock profile (and tuned): does each transport work at all?",
  cases: PROXIED.flatMap((transport) => configsOf(transport).map((config) => worksCase(transport, config))),
};
