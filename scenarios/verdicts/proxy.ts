/**
 * Behind nginx (issue 10): whether SSE works through a proxy nobody configured for it, from a server
 * that says nothing to nginx, while a WebSocket does not (sse-needs-no-special-server, from
 * proxy-works, citing where proxy-auth's credentials arrived), and whether nginx holds SSE events
 * back, per configuration (proxies-buffer-sse, from proxy-buffering).
 */
import { statusText } from '../proxy/access-log.ts';
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, ms, plural, yes } from './words.ts';

const works = (transport: string, config: string) => `proxy-works/${transport}/${config}`;

/** What one proxy-works record says: did the client open, and did every quote published arrive, in order? */
function worked(e: Evidence, id: string) {
  const quotes = e.count(id, 'quotes');
  const published = e.count(id, 'published');
  const opened = e.fact<boolean>(id, 'opened') ?? false;
  const inOrder = e.fact<boolean>(id, 'inOrder') ?? false;
  const delivered = opened && quotes === published && e.count(id, 'lost') === 0;
  return {
    opened,
    quotes,
    published,
    inOrder,
    statuses: e.fact<Record<string, number>>(id, 'nginxStatuses') ?? {},
    delivered,
    /** Every quote, in order, within the case's wait. */
    timely: delivered && inOrder,
  };
}

type Worked = ReturnType<typeof worked>;

/** An SSE case through stock, with the X-Accel-Buffering header the server's response carried as the tap saw it. */
function sseThrough(e: Evidence, config: string) {
  return {
    ...worked(e, works('sse', config)),
    accelBuffering: e.fact<string | null>(works('sse', config), 'upstreamAccelBuffering') ?? null,
  };
}

const header = (value: string | null) => (value === null ? 'no X-Accel-Buffering header' : `\`X-Accel-Buffering: ${value}\``);
const got = (w: Worked) => `${w.quotes} of ${w.published} quotes${w.quotes > 0 ? (w.inOrder ? ' in order' : ' out of order') : ''}`;

/** Why the raw WebSocket did not open through stock: its close code, nginx's statuses and the Upgrade header nginx passed on. */
const wsRefusal = (ws: { closeCode: number | null; stock: { statuses: Record<string, number> }; upgradeHeaderUpstream: string | null }) =>
  ` (close code ${ws.closeCode ?? 'none'}; nginx logged ${statusText(ws.stock.statuses)}, and passed the server ` +
  `${ws.upgradeHeaderUpstream ? `Upgrade: ${ws.upgradeHeaderUpstream}` : 'no Upgrade header'})`;

/** proxy-auth: each way of sending a credential through `tuned`, by transport, and how it reached the server. */
function credentials(e: Evidence) {
  return e.ids('proxy-auth/').map((id) => {
    const [, transport, method] = id.split('/') as [string, string, string];
    return { transport, method, reachedAs: e.fact<string[]>(id, 'reachedServerAs') ?? [] };
  });
}

const credentialWords = (list: ReturnType<typeof credentials>, transport: string) =>
  list
    .filter((c) => c.transport === transport)
    .map((c) => `${c.method} as ${c.reachedAs.join(' and ') || 'nothing'}`)
    .join(', ');

/** The proxy-buffering cases, with how each turns nginx's buffering off (null: it does not). */
const BUFFERING = [
  { id: 'proxy-buffering/sse/stock-no-header', key: 'stockNoHeader', label: 'stock, no X-Accel-Buffering', off: null },
  { id: 'proxy-buffering/sse/stock-header', key: 'stockHeader', label: 'stock with `X-Accel-Buffering: no`', off: 'the header' },
  { id: 'proxy-buffering/sse/gzip-header', key: 'gzipHeader', label: 'gzip with the header', off: 'proxy_buffering off' },
  { id: 'proxy-buffering/sse/gzip-no-header', key: 'gzipNoHeader', label: 'gzip without it', off: 'proxy_buffering off' },
] as const;

/**
 * What the page saw of one configuration, from counts: nothing at all; events arriving together (two or more per
 * burst on average) or still held when the watch ended; or events passed on one by one.
 */
type Delivery = 'nothing-arrived' | 'held-back' | 'passed-on';
/** "Together": at least this many events per burst on average. */
const TOGETHER = 2;

