/**
 * The report with two engines: browser cases have a record per engine, browser claims a verdict per engine and a
 * combined one. Built here from small results-like inputs (records and verdicts shaped as the scenarios write them,
 * the verdicts combined by the scenarios' own `combine`): the matrices carry an engine column with each engine's rows,
 * the charts a series per engine, the verdict tables say where each verdict holds, a claim whose engines differ shows
 * both verdicts, and a run in one engine never names the other.
 */
import { describe, expect, it } from 'vitest';
import { scenarioRecord } from './helpers.ts';
import { combine } from '../scenarios/verdicts/index.ts';
import type { BrowserRun, ScenarioRecord, ScenariosFile, TimedEvent } from '../scenarios/types.ts';
import type { Engine } from '../scripts/lib/browser.ts';
import type { ClaimId, ClaimResult, ClaimsFile, EngineVerdict } from '../scripts/lib/claims.ts';
import type { Block } from '../scripts/report/blocks.ts';
import type { ReportInputs } from '../scripts/report/inputs.ts';
import { verdictTable } from '../scripts/report/markdown.ts';
import { buildModel, type ReportModel } from '../scripts/report/model.ts';

type Table = Extract<Block, { kind: 'table' }>;
const DATE = '2026-11-29T00:00:00.000Z';

const record = scenarioRecord;

/** A page that saw the drop at 100 ms and quotes before and after it. */
const dropEvents: TimedEvent[] = [
  { t: 50, source: 'es', type: 'quote' },
  { t: 100, source: 'es', type: 'error' },
  { t: 700, source: 'es', type: 'quote' },
];

/** Every browser record of the fixture, in the engines asked for, and the Node records beside them. */
function records(engines: Engine[]): ScenarioRecord[] {
  const delays: Record<Engine, number> = { chromium: 3008.7, firefox: 5012.4 };
  const opened: Record<Engine, number> = { chromium: 6, firefox: 9 };
  const certificate: Record<Engine, boolean> = { chromium: false, firefox: true };
  return [
    ...engines.flatMap((e) => [
      record(
        'reconnect',
        'sse',
        'retry-500-destroy',
        e,
        { retryMs: 500, dropMode: 'destroy' },
        {
          events: dropEvents,
          facts: { reconnectDelayMs: 510.2, lastEventIdSent: '5', requestsFrom: 'wire tap (server side)' },
        },
      ),
      record(
        'reconnect',
        'sse',
        'retry-none-destroy',
        e,
        { retryMs: null, dropMode: 'destroy' },
        {
          events: dropEvents,
          facts: { reconnectDelayMs: delays[e], lastEventIdSent: '5', requestsFrom: 'wire tap (server side)' },
        },
      ),
      record(
        'cross-origin',
        'sse',
        'no-cors-header',
        e,
        { cors: 'none', withCredentials: false },
        {
          readyState: 2,
          facts: { delivered: false, cookieSent: false },
        },
      ),
      record(
        'cross-origin',
        'ws',
        'no-origin-check',
        e,
        { server: 'no checks' },
        { readyState: 1, facts: { opened: true, cookieSent: true } },
      ),
      record('self-signed', 'sse', 'untrusted-default', e, {}, { readyState: 0, facts: { opened: certificate[e] } }),
      record('self-signed', 'ws', 'untrusted-default', e, {}, { readyState: 3, facts: { opened: false } }),
      record(
        'connection-limit',
        'sse',
        'http1-eventsources',
        e,
        { asked: 10 },
        {
          counts: { opened: opened[e], serverStreams: opened[e], serverConnections: 10 },
          facts: { sameOriginFetchCompleted: e === 'firefox', websocketSameHostPortOpened: true },
        },
      ),
      record(
        'direction',
        'sse',
        'round-trips',
        e,
        {},
        {
          counts: { samples: 50 },
          bytes: { perRoundTrip: 400 },
          facts: { upstream: 'fetch POST', rttMs: { p50: 1, p90: 2, p99: 3 } },
        },
      ),
    ]),
    record('self-signed', 'sse', 'node-default', undefined, {}, { facts: { opened: false } }),
    ...engines.flatMap((e): ScenarioRecord[] => {
      const r = record('self-signed', 'sse', 'clicked-through', e, {}, { facts: { opened: true } });
      return e === 'firefox' ? [{ ...r, status: 'not-run', reason: 'lab: not run in Firefox: no click-through', observed: {} }] : [r];
    }),
  ];
}

