/**
 * The report generator on the committed example results: the HTML holds every claim id and its
 * verdict; Chromium and Firefox each open it from disk with no console errors, no network request, and every
 * chart canvas drawn (non-blank pixels), with the min–max whiskers of a repeated load run, and no horizontal scrolling on
 * a 390 px phone screen; the decision guide in the first screen and at most 5,000 words in view with every fold closed;
 * report.md carries the same verdicts as claims.json and the same load sections as the HTML.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, LabBrowser } from '../../scripts/lib/browser.ts';
import type { AbuseFile } from '../../scripts/abuse/types.ts';
import { CLAIMS, writeClaims, type ClaimsFile } from '../../scripts/lib/claims.ts';
import type { FuzzResults } from '../../scripts/fuzz/types.ts';
import type { LoadResults } from '../../scripts/load/types.ts';
import { buildReport, type ReportOutput } from '../../scripts/report/build.ts';
import { ROOT } from '../../scripts/lib/paths.ts';

const FIXTURES = {
  'claims.json': 'example-claims.json',
  'scenarios.json': 'example-scenarios.json',
  'load.json': 'example-load.json',
  'load-tls.json': 'example-load-tls.json',
  'load-proxy.json': 'example-load-proxy.json',
  'load-cluster.json': 'example-load-cluster.json',
  'wire.json': 'example-wire.json',
  'abuse.json': 'example-abuse.json',
  'fuzz.json': 'example-fuzz.json',
};

/** The example results in a folder of their own, load.json from `load` (a schema-3 run repeated or not), and its report. */
async function build(load: string): Promise<{ dir: string; out: ReportOutput }> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-report-'));
  for (const [name, fixture] of Object.entries({ ...FIXTURES, 'load.json': load }))
    await copyFile(join(ROOT, 'test/fixtures', fixture), join(dir, name));
  // As in a real run: the scenarios write their verdicts, then the load runner adds its own.
  const results = JSON.parse(await readFile(join(dir, 'load.json'), 'utf8')) as LoadResults;
  await writeClaims([results.claim], join(dir, 'claims.json'));
  return { dir, out: await buildReport({ resultsDir: dir, outDir: dir, png: false }) };
}

