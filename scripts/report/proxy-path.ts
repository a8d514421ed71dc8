/**
 * The path through nginx, from the proxy scenarios (issue 10): does each transport work through
 * `stock` and `tuned` (proxy-works, a table), SSE arrival against publish time per configuration
 * (proxy-buffering, a chart), and the read timeout against each heartbeat (proxy-idle, a table).
 * Each reads the records' observed facts only and draws what exists.
 */
import { statusText } from '../../scenarios/proxy/access-log.ts';
import type { Json, ScenarioRecord, ScenariosFile } from '../../scenarios/types.ts';
import type { Block } from './blocks.ts';
import { axes, LABELS, type ChartSpec, type Dataset } from './charts.ts';
import { byCase, clientOf, lineStyle, ranIn } from './engines.ts';
import { type Facts, facts, num, observed, yesNo } from './scenario-charts.ts';

const events = (n: number | undefined) => (n === undefined ? '? events' : `${n} ${n === 1 ? 'event' : 'events'}`);
const msText = (v: Json | undefined) => (typeof v === 'number' ? `${Math.round(v)} ms` : '–');

/** A colour per buffering configuration (profile × header): one axis of its own, apart from the transports' colours. */
const CONFIG_COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const configLabel = (r: ScenarioRecord) =>
  `${String(r.setup.profile)}, ${r.setup.accelBufferingHeader ? 'X-Accel-Buffering: no' : 'no X-Accel-Buffering header'}`;

/** [seq, published, arrived] per event, as ms since the feed started. */
function arrivalPoints(r: ScenarioRecord): { x: number; y: number }[] {
  const start = num(facts(r).feedStartedMs) ?? 0;
  const arrivals = (facts(r).arrivals ?? []) as [number, number, number][];
  return arrivals.map(([, published, arrived]) => ({ x: Math.round(published - start), y: Math.round(arrived - start) }));
}

function bufferingChart(scenarios: ScenariosFile): ChartSpec | null {
  const records = byCase(observed(scenarios, 'proxy-buffering').filter((r) => arrivalPoints(r).length > 0));
  if (records.length === 0) return null;
  // A colour per configuration, the same in every engine; the engine tells apart by its point style and dashes.
  const configs = [...new Set(records.map(configLabel))];
  const datasets: Dataset[] = records.map((r) => {
    const color = CONFIG_COLORS[configs.indexOf(configLabel(r)) % CONFIG_COLORS.length];
    return {
      label: `${LABELS[r.transport]} through ${configLabel(r)} (${clientOf(r)})`,
      data: arrivalPoints(r),
      borderColor: color,
      backgroundColor: color,
      pointRadius: 2,
      borderWidth: 1,
      ...lineStyle(r.engine),
    };
  });
  const end = Math.max(...datasets.flatMap((d) => (d.data as { x: number; y: number }[]).map((p) => Math.max(p.x, p.y))));
  datasets.push({
    label: 'arrival = publish (no delay)',
    data: [
      { x: 0, y: 0 },
      { x: end, y: end },
    ],
    borderColor: '#999999',
    borderDash: [4, 4],
    pointRadius: 0,
  });
  const held = records.map((r) => {
    const f = facts(r);
    const delivery = (f.deliveryMs ?? {}) as Facts;
    return (
      `${configLabel(r)} in ${clientOf(r)}: first event ${msText(f.firstEventDelayMs)} after it was published, ` +
      `p50 ${msText(delivery.p50)}, ` +
      `largest burst ${events(r.observed.counts?.largestBurst)}, ` +
      `${r.observed.counts?.quotes ?? '?'} of ${r.observed.counts?.published ?? '?'} arrived`
    );
  });
  return {
    id: 'proxy-buffering-arrivals',
    title: 'SSE through nginx: arrival time against publish time',
    caption:
      `Each point is one event at ${records[0]!.setup.rate} quotes/s to a page ${ranIn(records)}, ms since the feed started; on the ` +
      'dashed grey diagonal an event arrives ' +
      `the moment it is published, and a staircase above it is events held back and released together. ${held.join('; ')}.`,
    claims: ['proxies-buffer-sse'],
    config: {
      type: 'line',
      data: { labels: [], datasets },
      options: {
        ...axes('published (ms since the feed started)', 'arrived at the page (ms since the feed started)'),
        scales: {
          x: { type: 'linear', title: { display: true, text: 'published (ms since the feed started)' } },
          y: { beginAtZero: true, title: { display: true, text: 'arrived at the page (ms since the feed started)' } },
        },
      },
    },
  };
}

