/**
 * The demo page in real Chromium: native EventSource, native WebSocket and socket.io's served
 * client all show the same feed; after the server destroys every socket, each panel reconnects
 * once and no seq is skipped (SSE by Last-Event-ID, ws by the page's own ?since=, socket.io by
 * connection state recovery).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from '../../scripts/lib/browser.ts';
import { startDemo, type Demo } from '../../servers/serve.ts';

describe.skipIf(!findChromium())('demo page in Chromium', () => {
  let browser: Browser;
  let demo: Demo;
  beforeAll(async () => {
    browser = await launchChromium();
    demo = await startDemo({ port: 0, rate: 20 });
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('shows all three transports, and each comes back from a drop with no gap', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(demo.url);
    const read = () =>
      page.$$eval('section', (sections) =>
        sections.map((s) => ({
          state: s.querySelector('.state')!.textContent,
          count: Number(s.querySelector('[data-k="count"]')!.textContent),
          reconnects: Number(s.querySelector('[data-k="reconnects"]')!.textContent),
          gaps: Number(s.querySelector('[data-k="gaps"]')!.textContent),
          symbols: s.querySelectorAll('tr').length,
        })),
      );
    await expect
      .poll(async () => (await read()).map((p) => p.count >= 10 && p.state === 'open'), { timeout: 20_000 })
      .toEqual([true, true, true]);
    await page.click('#drop');
    await expect.poll(async () => (await read()).map((p) => p.reconnects), { timeout: 20_000 }).toEqual([1, 1, 1]);
    const before = (await read()).map((p) => p.count);
    await expect.poll(async () => (await read()).every((p, i) => p.count > before[i]! + 10), { timeout: 20_000 }).toBe(true);
    const panels = await read();
    expect(panels.map((p) => p.gaps)).toEqual([0, 0, 0]);
    expect(panels.map((p) => p.symbols)).toEqual([10, 10, 10]);
    expect(errors).toEqual([]);
  });
});
