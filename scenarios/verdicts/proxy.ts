/**
 * Behind nginx (issue 10): whether SSE works through a proxy nobody configured for it while a
 * WebSocket does not (sse-needs-no-special-server, from proxy-works), and whether nginx holds SSE
 * events back, per configuration (proxies-buffer-sse, from proxy-buffering).
 */
import { type RuleSet, rule } from './rule.ts';
import type { Evidence } from './evidence.ts';
import { closing, ms, plural, yes } from './words.ts';

const works = (transport: string, profile: string) => `proxy-works/${transport}/${profile}`;

/** What one proxy-works record says: did the client open, and did every quote published arrive, in order? */
function worked(e: Evidence, id: string) {
  const quotes = e.count(id, 'quotes');
  const published = e.count(id, 'published');
  const opened = e.fact<boolean>(id, 'opened') ?? false;
  return {
    opened,
    quotes,
    published,
    inOrder: e.fact<boolean>(id, 'inOrder') ?? false,
    statuses: e.fact<Record<string, number>>(id, 'nginxStatuses') ?? {},
    delivered: opened && quotes === published && e.count(id, 'lost') === 0,
  };
}

const statusText = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .map(([status, n]) => (n === 1 ? status : `${status} ×${n}`))
    .join(', ') || 'none';

/** Why the raw WebSocket did not open through stock: its close code, nginx's statuses and the Upgrade header nginx passed on. */
const wsRefusal = (ws: { closeCode: number | null; stock: { statuses: Record<string, number> }; upgradeHeaderUpstream: string | null }) =>
  ` (close code ${ws.closeCode ?? 'none'}; nginx logged ${statusText(ws.stock.statuses)}, and passed the server ` +
  `${ws.upgradeHeaderUpstream ? `Upgrade: ${ws.upgradeHeaderUpstream}` : 'no Upgrade header'})`;

