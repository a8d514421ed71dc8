/**
 * The report's "Article A's code, run" and "Article B's code, run": the articles' code quoted from scenarios/articles/,
 * the changes list equal to the files' `// lab:` lines, a "What happened" cell per engine read from the records of
 * scenario `articles` (built here, shaped as the scenario writes them), "not run" for a case with no record, and a
 * "What it means" that names each engine where they differ. The sections sit after the claims and in the Markdown.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportInputs, scenarioRecord } from './helpers.ts';
import type { Json, ScenarioRecord, ScenariosFile } from '../scenarios/types.ts';
import type { Engine } from '../scripts/lib/browser.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { articlesSections } from '../scripts/report/articles-section.ts';
import type { Block, Section } from '../scripts/report/blocks.ts';
import type { ReportInputs } from '../scripts/report/inputs.ts';
import { renderMarkdown } from '../scripts/report/markdown.ts';
import { buildModel } from '../scripts/report/model.ts';

type Table = Extract<Block, { kind: 'table' }>;
const DIR = 'scenarios/articles/';

/** A record of scenario `articles` (its cases are all `sse`). */
const record = (kase: string, engine: Engine | undefined, setup: { [k: string]: Json }, observed: ScenarioRecord['observed']) =>
  scenarioRecord('articles', 'sse', kase, engine, setup, observed);

const CORS_LINE = "Access to resource at 'x' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header …";

/** Every case of the scenario in both engines, except the corrected article A (left out, to show "not run"). */
function records(): ScenarioRecord[] {
  const both = (f: (e: Engine) => ScenarioRecord) => (['chromium', 'firefox'] as const).map(f);
  return [
    ...both((e) =>
      record(
        'article-a-as-written',
        e,
        { watchMs: 3000 },
        {
          readyState: 2,
          counts: { messages: 0, requests: 1 },
          facts: { client: 'EventSource', delivered: false, console: e === 'chromium' ? [CORS_LINE] : [] },
        },
      ),
    ),
    ...both((e) =>
      record(
        'article-a-polyfill',
        e,
        { watchMs: 3000 },
        { readyState: 0, counts: { messages: 0, requests: 2 }, facts: { client: 'EventSourcePolyfill' } },
      ),
    ),
    ...both((e) =>
      record(
        'article-a-same-origin-drop',
        e,
        { retryMs: 10000, clientId: '42' },
        {
          readyState: 1,
          counts: { messages: 5, missed: e === 'chromium' ? 10 : 11 },
          facts: {
            lastEventIdBeforeDrop: e === 'chromium' ? '42' : '',
            lastEventIdSent: e === 'chromium' ? '42' : null,
            reconnectDelayMs: e === 'chromium' ? 10009.1 : 11104.2,
          },
        },
      ),
    ),
    ...both((e) =>
      record(
        'article-b-as-written',
        e,
        { retryMs: 20000 },
        {
          counts: { onmessage: 0, serverTimeListener: 4 },
          facts: { lastEventIdSent: '3', reconnectDelayMs: 20010, firstIdAfterReconnect: '1' },
        },
      ),
    ),
    record('article-b-polyfill', 'chromium', {}, { counts: { onmessage: 0, serverTimeListener: 3 } }),
    { ...record('article-b-polyfill', 'firefox', {}, {}), status: 'not-run', reason: 'lab: no Firefox' },
    record(
      'article-b-wire',
      undefined,
      {},
      {
        facts: {
          statusLine: 'HTTP/1.1 200 OK',
          transferEncoding: 'identity',
          firstWrite: ':ok\n\n',
          bodyStart: ':ok\n\nevent: server-time\n',
        },
      },
    ),
    record(
      'ssestream-falsy-fields',
      undefined,
      {},
      { facts: { messages: ['{"id":0,"retry":0,"data":0}', '{"id":1,"data":"one"}'], written: ':ok\n\n\nid: 1\ndata: one\n\n' } },
    ),
  ];
}

function inputs(list: ScenarioRecord[] | null): ReportInputs {
  const scenarios = list && ({ meta: null, browsers: [], scenarios: [], records: list } as unknown as ScenariosFile);
  return reportInputs({ scenarios });
}

