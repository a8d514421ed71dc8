/**
 * PNG copies of the report's charts, for the README: a headless browser (Chromium if there is one, else Firefox) opens
 * the report from disk with every network request refused, waits for chart.js to draw, and screenshots each chart.
 * Only the PNGs need a browser: without one they are skipped, saying so, and the report itself is still written.
 */
import { mkdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { ENGINES, findBrowser, installHint, LabBrowser } from '../lib/browser.ts';

export async function renderPngs(
  htmlPath: string,
  outDir: string,
  ids: string[],
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string[]> {
  // ENGINES lists Chromium first: the reference PNGs come from it.
  const engine = ENGINES.find((e) => findBrowser(e) !== undefined);
  if (!engine) {
    log(`lab: chart PNGs skipped: no browser found; install one with: ${installHint('chromium')}`);
    return [];
  }
  await mkdir(outDir, { recursive: true });
  const browser = await LabBrowser.launch(engine);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 800, deviceScaleFactor: 1.5 });
    await page.setRequestInterception(true);
    // The file and what it carries inline (Firefox reports data: URLs as requests too); nothing from the network.
    page.on('request', (request) => void (/^(file|data):/.test(request.url()) ? request.continue() : request.abort()));
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForFunction(() => document.documentElement.dataset.chartsDrawn !== undefined);
    // A PNG is the title and the chart: its caption is a fold a picture cannot open (the README prints captions itself).
    await page.addStyleTag({ content: 'figure.chart figcaption{display:none}' });
    // The shorter page can drop the scrollbar, which resizes every chart: chart.js redraws on the next frames.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(done)))));
    const written: string[] = [];
    for (const id of ids) {
      const figure = await page.$(`#fig-${id}`);
      if (!figure) continue;
      const path = `${outDir}/${id}.png` as const;
      await figure.screenshot({ path });
      written.push(path);
    }
    return written;
  } finally {
    await browser.close();
  }
}
