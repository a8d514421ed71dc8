/**
 * PNG copies of the report's charts, for the README: headless Chromium opens the report from
 * disk with every network request refused, waits for chart.js to draw, and screenshots each chart.
 */
import { mkdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../lib/browser.ts';

export async function renderPngs(htmlPath: string, outDir: string, ids: string[]): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1.5 });
    await page.route(
      (url) => url.protocol !== 'file:',
      (route) => route.abort(),
    );
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForFunction(() => document.documentElement.dataset.chartsDrawn !== undefined);
    const written: string[] = [];
    for (const id of ids) {
      const figure = page.locator(`#fig-${id}`);
      if ((await figure.count()) === 0) continue;
      const path = `${outDir}/${id}.png`;
      await figure.screenshot({ path });
      written.push(path);
    }
    return written;
  } finally {
    await browser.close();
  }
}