export const PROXY_RULES = {
  'sse-needs-no-special-server': rule({
    read(e) {
      const ws = {
        stock: worked(e, works('ws', 'stock')),
        tuned: worked(e, works('ws', 'tuned')),
        closeCode: e.fact<number | null>(works('ws', 'stock'), 'closeCode') ?? null,
        upgradeHeaderUpstream: e.fact<string | null>(works('ws', 'stock'), 'upstreamUpgradeHeader') ?? null,
      };
      return {
        browser: e.browser,
        sse: {
          stock: sseThrough(e, 'stock'),
          plain: sseThrough(e, 'stock-no-header'),
          waitMs: e.setup<number>(works('sse', 'stock-no-header'), 'deliverWaitMs') ?? Number.NaN,
          tuned: worked(e, works('sse', 'tuned')),
        },
        ws,
        socketio: {
          stock: worked(e, works('socketio', 'stock')),
          stockTransport: e.fact<string | null>(works('socketio', 'stock'), 'finalTransport') ?? null,
          stockUpgradeAttempted: e.fact<boolean>(works('socketio', 'stock'), 'upgradeAttempted'),
          tunedTransport: e.fact<string | null>(works('socketio', 'tuned'), 'finalTransport') ?? null,
        },
        credentials: credentials(e),
      };
    },
    decide({ sse, ws, socketio }) {
      // The two halves of the claim: SSE through a proxy written for plain HTTP, from a server that tells the proxy
      // nothing (a header only nginx reads is configuration too); WebSocket only through a proxy told about it.
      const sseHalf = sse.plain.timely;
      const wsHalf = !ws.stock.delivered && ws.tuned.delivered;
      const sseThroughStock = sse.plain.timely ? 'timely-without-header' : sse.stock.timely ? 'timely-only-with-header' : 'not-timely';
      return {
        verdict: sseHalf && wsHalf ? 'confirmed' : sseHalf || wsHalf || sse.stock.timely ? 'depends' : 'refuted',
        sseHalf,
        wsHalf,
        figures: {
          sseThroughStock,
          sseStockQuotes: sse.stock.quotes,
          sseStockAccelBuffering: sse.stock.accelBuffering,
          sseNoHeaderOpened: sse.plain.opened,
          sseNoHeaderQuotes: sse.plain.quotes,
          sseNoHeaderAccelBuffering: sse.plain.accelBuffering,
          sseTunedQuotes: sse.tuned.quotes,
          published: sse.stock.published,
          wsStockOpened: ws.stock.opened,
          wsStockCloseCode: ws.closeCode,
          wsTunedQuotes: ws.tuned.quotes,
          socketioStockTransport: socketio.stockTransport,
          socketioStockQuotes: socketio.stock.quotes,
        },
      };
    },
    word: ({ browser, sse, ws, socketio, credentials }, d) => {
      const sseOnly = sse.stock.timely
        ? `SSE got every quote through stock in time only when the server's response carried ${header(sse.stock.accelBuffering)}, ` +
          `a header for nginx; with ${header(sse.plain.accelBuffering)} ${got(sse.plain)} arrived within ${ms(sse.waitMs)}`
        : 'SSE did not get every quote through stock in time, with the header or without';
      return (
        'Through nginx with only `proxy_pass` (the `stock` profile: HTTP/1.0 to the server, buffering on, no Upgrade headers), ' +
        `${browser}'s EventSource to a server whose response carried ${header(sse.stock.accelBuffering)} ` +
        `opened: ${yes(sse.stock.opened)} and received ${got(sse.stock)} (nginx logged ${statusText(sse.stock.statuses)}); ` +
        `to one whose response carried ${header(sse.plain.accelBuffering)}, as a server that never heard of nginx sends it, ` +
        `it opened: ${yes(sse.plain.opened)} and received ${got(sse.plain)} within ${ms(sse.waitMs)} ` +
        `(nginx logged ${statusText(sse.plain.statuses)}); ` +
        `a raw WebSocket opened: ${yes(ws.stock.opened)}` +
        `${ws.stock.opened ? '' : wsRefusal(ws)}` +
        ` and received ${got(ws.stock)}; ` +
        `socket.io received ${got(socketio.stock)} and ended on ${socketio.stockTransport ?? 'no transport'} ` +
        `(upgrade attempted: ${yes(socketio.stockUpgradeAttempted)}). ` +
        `Through the \`tuned\` profile (HTTP/1.1, the Upgrade map, buffering off): SSE ${got(sse.tuned)}, ` +
        `WebSocket opened: ${yes(ws.tuned.opened)} with ${got(ws.tuned)} (nginx logged ${statusText(ws.tuned.statuses)}), ` +
        `socket.io on ${socketio.tunedTransport ?? 'no transport'}. ` +
        `A credential sent through \`tuned\` reached the server, with an EventSource: ${credentialWords(credentials, 'sse')}; ` +
        `with a WebSocket: ${credentialWords(credentials, 'ws')}. ` +
        closing(d.verdict, {
          confirmed:
            'SSE went through a proxy configured for nothing but plain HTTP, from a server that tells the proxy nothing; ' +
            'the WebSocket needed the proxy told about it: confirmed.',
          depends: d.sseHalf
            ? `SSE went through stock, but the WebSocket ${ws.stock.delivered ? 'did too' : 'did not get through tuned either'}: depends.`
            : `${sseOnly}${d.wsHalf ? '; the WebSocket needed the proxy told about it' : ''}: depends.`,
          refuted: 'SSE did not get through the stock profile in time, and the WebSocket did or failed through tuned too: refuted.',
        })
      );
    },
  }),

  'proxies-buffer-sse': rule({
    read(e) {
      return {
        rate: e.setup<number>(BUFFERING[0].id, 'rate') ?? Number.NaN,
        watchMs: e.setup<number>(BUFFERING[0].id, 'watchMs') ?? Number.NaN,
        graceMs: e.setup<number>(BUFFERING[0].id, 'graceMs') ?? Number.NaN,
        configs: BUFFERING.map((b) => {
          const delivery = e.fact<{ p50: number; max: number } | null>(b.id, 'deliveryMs');
          return {
            ...b,
            published: e.count(b.id, 'published'),
            quotes: e.count(b.id, 'quotes'),
            notArrived: e.count(b.id, 'notArrivedInWatch'),
            bursts: e.count(b.id, 'bursts'),
            largestBurst: e.count(b.id, 'largestBurst'),
            openMs: e.fact<number | null>(b.id, 'openMs') ?? null,
            firstEventDelayMs: e.fact<number | null>(b.id, 'firstEventDelayMs') ?? null,
            p50: delivery?.p50 ?? Number.NaN,
            max: delivery?.max ?? Number.NaN,
          };
        }),
      };
    },
    decide({ configs }) {
      const perBurst = configs.map((c) => (c.bursts > 0 ? Math.round((c.quotes / c.bursts) * 10) / 10 : 0));
      const delivery = configs.map(
        (c, i): Delivery => (c.quotes === 0 ? 'nothing-arrived' : perBurst[i]! >= TOGETHER || c.notArrived > 0 ? 'held-back' : 'passed-on'),
      );
      const byDefault = delivery[0]!;
      const offPassedOn = configs.every((c, i) => c.off === null || delivery[i] === 'passed-on');
      return {
        verdict: byDefault === 'passed-on' ? 'refuted' : byDefault === 'held-back' && offPassedOn ? 'confirmed' : 'depends',
        delivery,
        perBurst,
        figures: Object.fromEntries(
          configs.flatMap((c, i) => [
            [`${c.key}Delivery`, delivery[i]!],
            [`${c.key}EventsPerBurst`, perBurst[i]!],
            [`${c.key}LargestBurst`, c.largestBurst],
            [`${c.key}NotArrived`, c.notArrived],
          ]),
        ),
      };
    },
    word: ({ rate, watchMs, graceMs, configs }, d) =>
      `SSE at ${rate} quotes/s (about 100 bytes an event) through nginx for ${watchMs} ms, arrival against publish time at the page: ` +
      configs
        .map((c, i) =>
          d.delivery[i] === 'nothing-arrived'
            ? `${c.label}: nothing arrived (EventSource open: ${c.openMs === null ? 'no' : `after ${ms(c.openMs)}`}, ` +
              `0 of ${c.published} quotes within the watch)`
            : `${c.label}: ${d.delivery[i] === 'held-back' ? 'held back' : 'passed on event by event'} ` +
              `(${c.quotes} of ${c.published} quotes within the watch, ${c.notArrived} still on their way ${graceMs} ms after the last; ` +
              `${plural(c.bursts, 'burst')}, ${plural(d.perBurst[i]!, 'event')} per burst, ` +
              `the largest ${plural(c.largestBurst, 'event')}; ` +
              `EventSource open after ${ms(c.openMs)}, first event ${ms(c.firstEventDelayMs)} after it was published, ` +
              `delivery p50 ${ms(c.p50)} and max ${ms(c.max)})`,
        )
        .join('; ') +
      `. Held back: ${TOGETHER} or more events per burst on average, or quotes still on their way when the watch ended; ` +
      'nothing arrived is neither. ' +
      closing(d.verdict, {
        confirmed:
          "nginx's default buffering held the stream back, and turning it off (the header, or proxy_buffering off) " +
          'passed each event on: confirmed.',
        depends:
          d.delivery[0] === 'nothing-arrived'
            ? "Nothing arrived through nginx's default configuration, so it shows no buffering to weigh: depends."
            : 'nginx buffered by default, and a configuration with buffering turned off did not pass each event on: ' +
              'depends on the configuration.',
        refuted: "nginx's default configuration passed each event on as it came: refuted.",
      }),
  }),
} satisfies RuleSet;
