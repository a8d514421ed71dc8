/**
 * Scenario `proxy-compression`: bytes on the wire per event through nginx's `gzip` profile against
 * `tuned`, for JSON quotes and for binary payloads in base64, and whether compressing delays them.
 *
 * Method. The browser (each engine) -> front tap -> nginx -> back tap -> server. Both taps are byte-counting TCP
 * relays (scenarios/fixtures/tap.ts): the front one counts what the browser is sent (nginx's
 * output, gzip and chunk framing included), the back one what the server wrote (its own chunk
 * framing, uncompressed). The page opens one EventSource (or a raw WebSocket for `ws`) through
 * the front tap; once it is open and SETTLE_MS has passed, EVENTS events are published SPACING_MS
 * apart (one per write, as a live feed does: nginx flushes gzip per upstream read, so each event
 * pays its own flush) and the page waits for all of them. Bytes per event = each tap's bytes
 * received from its server side after the baseline, divided by EVENTS; payload = the JSON text of
 * each quote, or the binary bytes behind each base64 event. Delay = the page's arrival time minus
 * the publish time of the same event (paired by seq: the quote's own, or the SSE id; one host
 * clock); none arrived, no delay (null).
 *
 * Payloads: `json` is the lab feed's quotes (~65 B); `base64-repetitive` the lab's `?format=base64`
 * quote with padding: a 32-byte header plus 'x' bytes to BINARY_SIZE, as compressible as data
 * gets; `base64-random` BINARY_SIZE fresh random bytes per event (compression-source.ts), the
 * honest case for a binary payload: no repeats to find, only base64's 6 bits per character.
 * A raw WebSocket gets the same quotes through both profiles: nginx's gzip filter never touches an
 * upgraded connection, and the lab's ws server offers no permessage-deflate.
 *
 * Samples: EVENTS events on one connection per case. Invalidated by: nothing timing-related for the
 * bytes; the delays are single-run figures on loopback, compare their orders of magnitude.
 */
import { BINARY_HEADER_BYTES } from '../../servers/contract.ts';
import type { ProxyTarget } from '../../servers/proxy/nginx.ts';
import type { ProxyProfile } from '../../servers/proxy/profiles.ts';
import { endpointPath } from '../capabilities.ts';
import type { Tap, TapConnection } from '../fixtures/tap.ts';
import { portOf, sleep, type CaseContext, type CaseSpec, type ScenarioSpec } from '../harness.ts';
import { countOf, distribution, round } from '../measure.ts';
import type { Observed, ScenarioTransport, TimedEvent } from '../types.ts';
import { startRandomSource } from './compression-source.ts';
import { tapInFront } from './through.ts';

const EVENTS = 40;
const SPACING_MS = 25;
const SETTLE_MS = 200;
const WAIT_MS = 5000;
/** Binary payload per event: 4 KiB, one of the binary scenario's sizes. */
const BINARY_SIZE = 4096;
const PROFILES = ['tuned', 'gzip'] as const satisfies readonly ProxyProfile[];

type Payload = 'json' | 'base64-random' | 'base64-repetitive';

interface Source {
  target: ProxyTarget;
  /** Path and query the page asks for. */
  path: string;
  /** Publishes one event; returns its seq (the SSE id, the quote's seq) and payload bytes. */
  publish(): { seq: number; bytes: number };
}

async function sourceOf(c: CaseContext, transport: ScenarioTransport, payload: Payload): Promise<Source> {
  if (payload === 'base64-random') {
    const random = await startRandomSource(BINARY_SIZE);
    c.defer(() => random.close());
    return { target: random.target, path: '/sse', publish: () => random.publish() };
  }
  const binary = payload === 'base64-repetitive';
  const server = await c.lab(transport, binary ? { padding: BINARY_SIZE - BINARY_HEADER_BYTES } : {});
  return {
    target: server,
    path: `${endpointPath(server.url)}${binary ? '?format=base64' : ''}`,
    publish: () => {
      const frame = server.feed.publish();
      return { seq: frame.quote.seq, bytes: binary ? frame.binary.length : Buffer.byteLength(frame.json) };
    },
  };
}

const received = (tap: Tap) => tap.connections.reduce((sum, x) => sum + x.bytesDown, 0);
/** The event's seq: a JSON quote's own, else its SSE id (base64 payloads are not JSON; both sources number events from 1). */
const seqOf = (e: TimedEvent): number => (e.detail?.seq as number | null) ?? Number(e.detail?.lastEventId);
/** The connection that carried the stream (a browser may open a spare one). */
const carrying = (tap: Tap, path: string): TapConnection | undefined =>
  tap.connections.find((x) => x.requests.some((r) => r.path.startsWith(path)));