/** The proxy-buffering cases, with how each turns nginx's buffering off (null: it does not). */
const BUFFERING = [
  { id: 'proxy-buffering/sse/stock-no-header', key: 'stockNoHeader', label: 'stock, no X-Accel-Buffering', off: null },
  { id: 'proxy-buffering/sse/stock-header', key: 'stockHeader', label: 'stock with `X-Accel-Buffering: no`', off: 'the header' },
  { id: 'proxy-buffering/sse/gzip-header', key: 'gzipHeader', label: 'gzip with the header', off: 'proxy_buffering off' },
  { id: 'proxy-buffering/sse/gzip-no-header', key: 'gzipNoHeader', label: 'gzip without it', off: 'proxy_buffering off' },
] as const;

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
        sse: { stock: worked(e, works('sse', 'stock')), tuned: worked(e, works('sse', 'tuned')) },
        ws,
        socketio: {
          stock: worked(e, works('socketio', 'stock')),
          stockTransport: e.fact<string | null>(works('socketio', 'stock'), 'finalTransport') ?? null,
          stockUpgradeAttempted: e.fact<boolean>(works('socketio', 'stock'), 'upgradeAttempted'),
          tunedTransport: e.fact<string | null>(works('socketio', 'tuned'), 'finalTransport') ?? null,
        },
      };
    },
    decide({ sse, ws, socketio }) {
      // The two halves of the claim: SSE through a proxy written for plain HTTP; WebSocket only through one told about it.
      const sseHalf = sse.stock.delivered && sse.stock.inOrder;
      const wsHalf = !ws.stock.delivered && ws.tuned.delivered;
      return {
        verdict: sseHalf && wsHalf ? 'confirmed' : sseHalf || wsHalf ? 'depends' : 'refuted',
        figures: {
          sseStockQuotes: sse.stock.quotes,
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
    word: ({ sse, ws, socketio }, d) => {
      const got = (w: ReturnType<typeof worked>) =>
        `${w.quotes} of ${w.published} quotes${w.quotes > 0 ? (w.inOrder ? ' in order' : ' out of order') : ''}`;
      return (
        'Through nginx with only `proxy_pass` (the `stock` profile: HTTP/1.0 to the server, buffering on, no Upgrade headers), ' +
        `Chromium's EventSource opened: ${yes(sse.stock.opened)} and received ${got(sse.stock)} ` +
        `(nginx logged ${statusText(sse.stock.statuses)}); ` +
        `a raw WebSocket opened: ${yes(ws.stock.opened)}` +
        `${ws.stock.opened ? '' : wsRefusal(ws)}` +
        ` and received ${got(ws.stock)}; ` +
        `socket.io received ${got(socketio.stock)} and ended on ${socketio.stockTransport ?? 'no transport'} ` +
        `(upgrade attempted: ${yes(socketio.stockUpgradeAttempted)}). ` +
        `Through the \`tuned\` profile (HTTP/1.1, the Upgrade map, buffering off): SSE ${got(sse.tuned)}, ` +
        `WebSocket opened: ${yes(ws.tuned.opened)} with ${got(ws.tuned)} (nginx logged ${statusText(ws.tuned.statuses)}), ` +
        `socket.io on ${socketio.tunedTransport ?? 'no transport'}. ` +
        closing(d.verdict, {
          confirmed:
            'SSE went through a proxy configured for nothing but plain HTTP; the WebSocket needed the proxy told about it: confirmed. ' +
            "The lab's SSE server sends `X-Accel-Buffering: no` (proxies-buffer-sse shows nginx without it).",
          depends: 'Only one half of the claim held through the stock profile: depends.',
          refuted: 'SSE did not get through the stock profile, and the WebSocket did or failed through tuned too: refuted.',
        })
      );
    },
  }),

  'proxies-buffer-sse': rule({
    read(e) {
      const rate = e.setup<number>(BUFFERING[0].id, 'rate') ?? Number.NaN;
      return {
        rate,
        watchMs: e.setup<number>(BUFFERING[0].id, 'watchMs') ?? Number.NaN,
        configs: BUFFERING.map((b) => {
          const delivery = e.fact<{ p50: number; max: number }>(b.id, 'deliveryMs');
          return {
            ...b,
            published: e.count(b.id, 'published'),
            quotes: e.count(b.id, 'quotes'),
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
    decide({ rate, configs }) {
      // Held back: the typical event waited longer than the gap to the next one, so events travelled together.
      const interval = 1000 / rate;
      const buffered = configs.map((c) => c.quotes === 0 || c.p50 >= interval);
      const byDefault = buffered[0]!;
      const heldWithBufferingOff = configs.filter((c, i) => c.off !== null && buffered[i]).length;
      return {
        verdict: !byDefault ? 'refuted' : heldWithBufferingOff === 0 ? 'confirmed' : 'depends',
        buffered,
        interval,
        figures: Object.fromEntries(
          configs.flatMap((c, i) => [
            [`${c.key}Buffered`, buffered[i]!],
            [`${c.key}P50Ms`, c.p50],
            [`${c.key}LargestBurst`, c.largestBurst],
          ]),
        ),
      };
    },
    word: ({ rate, watchMs, configs }, d) =>
      `SSE at ${rate} quotes/s (about 100 bytes an event) through nginx for ${watchMs} ms, arrival against publish time at the page: ` +
      configs
        .map(
          (c, i) =>
            `${c.label}: ${d.buffered[i] ? 'held back' : 'passed on event by event'} ` +
            `(EventSource open after ${ms(c.openMs)}, first event ${ms(c.firstEventDelayMs)} after it was published, ` +
            `delivery p50 ${ms(c.p50)} and max ${ms(c.max)}, ` +
            `${plural(c.bursts, 'burst')}, the largest ${plural(c.largestBurst, 'event')}, ` +
            `${c.quotes} of ${c.published} quotes within the watch)`,
        )
        .join('; ') +
      `. An event counts as held back when its median delay reaches the ${Math.round(d.interval)} ms between two quotes. ` +
      closing(d.verdict, {
        confirmed:
          "nginx's default buffering held the stream back, and turning it off (the header, or proxy_buffering off) " +
          'passed each event on: confirmed.',
        depends:
          'nginx buffered by default, and a configuration with buffering turned off still held events back: depends on the configuration.',
        refuted: "nginx's default configuration passed each event on as it came: refuted.",
      }),
  }),
} satisfies RuleSet;