const verdict = (v: EngineVerdict['verdict'], explanation: string, ids: string[]): EngineVerdict => ({
  verdict: v,
  explanation,
  records: ids,
  figures: { delivered: v === 'confirmed' },
});

/** The verdicts as the scenarios combine them: agreeing, differing, one engine not run, and a claim with no browser record. */
function claims(engines: Engine[]): ClaimsFile {
  const per = (id: ClaimId, by: Partial<Record<Engine, EngineVerdict>>): ClaimResult =>
    combine(id, Object.fromEntries(engines.map((e) => [e, by[e]])) as Partial<Record<Engine, EngineVerdict>>, DATE);
  return {
    claims: {
      'sse-auto-reconnect': per('sse-auto-reconnect', {
        chromium: verdict('confirmed', 'Native EventSource in Chromium reconnected by itself.', [
          'reconnect/sse/retry-500-destroy@chromium',
        ]),
        firefox: verdict('confirmed', 'Native EventSource in Firefox reconnected by itself.', ['reconnect/sse/retry-500-destroy@firefox']),
      }),
      'ws-rejects-self-signed-sse-accepts': per('ws-rejects-self-signed-sse-accepts', {
        chromium: verdict('refuted', 'Both refused the untrusted certificate.', ['self-signed/sse/untrusted-default@chromium']),
        firefox: verdict('confirmed', 'EventSource opened where the WebSocket was refused.', ['self-signed/sse/untrusted-default@firefox']),
      }),
      'sse-six-connections-per-origin': per('sse-six-connections-per-origin', {
        chromium: verdict('confirmed', 'Chromium opened 6 of 10 EventSources.', ['connection-limit/sse/http1-eventsources@chromium']),
        firefox: { verdict: 'not-run', explanation: 'No Firefox record.', records: [] },
      }),
      'ws-heavier-than-sse': {
        id: 'ws-heavier-than-sse',
        verdict: 'refuted',
        explanation: 'ws held less heap per connection than SSE.',
        records: [],
        decidedBy: 'load',
        date: DATE,
      },
    },
  };
}

function inputs(engines: Engine[]): ReportInputs {
  const browsers: BrowserRun[] = engines.map((engine) => ({
    engine,
    found: true,
    path: `/usr/bin/${engine}`,
    version: engine === 'chromium' ? 'Chrome/156.0' : 'firefox/153.8.0',
    settings:
      engine === 'firefox' ? ['acceptInsecureCerts in contexts that trust the lab certificate'] : ['--ignore-certificate-errors-spki-list'],
  }));
  const scenarios: ScenariosFile = {
    meta: {
      date: DATE,
      machine: { cpuModel: 'test', cpus: 2, memoryGiB: 4, platform: 'linux', release: '6', arch: 'x64' },
      node: 'v20',
      versions: {},
      commit: 'test',
    },
    browsers,
    scenarios: [],
    records: records(engines),
  };
  const none = { load: null, loadTls: null, loadProxy: null, loadCluster: null, wire: null, abuse: null, fuzz: null };
  return { dir: 'test', claims: claims(engines), scenarios, ...none, missing: [] };
}

const blocksOf = (model: ReportModel): Block[] =>
  model.sections.flatMap((s) => s.blocks.flatMap((b) => (b.kind === 'details' ? [b, ...b.blocks] : [b])));
const tables = (model: ReportModel): Table[] => blocksOf(model).filter((b): b is Table => b.kind === 'table');
const tableWith = (model: ReportModel, caption: RegExp): Table => {
  const found = tables(model).find((t) => caption.test(t.caption ?? ''));
  expect(found, String(caption)).toBeDefined();
  return found!;
};
/** A table's column by its heading. */
const column = (table: Table, head: string) => {
  const i = table.head.indexOf(head);
  expect(i, `${head} in ${table.head.join(', ')}`).toBeGreaterThanOrEqual(0);
  return table.rows.map((r) => r[i]);
};
const claimSection = (model: ReportModel, id: ClaimId) => model.sections.find((s) => s.id === `claim-${id}`)!;
/** The blocks of a claim's collapsed evidence. */
const evidenceOf = (model: ReportModel, id: ClaimId): Block[] => {
  const details = claimSection(model, id).blocks.find((b) => b.kind === 'details' && b.summary.startsWith('Evidence'));
  expect(details, id).toBeDefined();
  return (details as Extract<Block, { kind: 'details' }>).blocks;
};

