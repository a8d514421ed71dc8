/**
 * The lifecycle matrix (scenario `lifecycle`): for each transport, engine and way of going away (frozen in the
 * background, or to another page and back through the back/forward cache), whether the page was restored, what the
 * server still held when the page came back, what the client did then, what it lost, and how long until a quote
 * published after the return reached it. Read from the records' observed facts and counts only.
 */
import type { ScenarioRecord, ScenariosFile } from '../../scenarios/types.ts';
import { ENGINE_NAME } from '../lib/browser.ts';
import type { Block, Cell } from './blocks.ts';
import { LABELS } from './charts.ts';
import { byCase, clientOf, ranIn, spoken } from './engines.ts';
import { facts, num, observed } from './scenario-charts.ts';

/** How each case went away, as the table says it. */
const HOW: Record<string, string> = {
  frozen: 'frozen in the background',
  bfcache: 'to another page and back',
  'bfcache-no-store': 'to another page and back (page sent no-store)',
};

const duration = (ms: number | null): string =>
  ms === null ? '?' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Restored or not, with Chromium's reasons, and a note where this engine restored no page at all (the control). */
function restoredCell(r: ScenarioRecord): Cell {
  const f = facts(r);
  if (f.restoredFromBfcache === undefined) return null;
  if (f.restoredFromBfcache === true) return 'yes';
  const reasons = Array.isArray(f.notRestoredReasons) ? f.notRestoredReasons.map(String) : null;
  const why = reasons === null ? 'no reason reported' : reasons.length ? reasons.join(', ') : 'no reason given';
  const control = f.controlPageRestored === false ? '; a page with no connection was not restored either' : '';
  return `no (${why})${control}`;
}

/** What the server side held when the page came back, and who closed the TCP connection if it was gone. */
function serverCell(r: ScenarioRecord): Cell {
  const f = facts(r);
  if (num(f.serverClientsAtBack) !== null && num(f.serverClientsAtBack)! > 0) return 'still held the client';
  type Fate = { carried: string | null; tcpClosedBy: string | null; closedAfterLeaveMs: number | null };
  // The client's own connection: an idle long-polling connection closes on the server's keep-alive timeout.
  const fates = (Array.isArray(f.connectionsOpenAtLeave) ? (f.connectionsOpenAtLeave as Fate[]) : []).filter(
    (x) => x.carried !== 'long-polling',
  );
  const first = fates
    .filter((x) => x.closedAfterLeaveMs !== null && x.tcpClosedBy !== null)
    .sort((a, b) => a.closedAfterLeaveMs! - b.closedAfterLeaveMs!)[0];
  if (!first) return fates.length ? 'no client left (its TCP connection stayed open)' : 'no client left';
  const side = first.tcpClosedBy === 'server' ? 'the server' : 'the browser';
  return `no client left: ${side} closed TCP ${duration(first.closedAfterLeaveMs)} after the page left`;
}

/** What the client did once the page was back. */
function afterCell(r: ScenarioRecord): Cell {
  const f = facts(r);
  if (f.reopenedByNewPage === true) return 'page loaded anew; its client opened from scratch';
  const close = f.firstCloseAfterBack as { code?: number; reason?: string } | null | undefined;
  if (!close && f.reconnectedByItself === true)
    return `reconnected${typeof f.lastEventIdSent === 'string' ? ` with Last-Event-ID ${f.lastEventIdSent}` : ''}`;
  if (!close) return num(r.observed.counts?.deliveredLate) ? 'went on; the quotes held meanwhile arrived at once' : 'went on';
  const what = close.code !== undefined ? `closed (${close.code})` : `closed (${close.reason ?? '?'})`;
  if (f.reconnectedByItself !== true) return `${what}, stayed closed`;
  const recovered = f.recovered === true ? ' and recovered the missed quotes' : f.recovered === false ? ', not recovered' : '';
  return `${what}, reconnected${recovered}`;
}

/** The lifecycle records as one table, or null when none was observed. */
export function lifecycleTable(scenarios: ScenariosFile): Block | null {
  const records = byCase(observed(scenarios, 'lifecycle'));
  if (records.length === 0) return null;
  const skipped = scenarios.records.filter((r) => r.scenario === 'lifecycle' && r.status === 'not-run' && r.engine);
  const notRun = [...new Set(skipped.map((r) => `${HOW[r.case] ?? r.case} in ${ENGINE_NAME[r.engine!]}`))];
  const profiles = [...new Set(records.map((r) => String(facts(r).profile ?? '?')))];
  return {
    kind: 'table',
    caption:
      `A page that goes away and comes back ${ranIn(records)} (${spoken(profiles)} profile), the feed at ` +
      `${String(records[0]!.setup.rate ?? '?')} quotes/s: lost counts the quotes published after the last one the page had ` +
      'before it left; live again is from the return to the first quote published after it.' +
      (notRun.length ? ` Not run: ${spoken(notRun)}; ${skipped[0]!.reason?.replace(/^lab: not run in \w+: /, '')}.` : ''),
    head: [
      'transport',
      'went',
      'engine',
      'away',
      'restored from the back/forward cache',
      'the server, when the page came back',
      'the client, after the return',
      'lost while away',
      'lost in all',
      'live again after',
    ],
    rows: records.map((r) => {
      const f = facts(r);
      const c = r.observed.counts ?? {};
      const live = num(f.liveAgainMs);
      return [
        LABELS[r.transport],
        HOW[r.case] ?? r.case,
        clientOf(r),
        duration(num(f.awayMs)),
        restoredCell(r),
        serverCell(r),
        afterCell(r),
        `${c.lostWhileAway ?? '?'} of ${c.publishedWhileAway ?? '?'}`,
        `${c.lost ?? '?'} of ${c.published ?? '?'}`,
        live === null ? `not within ${duration(num(f.liveWaitMs))}` : duration(live),
      ];
    }),
  };
}
