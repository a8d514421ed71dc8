/**
 * The demo page in real Chromium and real Firefox: native EventSource (over HTTP/1.1, and over HTTP/2 to an https
 * origin the browser trusts: Chromium by the lab certificate's SPKI hash, Firefox by acceptInsecureCerts), native
 * WebSocket and socket.io's served client all show the same feed; after the server destroys every socket, each panel
 * reconnects once and no seq is skipped (SSE by Last-Event-ID, ws by the page's own ?since=, socket.io by connection
 * state recovery), and each panel draws its latency line and logs the frames it received. The page asks nothing of any
 * host but the lab's own, and throws no error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_NAME, ENGINES, LabBrowser } from '../../scripts/lib/browser.ts';
import { startDemo, type Demo } from '../../servers/serve.ts';
import { BROWSER_TRANSPORTS } from '../../servers/transports.ts';

describe.each(ENGINES)('demo page in %s', (engine) => {
  let browser: LabBrowser;
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo({ port: 0, rate: 20 });
    // The page is plain http; sse-h2 is always https, with the lab certificate.
    browser = await LabBrowser.launch(engine, { labSpki: demo.spki });
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('shows every browser transport, and each comes back from a drop with no gap', async () => {
    expect(demo.spki).toBeDefined();
    const context = await browser.newContext('lab');
    const page = await context.newPage();
    const errors: string[] = [];
    const requested = new Set<string>();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requested.add(r.url()));
    await page.goto(demo.url);
    const read = () =>
      page.$$eval('section', (sections) =>
        sections.map((s) => ({
          transport: s.dataset.transport,
          state: s.querySelector('.state')!.textContent,
          count: Number(s.querySelector('[data-k="count"]')!.textContent),
          reconnects: Number(s.querySelector('[data-k="reconnects"]')!.textContent),
          gaps: Number(s.querySelector('[data-k="gaps"]')!.textContent),
          symbols: s.querySelectorAll('tr').length,
          sparkPoints: (s.querySelector('.spark polyline')!.getAttribute('points') ?? '').split(' ').filter(Boolean).length,
          frames: [...s.querySelectorAll('ol.frames li')].map((li) => li.textContent ?? ''),
        })),
      );
    const each = <T>(value: T) => BROWSER_TRANSPORTS.map(() => value);
    expect((await read()).map((p) => p.transport)).toEqual(BROWSER_TRANSPORTS);
    await expect.poll(async () => (await read()).map((p) => p.count >= 10 && p.state === 'open'), { timeout: 20_000 }).toEqual(each(true));
    // The page's streams reached every server: the HTTP/2 one can be spoken to in nothing but HTTP/2.
    for (const server of demo.servers) expect(server.stats.connections, server.transport).toBeGreaterThan(0);
    await page.click('#drop');
    await expect.poll(async () => (await read()).map((p) => p.reconnects), { timeout: 20_000 }).toEqual(each(1));
    const before = (await read()).map((p) => p.count);
    await expect.poll(async () => (await read()).every((p, i) => p.count > before[i]! + 10), { timeout: 20_000 }).toBe(true);
    const panels = await read();
    expect(panels.map((p) => p.gaps)).toEqual(each(0));
    expect(panels.map((p) => p.symbols)).toEqual(each(10));
    // The live views: a latency line (up to the last 60 quotes), and the last frames each transport received, quotes among them.
    expect(panels.map((p) => p.sparkPoints >= 10)).toEqual(each(true));
    for (const p of panels)
      expect(
        p.frames.some((f) => /"seq":\d+/.test(f)),
        p.transport,
      ).toBe(true);
    expect(errors, ENGINE_NAME[engine]).toEqual([]);
    // Only the lab's own servers on loopback (Firefox also reports the page's inline favicon, `data:,`, as a request): no CDN.
    const external = [...requested].filter(
      (url) => !url.startsWith('data:') && !['127.0.0.1', 'localhost'].includes(new URL(url).hostname),
    );
    expect(external).toEqual([]);
    await context.close();
  });
});