describe('report', () => {
  let dir: string;
  let out: ReportOutput;
  let claims: ClaimsFile;
  /** The example load run has 2 runs per step: its charts draw min–max whiskers. */
  let repeated: { dir: string; out: ReportOutput };
  beforeAll(async () => {
    ({ dir, out } = await build(FIXTURES['load.json']));
    claims = JSON.parse(await readFile(join(dir, 'claims.json'), 'utf8')) as ClaimsFile;
    repeated = { dir, out };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names every claim and its verdict, and the Markdown agrees with claims.json', async () => {
    const html = await readFile(out.html, 'utf8');
    const markdown = await readFile(out.markdown, 'utf8');
    expect(out.missing).toEqual([]);
    // The decision guide before it links to claims too: the verdict rows are read from the Verdicts table on.
    const verdictTable = markdown.slice(markdown.indexOf('## Verdicts'));
    for (const claim of CLAIMS) {
      const verdict = claims.claims[claim.id]?.verdict;
      expect(verdict, claim.id).toBeDefined();
      expect(html).toContain(`id="claim-${claim.id}"`);
      const section = html.slice(html.indexOf(`id="claim-${claim.id}"`));
      expect(section).toMatch(new RegExp(`^[^]*?<span class="verdict ${verdict}">`));
      const row = verdictTable.split('\n').find((line) => line.includes(`#claim-${claim.id})`));
      expect(row, claim.id).toContain(`| **${verdict}** |`);
    }
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/cdn/);
  });

  it('explains SSE p99, lists the checks, cores and runs, in the HTML and the Markdown alike', async () => {
    const html = await readFile(repeated.out.html, 'utf8');
    const markdown = await readFile(repeated.out.markdown, 'utf8');
    const load = JSON.parse(await readFile(join(repeated.dir, 'load.json'), 'utf8')) as LoadResults;
    expect(html).toMatch(/<section id="sse-p99"><h2>(Why is|Is) SSE&#39;s p99 at 20 clients higher\?<\/h2>/);
    expect(markdown).toMatch(/## (Why is|Is) SSE's p99 at 20 clients higher\?/);
    for (const text of [html, markdown]) {
      expect(text).toContain('server fan-out ms per quote');
      expect(text).toContain('Cores and pinning:');
      expect(text).toContain('each step ran 2 times');
      for (const check of load.checks) expect(text).toContain(check.stepId);
    }
    // Every chart is drawn once; the load section links to the ones drawn in a claim's section.
    expect(html.match(/<canvas /g)?.length).toBe(repeated.out.model.charts.length);
  });

  it('shows every attack and every fuzzed surface in the reliability section', async () => {
    const abuse = JSON.parse(await readFile(join(dir, 'abuse.json'), 'utf8')) as AbuseFile;
    const fuzz = JSON.parse(await readFile(join(dir, 'fuzz.json'), 'utf8')) as FuzzResults;
    const section = out.model.sections.find((s) => s.id === 'reliability');
    expect(section).toBeDefined();
    const text = JSON.stringify(section);
    for (const record of abuse.records) expect(text).toContain(`\`${record.id}\``);
    for (const surface of fuzz.surfaces) expect(text).toContain(surface.name);
    expect(text).toContain(`${fuzz.totalInputs} inputs`);
  });

  it('puts the decision guide in the first screen and keeps the main text, folds closed, within 5,000 words', async () => {
    const browser = await LabBrowser.launch('chromium');
    try {
      const page = await browser.newPage();
      for (const [width, height] of [
        [1280, 800],
        [390, 844],
      ] as const) {
        await page.setViewport({ width, height });
        await page.goto(pathToFileURL(out.html).href);
        const view = await page.evaluate(() => ({
          guideTop: document.querySelector('#decision-guide h2')!.getBoundingClientRect().top,
          openFolds: document.querySelectorAll('details[open]').length,
          // innerText leaves out what closed <details> hide: the words a student reads without opening anything.
          // biome-ignore lint/performance/useDomNodeTextContent: textContent would count the closed folds too
          words: document.body.innerText.match(/\S+/g)?.length ?? 0,
        }));
        expect(view.guideTop, `${width} px`).toBeLessThan(height);
        expect(view.openFolds).toBe(0);
        expect(view.words).toBeGreaterThan(1000);
        expect(view.words).toBeLessThanOrEqual(5000);
      }
    } finally {
      await browser.close();
    }
  });

  it.each(ENGINES)(
    'fits a 390 px phone screen in %s with every block open: wide tables and code scroll in their own box',
    async (engine) => {
      const browser = await LabBrowser.launch(engine);
      try {
        const page = await browser.newPage();
        await page.setViewport({ width: 390, height: 844 });
        await page.goto(pathToFileURL(out.html).href);
        await page.waitForFunction(() => document.documentElement.dataset.chartsDrawn !== undefined);
        const layout = await page.evaluate(() => {
          for (const d of document.querySelectorAll('details')) d.open = true;
          const tables = [...document.querySelectorAll('table')];
          return {
            pageWidth: document.documentElement.scrollWidth,
            viewport: document.documentElement.clientWidth,
            tables: tables.length,
            tablesInScrollBox: tables.filter((t) => t.parentElement?.classList.contains('scroll')).length,
          };
        });
        expect(layout.tables).toBeGreaterThan(0);
        expect(layout.tablesInScrollBox).toBe(layout.tables);
        expect(layout.pageWidth).toBeLessThanOrEqual(layout.viewport);
      } finally {
        await browser.close();
      }
    },
  );

  it.each(ENGINES)('opens offline in %s with no errors, no requests, and every chart drawn', async (engine) => {
    const browser = await LabBrowser.launch(engine);
    try {
      for (const report of [out]) {
        const page = await browser.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
        page.on('pageerror', (e) => problems.push(String(e)));
        // Any request for something not in the file itself (Firefox reports its data: URLs as requests too) is noted and
        // refused: the report must not need the network.
        await page.setRequestInterception(true);
        page.on('request', (r) => {
          if (/^(file|data):/.test(r.url())) return void r.continue();
          requests.push(r.url());
          void r.abort();
        });
        await page.goto(pathToFileURL(report.html).href);
        await page.waitForFunction(() => document.documentElement.dataset.chartsDrawn !== undefined);
        const canvases = await page.$$eval('canvas', (list) =>
          list.map((canvas) => {
            const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
            return { id: canvas.id, painted, whiskers: Number(canvas.dataset.whiskers ?? 0) };
          }),
        );
        expect(canvases.length).toBe(report.model.charts.length);
        expect(canvases.length).toBeGreaterThan(0);
        for (const c of canvases) expect(c.painted, c.id).toBeGreaterThan(100);
        // The whiskers the labMarks plugin drew: one per repeated point of the load charts.
        if (report === repeated.out) {
          const whiskers = Object.fromEntries(canvases.map((c) => [c.id, c.whiskers]));
          const specs = report.model.charts.filter((c) => c.config.data.datasets.some((d) => d.whiskers?.some((w) => w !== null)));
          expect(specs.map((c) => c.id)).toContain('latency-vs-clients');
          for (const spec of specs) expect(whiskers[spec.id], spec.id).toBeGreaterThan(0);
        }
        expect(problems).toEqual([]);
        expect(requests).toEqual([]);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });
});