export function proxyPathCharts(scenarios: ScenariosFile): ChartSpec[] {
  return [bufferingChart(scenarios)].filter((c): c is ChartSpec => c !== null);
}

/** What the page saw, by what the transport's client reports: a close code, socket.io's transport, or the open time. */
function pageSaw(r: ScenarioRecord): string {
  const f = facts(r);
  if (f.finalTransport !== undefined)
    return `on ${String(f.finalTransport)}${f.upgradeAttempted ? (f.upgraded ? ' (upgraded)' : ' (upgrade probe failed)') : ''}`;
  if (f.opened !== true) {
    const error = ((f.consoleErrors ?? []) as string[])[0];
    // An EventSource has no close code: it stayed CONNECTING, waiting for the response.
    if (typeof f.closeCode !== 'number') return `never opened${error ? `: ${error}` : ''}`;
    return `close ${f.closeCode}${error ? `: ${error.replace(/^.*failed: /, '')}` : ''}`;
  }
  return `open after ${msText(f.openMs)}`;
}

/** The proxy-works and proxy-idle tables, for those scenarios that have records. */
export function proxyPathTables(scenarios: ScenariosFile): Block[] {
  const blocks: Block[] = [];
  const works = byCase(observed(scenarios, 'proxy-works'));
  if (works.length > 0) {
    blocks.push({
      kind: 'table',
      caption:
        `Through nginx ${ranIn(works)}: does each transport open and deliver? (\`stock\`: proxy_pass only; \`tuned\`: the ` +
        'documented setup)',
      head: [
        'transport',
        'engine',
        'profile',
        'X-Accel-Buffering (server)',
        'opened',
        'quotes received',
        'nginx logged',
        'the page saw',
        'delivery p50',
      ],
      rows: works.map((r) => {
        const f = facts(r);
        const c = r.observed.counts ?? {};
        return [
          LABELS[r.transport],
          clientOf(r),
          String(r.setup.profile),
          r.setup.accelBufferingHeader === undefined ? '–' : String(f.upstreamAccelBuffering ?? 'none'),
          yesNo(f.opened),
          `${c.quotes ?? '?'} of ${c.published ?? '?'}${f.inOrder === false ? ' (out of order)' : ''}`,
          statusText((f.nginxStatuses ?? {}) as Record<string, number>),
          pageSaw(r),
          msText(((f.deliveryMs ?? {}) as Facts).p50),
        ];
      }),
    });
  }
  const idle = byCase(observed(scenarios, 'proxy-idle'));
  if (idle.length > 0) {
    blocks.push({
      kind: 'table',
      caption:
        `nginx with proxy_read_timeout ${idle[0]!.setup.readTimeoutS} s and a silent feed, ${ranIn(idle)}: the heartbeat ` +
        'against the timeout',
      head: [
        'transport',
        'engine',
        'heartbeat',
        'nginx cut it',
        "after the server's last byte",
        'page noticed',
        'came back by itself',
        'quotes lost',
      ],
      rows: idle.map((r) => {
        const f = facts(r);
        return [
          LABELS[r.transport],
          clientOf(r),
          String(r.setup.heartbeat),
          yesNo(f.cut),
          f.cut ? msText(f.lastUpstreamByteToCutMs) : '–',
          yesNo(f.noticed),
          f.cut ? yesNo(f.cameBack) : '–',
          `${r.observed.counts?.lost ?? '?'} of ${r.observed.counts?.published ?? '?'}`,
        ];
      }),
    });
  }
  return blocks;
}