describe('the report with two engines', () => {
  const model = buildModel(inputs(['chromium', 'firefox']));

  it('gives the matrices an engine column with both engines’ rows, each case’s rows together', () => {
    for (const [caption, head] of [
      [/^Cross-origin matrix/, 'engine'],
      [/^Reconnection delays/, 'engine'],
      [/^Connections per origin/, 'engine'],
      [/^Certificate matrix/, 'client'],
    ] as const) {
      const table = tableWith(model, caption);
      expect(table.caption).toContain('in Chromium and Firefox');
      const engines = column(table, head);
      expect(engines).toContain('Chromium');
      expect(engines).toContain('Firefox');
    }
    expect(column(tableWith(model, /^Cross-origin matrix/), 'engine')).toEqual(['Chromium', 'Firefox', 'Chromium', 'Firefox']);
    // The certificate matrix: a row per setting and client, the Node clients' setting after the browsers'.
    const certs = tableWith(model, /^Certificate matrix/);
    expect(certs.rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ['untrusted default', 'Chromium', 'refused (readyState 0)'],
      ['untrusted default', 'Firefox', 'open (readyState 0)'],
      ['node default', 'Node', 'refused'],
      ['clicked through', 'Chromium', 'open'],
    ]);
    // What an engine could not run is said under the matrix, with its reason.
    const section = evidenceOf(model, 'ws-rejects-self-signed-sse-accepts');
    const after = section[section.indexOf(certs) + 1] as Extract<Block, { kind: 'list' }>;
    expect(after.items).toEqual(['Not run in Firefox: clicked through (SSE) — no click-through']);
    const delays = tableWith(model, /^Reconnection delays/);
    expect(delays.rows.filter((r) => r.includes('retry: none sent')).map((r) => [r[2], r[5]])).toEqual([
      ['Chromium', '3009 ms'],
      ['Firefox', '5012 ms'],
    ]);
    const limit = tableWith(model, /^Connections per origin/);
    expect(limit.rows.map((r) => [r[2], r[3]])).toEqual([
      ['Chromium', '6 of 10'],
      ['Firefox', '9 of 10'],
    ]);
  });

  it('draws a series per engine and names the engines in the captions', () => {
    const timeline = model.charts.find((c) => c.id === 'reconnect-timeline')!;
    expect(timeline.config.data.datasets.map((d) => d.label)).toEqual([
      'SSE (retry: 500), native EventSource (Chromium)',
      'SSE (retry: 500), native EventSource (Firefox)',
    ]);
    // Each page in its own lane (top to bottom in legend order), as a step line: lines never share a height.
    const lanes = timeline.config.data.datasets.map((d) => (d.data as { y: number }[]).map((p) => p.y));
    lanes.forEach((ys, i) => {
      const floor = lanes.length - 1 - i;
      expect(Math.min(...ys)).toBe(floor);
      expect(Math.max(...ys)).toBeLessThan(floor + 1);
    });
    expect(timeline.config.data.datasets.every((d) => d.stepped)).toBe(true);
    const retry = model.charts.find((c) => c.id === 'sse-retry-vs-delay')!;
    expect(retry.config.data.datasets.map((d) => d.label)).toEqual([
      'retry: sent (ms)',
      'SSE (Chromium): measured delay (ms)',
      'SSE (Firefox): measured delay (ms)',
    ]);
    expect(retry.caption).toContain('measured: Chromium 3009 ms (SSE), Firefox 5012 ms (SSE)');
    const direction = model.charts.find((c) => c.id === 'direction-round-trip')!;
    expect(direction.config.data.labels).toEqual(['SSE (Chromium, fetch POST)', 'SSE (Firefox, fetch POST)']);
    expect(direction.caption).toContain('in Chromium and Firefox');
  });

  it('says in the verdict tables which engines each verdict holds in', () => {
    const verdicts = tables(model).find((t) => t.head.includes('engines') && t.head.includes('verdict'))!;
    const engines = Object.fromEntries(verdicts.rows.map((r) => [String(r[0]), column(verdicts, 'engines')[verdicts.rows.indexOf(r)]]));
    const of = (id: ClaimId) => Object.entries(engines).find(([claim]) => claim.includes(`#claim-${id})`))![1];
    expect(of('sse-auto-reconnect')).toBe('Chromium, Firefox');
    expect(of('ws-rejects-self-signed-sse-accepts')).toBe('differs: Chromium refuted, Firefox confirmed');
    expect(of('sse-six-connections-per-origin')).toBe('Chromium only (Firefox not run)');
    expect(of('ws-heavier-than-sse')).toBe('—');
    const markdown = verdictTable(model).split('\n');
    expect(markdown[0]).toBe('| claim | source | verdict | engines | evidence |');
    const row = markdown.find((l) => l.includes('#claim-ws-rejects-self-signed-sse-accepts)'))!;
    expect(row).toContain('| **depends** | differs: Chromium refuted, Firefox confirmed |');
    expect(row).toContain('Chromium: Both refused the untrusted certificate. Firefox: EventSource opened where the WebSocket was refused.');
    expect(markdown.find((l) => l.includes('#claim-ws-heavier-than-sse)'))).toContain('| **refuted** | — |');
  });

  it('shows both engines’ verdicts for a claim whose engines differ', () => {
    const blocks = claimSection(model, 'ws-rejects-self-signed-sse-accepts').blocks;
    const combined = blocks.find((b) => b.kind === 'verdict') as Extract<Block, { kind: 'verdict' }>;
    expect(combined.verdict).toBe('depends');
    expect(combined.text).toContain('Chromium: refuted, Firefox: confirmed → depends.');
    // The answer, visible: each engine's closing sentence where they differ.
    expect(blocks).toContainEqual({
      kind: 'p',
      text:
        '**Answer.** Chromium: Both refused the untrusted certificate. ' + 'Firefox: EventSource opened where the WebSocket was refused.',
    });
    const evidence = evidenceOf(model, 'ws-rejects-self-signed-sse-accepts');
    const list = evidence.find((b) => b.kind === 'list') as Extract<Block, { kind: 'list' }>;
    expect(list.items).toEqual([
      '**Chromium: refuted.** Both refused the untrusted certificate.',
      '**Firefox: confirmed.** EventSource opened where the WebSocket was refused.',
    ]);
    const figures = evidence.find((b): b is Table => b.kind === 'table' && /each engine's verdict/.test(b.caption ?? ''))!;
    expect(figures.head).toEqual(['figure', 'Chromium', 'Firefox']);
    expect(figures.rows).toEqual([['delivered', 'false', 'true']]);
    const agreed = claimSection(model, 'sse-auto-reconnect').blocks.find((b) => b.kind === 'verdict') as { text: string };
    expect(agreed.text).toContain('Holds in Chromium and Firefox.');
  });

  it('lists each engine of the run with its version and settings', () => {
    const run = blocksOf({ ...model, sections: model.sections.filter((s) => s.id === 'run') }).find((b) => b.kind === 'table') as Table;
    expect(run.rows).toContainEqual(['Chromium', 'Chrome/156.0 (/usr/bin/chromium); --ignore-certificate-errors-spki-list']);
    expect(run.rows).toContainEqual([
      'Firefox',
      'firefox/153.8.0 (/usr/bin/firefox); acceptInsecureCerts in contexts that trust the lab certificate',
    ]);
    expect(model.subtitle).toContain('in real Chromium and Firefox');
  });
});

describe('the report of a run in one engine', () => {
  const model = buildModel(inputs(['firefox']));

  it('names only the engine the records came from, and the other as not run where a verdict needed it', () => {
    const shown = JSON.stringify([
      model.subtitle,
      model.charts.map((c) => [c.caption, c.config.data]),
      tables(model)
        .filter((t) => !t.head.includes('engines'))
        .map((t) => [t.caption, t.head, t.rows]),
    ]);
    expect(shown).toContain('Firefox');
    expect(shown).not.toContain('Chromium');
    expect(model.verdicts.find((v) => v.claim.id === 'sse-auto-reconnect')!.engines).toBe('Firefox only (Chromium not run)');
  });
});