const codes = (s: Section) => s.blocks.filter((b): b is Extract<Block, { kind: 'code' }> => b.kind === 'code');
const lists = (s: Section) => s.blocks.filter((b): b is Extract<Block, { kind: 'list' }> => b.kind === 'list');
const tables = (s: Section) => s.blocks.filter((b): b is Table => b.kind === 'table');
const meaning = (s: Section) => s.blocks.find((b) => b.kind === 'p' && b.text.startsWith('**What it means.**')) as { text: string };
/** The cells of one observation of one case: the row's engine columns. */
function cells(table: Table, kase: string, label: string): string[] {
  const start = table.rows.findIndex((r) => String(r[0]).includes(`\`${kase}\``));
  expect(start, kase).toBeGreaterThanOrEqual(0);
  const row = table.rows.slice(start).find((r, i) => r[1] === label && (i === 0 || r[0] === ''));
  expect(row, `${kase}: ${label}`).toBeDefined();
  return row!.slice(2).map(String);
}
/** The file's lines that carry a `// lab:` comment. */
const labLines = (file: string) =>
  readFileSync(`${ROOT}${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.includes('// lab:'));

describe('the articles’ code, run', () => {
  const [a, b] = articlesSections(inputs(records()));

  it('makes one section per article, linked to its claims', () => {
    expect([a!.id, b!.id]).toEqual(['article-a-code', 'article-b-code']);
    expect(JSON.stringify(a!.blocks)).toContain('(#claim-seed-credentials-with-wildcard-cors)');
    expect(JSON.stringify(a!.blocks)).toContain('(#claim-sse-auto-reconnect)');
    expect(JSON.stringify(b!.blocks)).toContain('(#claim-sse-named-events-need-listener)');
  });

  it('quotes the code as the article describes it and the corrected version, from the files', () => {
    const where = (s: Section) => codes(s).map((c) => [c.file, c.code.split('\n')[0]!.trim()]);
    expect(where(a!)).toEqual([
      [`${DIR}article-a-server.ts`, '// BEGIN article-a'],
      [`${DIR}article-clients.js`, '// BEGIN article-a-client'],
      [`${DIR}article-a-corrected.ts`, '// BEGIN article-a-corrected'],
      [`${DIR}article-clients.js`, '// BEGIN article-a-corrected-client'],
    ]);
    expect(where(b!)).toEqual([
      [`${DIR}article-b-server.ts`, '// BEGIN article-b'],
      [`${DIR}article-clients.js`, '// BEGIN article-b-client'],
      [`${DIR}article-clients.js`, '// BEGIN article-b-corrected-client'],
    ]);
    for (const c of [...codes(a!), ...codes(b!)]) expect(c.code.split('\n').at(-1)!.trim()).toMatch(/^\/\/ END article-/);
    expect(codes(a!)[0]!.code).toContain("'Access-Control-Allow-Origin': '*'");
    expect(codes(b!)[1]!.code).toContain('es.onmessage');
  });

  it('lists exactly the lines the lab changed: each `// lab:` line of the server, then the client wrapper', () => {
    for (const [section, server, fn] of [
      [a!, 'article-a-server.ts', 'articleAClient(url)'],
      [b!, 'article-b-server.ts', 'articleBClient()'],
    ] as const) {
      const items = lists(section)[0]!.items;
      const lab = labLines(`${DIR}${server}`);
      expect(lab.length).toBeGreaterThan(0);
      expect(items).toHaveLength(lab.length + 1);
      lab.forEach((line, i) => {
        const [code, why] = line.split('// lab:');
        if (code!.trim()) expect(items[i]).toContain(code!.trim());
        expect(items[i]!.endsWith(why!.trim())).toBe(true);
      });
      expect(items.at(-1)).toMatch(new RegExp(`^\`function ${fn.replace(/[()]/g, '\\$&')} \\{ … return es; \\}\`: so the lab can call it`));
    }
  });

  it('reads each engine’s cell from its record', () => {
    const [happenedA] = tables(a!);
    expect(happenedA!.head).toEqual(['case', 'observation', 'Chromium', 'Firefox']);
    expect(cells(happenedA!, 'article-a-as-written', 'messages received')).toEqual(['0', '0']);
    expect(cells(happenedA!, 'article-a-as-written', 'readyState at the end')).toEqual(['2 CLOSED', '2 CLOSED']);
    expect(cells(happenedA!, 'article-a-as-written', "the console's CORS message")).toEqual([
      CORS_LINE,
      'none, as the lab reads this engine’s console',
    ]);
    expect(cells(happenedA!, 'article-a-polyfill', "constructor the article's code picked")).toEqual([
      'EventSourcePolyfill',
      'EventSourcePolyfill',
    ]);
    expect(cells(happenedA!, 'article-a-same-origin-drop', "the page's last event id before the drop")).toEqual(['42', 'empty']);
    expect(cells(happenedA!, 'article-a-same-origin-drop', 'Last-Event-ID sent on the reconnect')).toEqual(['42', 'none']);
    expect(cells(happenedA!, 'article-a-same-origin-drop', 'reconnected after')).toEqual([
      '10009 ms (`retry: 10000`)',
      '11104 ms (`retry: 10000`)',
    ]);
    expect(cells(happenedA!, 'article-a-same-origin-drop', 'messages missed across the drop')).toEqual(['10', '11']);
    const [happenedB, wire] = tables(b!);
    expect(cells(happenedB!, 'article-b-as-written', '`server-time` events (the lab’s listener)')).toEqual(['4', '4']);
    expect(cells(happenedB!, 'article-b-as-written', 'first id after the reconnect')).toEqual(['1', '1']);
    expect(wire!.head).toEqual(['case', 'observation', 'Node']);
    expect(cells(wire!, 'article-b-wire', 'first write')).toEqual(['`:ok\\n\\n`']);
    expect(cells(wire!, 'ssestream-falsy-fields', 'what it wrote')).toEqual(['`:ok\\n\\n\\nid: 1\\ndata: one\\n\\n`']);
  });

  it('shows "not run" for a case with no record or a not-run record, a column only per engine used, and never throws', () => {
    const [happenedA] = tables(a!);
    expect(cells(happenedA!, 'article-a-corrected-drop', 'delivered cross-origin')).toEqual(['not run', 'not run']);
    expect(cells(tables(b!)[0]!, 'article-b-polyfill', '`onmessage` calls (the article’s handler)')).toEqual(['0', 'not run']);
    expect(meaning(a!).text).toContain('`article-a-corrected-drop`: not run');
    const chromiumOnly = articlesSections(inputs(records().filter((r) => r.engine !== 'firefox')));
    expect(tables(chromiumOnly[0]!)[0]!.head).toEqual(['case', 'observation', 'Chromium']);
    for (const s of chromiumOnly) {
      for (const t of tables(s)) expect(JSON.stringify([t.caption, t.head])).not.toContain('Firefox');
      expect(meaning(s).text).not.toContain('Firefox');
    }
    const empty = articlesSections(inputs(null));
    for (const s of empty) for (const t of tables(s)) for (const r of t.rows) expect(r.slice(2)).toEqual(r.slice(2).map(() => 'not run'));
  });

  it('says what it means from the records, naming each engine where they differ', () => {
    const textA = meaning(a!).text;
    expect(textA).toContain('nothing arrived in Chromium and Firefox');
    expect(textA).toContain('Chromium sent Last-Event-ID 42');
    expect(textA).toContain('(`retry: 10000\\nid: 42\\n\\n`)');
    expect(textA).toContain('Firefox sent none');
    expect(textA).toContain('10 in Chromium and 11 in Firefox');
    const same = records().map((r) =>
      r.case === 'article-a-same-origin-drop'
        ? { ...r, observed: { ...r.observed, facts: { ...r.observed.facts, lastEventIdSent: '42' } } }
        : r,
    );
    const textSame = meaning(articlesSections(inputs(same))[0]!).text;
    expect(textSame).toContain('Chromium and Firefox sent Last-Event-ID 42');
    expect(textSame).not.toContain('sent none');
    const textB = meaning(b!).text;
    expect(textB).toContain('`onmessage` never fired, in Chromium');
    expect(textB).toContain('began at id 1 in Chromium and Firefox: the server ignores Last-Event-ID');
    expect(textB).toContain('`:ok\\n\\n`');
    expect(textB).toContain('it left out `id: 0`, `retry: 0` and `data: 0`');
  });

  it('places the sections right after the claims, and carries them in the Markdown', () => {
    const model = buildModel(inputs(records()));
    const ids = model.sections.map((s) => s.id);
    const lastClaim = ids.findLastIndex((id) => id.startsWith('claim-'));
    expect(ids.slice(lastClaim + 1, lastClaim + 3)).toEqual(['article-a-code', 'article-b-code']);
    const md = renderMarkdown(model, null, 'test run');
    expect(md).toContain('<a id="article-a-code"></a>');
    expect(md).toContain("## Article B's code, run");
    expect(md).toContain('// BEGIN article-b-corrected-client');
  });
});