async function measure(c: CaseContext, transport: ScenarioTransport, payload: Payload, profile: ProxyProfile): Promise<Observed> {
  const source = await sourceOf(c, transport, payload);
  const { tap: back, target } = await tapInFront(c, source.target);
  const proxy = await c.proxy(target, { profile });
  const front = await c.tap({ target: { host: '127.0.0.1', port: portOf(proxy.url) } });
  const page = await c.page();
  const ws = transport === 'ws';
  await page.call(ws ? 'webSocket' : 'eventSource', 'x', front.url(ws ? 'ws' : 'http', source.path));
  const opened = await page.waitForEvents('x', 'open', 1, WAIT_MS);
  await sleep(SETTLE_MS);
  const before = { front: received(front), back: received(back) };
  // Publish time by seq: an arrival is paired with its own publish, whatever arrived (or did not) before it.
  const published = new Map<number, number>();
  let payloadTotal = 0;
  for (let i = 0; i < EVENTS; i++) {
    const at = c.elapsed();
    const { seq, bytes } = source.publish();
    published.set(seq, at);
    payloadTotal += bytes;
    await sleep(SPACING_MS);
  }
  const type = ws ? 'message' : 'quote';
  await page.waitForEvents('x', type, EVENTS, WAIT_MS);
  const browserTotal = received(front) - before.front;
  const serverTotal = received(back) - before.back;
  const events = await page.events('x');
  const arrivals = events.filter((e) => e.type === type);
  const delays = arrivals.flatMap((e) => {
    const at = published.get(seqOf(e));
    return at === undefined ? [] : [e.t - at];
  });
  // Nothing arrived: no delay to state (null), not a 0 ms one.
  const delay = delays.length > 0 ? distribution(delays) : null;
  const path = new URL(source.path, 'http://x').pathname;
  const toBrowser = carrying(front, path)?.response;
  const fromServer = carrying(back, path)?.response;
  const perEvent = (total: number) => round(total / EVENTS, 1);
  return {
    events: events.filter((e) => e.type !== type).concat(events.filter((e) => e.type === type).slice(0, 5)),
    counts: { published: EVENTS, received: arrivals.length, opens: countOf(events, 'open'), browserConnections: front.connections.length },
    bytes: {
      payloadPerEvent: perEvent(payloadTotal),
      serverWirePerEvent: perEvent(serverTotal),
      browserWirePerEvent: perEvent(browserTotal),
      payloadTotal,
      serverWireTotal: serverTotal,
      browserWireTotal: browserTotal,
    },
    server: { connections: back.connections.length, requests: front.requests.slice(0, 5) },
    facts: {
      payload,
      opened,
      status: toBrowser?.status ?? null,
      contentEncoding: toBrowser?.headers['content-encoding'] ?? null,
      transferEncoding: toBrowser?.headers['transfer-encoding'] ?? null,
      websocketExtensions: toBrowser?.headers['sec-websocket-extensions'] ?? null,
      serverContentEncoding: fromServer?.headers['content-encoding'] ?? null,
      serverCacheControl: fromServer?.headers['cache-control'] ?? null,
      wireToPayloadRatio: round(browserTotal / payloadTotal, 4),
      serverWireToPayloadRatio: round(serverTotal / payloadTotal, 4),
      browserToServerRatio: round(browserTotal / serverTotal, 4),
      delayP50Ms: delay?.p50 ?? null,
      delayP90Ms: delay?.p90 ?? null,
      delayMaxMs: delay?.max ?? null,
      bytesFrom: 'TCP taps: browser<->nginx (front) and nginx<->server (back), bytes from the server side after the stream opened',
    },
  };
}

const WHAT: Record<Payload, string> = {
  json: 'JSON quotes',
  'base64-random': `${BINARY_SIZE} random bytes per event in base64`,
  'base64-repetitive': `${BINARY_SIZE}-byte binary quotes ('x' padding) in base64`,
};

function compressionCase(transport: ScenarioTransport, payload: Payload, profile: ProxyProfile): CaseSpec {
  const ws = transport === 'ws';
  return {
    transport,
    case: `${payload}-${profile}`,
    client: 'browser',
    title: `${ws ? 'WebSocket' : 'EventSource'} through nginx \`${profile}\`: ${EVENTS} ${WHAT[payload]}`,
    claims: ['gzip-undoes-base64-overhead'],
    setup: {
      profile,
      payload,
      events: EVENTS,
      spacingMs: SPACING_MS,
      ...(payload === 'json' ? {} : { binaryBytes: BINARY_SIZE }),
      payloadSource: payload === 'base64-random' ? 'crypto.randomBytes per event' : `lab ${transport} feed`,
    },
    run: (c) => measure(c, transport, payload, profile),
  };
}

const SSE_PAYLOADS: Payload[] = ['json', 'base64-random', 'base64-repetitive'];

export const proxyCompression: ScenarioSpec = {
  name: 'proxy-compression',
  title: "Bytes per event through nginx with gzip and without: JSON quotes, base64 of random and of repetitive bytes, a WebSocket's",
  cases: [
    ...SSE_PAYLOADS.flatMap((payload) => PROFILES.map((profile) => compressionCase('sse', payload, profile))),
    ...PROFILES.map((profile) => compressionCase('ws', 'json', profile)),
  ],
};
