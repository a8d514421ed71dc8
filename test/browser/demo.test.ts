/**
 * The demo page in real Chromium and real Firefox: native EventSource (over HTTP/1.1, and over HTTP/2 to an https
 * origin the browser trusts: Chromium by the lab certificate's SPKI hash, Firefox by acceptInsecureCerts), native
 * WebSocket and socket.io's served client all show the same feed; after the server destroys every socket, each panel
 * reconnects once and no seq is skipped (SSE by Last-Event-ID, ws by the page's own ?since=, socket.io by connection
 * state recovery), and each panel draws its latency line and logs the frames it received. The page asks nothing of any
 * host but the lab's own, and throws no error.
 *
 * Then the guided tour's controls, in both engines, asserted on counts, states and bytes (the one figure read from
 * arrival times is stock nginx's burst, dozens of quotes at once against a threshold of 5): the binary
 * switch (and back) keeps every panel counting with no gap, ws sending 32 bytes a quote; the foreign page gets nothing
 * and every server counts its refusal; nginx missing shows its install hint; nginx tuned carries every HTTP/1.1 panel
 * with no gap, stock refuses the WebSocket upgrade and buffers the header-less SSE server's stream into bursts, and
 * its processes are gone once toggled off; in a 2-node cluster per transport a killed node costs SSE and ws nothing and
 * socket.io its session (recovery fails, quotes lost); a page from another origin cannot press the controls; after
 * close() no nginx, Redis or node process is left.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_NAME, ENGINES, LabBrowser, type LabContext } from '../../scripts/lib/browser.ts';
import { startDemo, type Demo } from '../../servers/serve.ts';
import { BROWSER_TRANSPORTS } from '../../servers/transports.ts';

const read = (page: Page) =>
  page.$$eval('section', (sections) =>
    sections.map((s) => ({
      id: s.dataset.id!,
      transport: s.dataset.transport,
      url: s.dataset.url ?? '',
      state: s.querySelector('.state')!.textContent,
      count: Number(s.querySelector('[data-k="count"]')!.textContent),
      reconnects: Number(s.querySelector('[data-k="reconnects"]')!.textContent),
      gaps: Number(s.querySelector('[data-k="gaps"]')!.textContent),
      resets: Number(s.querySelector('[data-k="resets"]')!.textContent),
      bytes: s.querySelector('[data-k="bytes"]')!.textContent ?? '',
      burst: Number(s.querySelector('[data-k="burst"]')!.textContent) || 0,
      symbols: s.querySelectorAll('tr').length,
      sparkPoints: (s.querySelector('.spark polyline')!.getAttribute('points') ?? '').split(' ').filter(Boolean).length,
      frames: [...s.querySelectorAll('ol.frames li')].map((li) => li.textContent ?? ''),
    })),
  );
type Panel = Awaited<ReturnType<typeof read>>[number];
const byId = (panels: Panel[]) => Object.fromEntries(panels.map((p) => [p.id, p]));
/** A panel's bytes/message, `44 (base64)`, as a number. */
const bytesOf = (text: string) => Number(text.split(' ')[0]);
const each = <T>(value: T) => BROWSER_TRANSPORTS.map(() => value);

/** Resolves once every listed panel received `more` quotes beyond what it had at the call. */
async function countsRise(page: Page, ids: readonly string[], more = 10, message?: string): Promise<void> {
  const before = byId(await read(page));
  await expect
    .poll(
      async () => {
        const now = byId(await read(page));
        return ids.filter((id) => (now[id]?.count ?? 0) > (before[id]?.count ?? 0) + more);
      },
      { timeout: 30_000, ...(message ? { message } : {}) },
    )
    .toEqual([...ids]);
}

/** A process still running: in /proc and not a zombie (exited, its status not collected yet by whoever adopted it). */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

describe.each(ENGINES)('demo page in %s', (engine) => {
  let browser: LabBrowser;
  let demo: Demo;
  let context: LabContext;
  let page: Page;
  const errors: string[] = [];
  const requested = new Set<string>();
  let clusterPids: number[] = [];
  let stockHosts: string[] = [];
  let closed = false;
  beforeAll(async () => {
    demo = await startDemo({ port: 0, rate: 20 });
    // The page is plain http; sse-h2 is always https, with the lab certificate.
    browser = await LabBrowser.launch(engine, { labSpki: demo.spki });
    context = await browser.newContext('lab');
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requested.add(r.url()));
  });
  afterAll(async () => {
    if (closed) return;
    await browser?.close();
    await demo?.close();
  });

  it('shows every browser transport, and each comes back from a drop with no gap', async () => {
    expect(demo.spki).toBeDefined();
    await page.goto(demo.url);
    await expect.poll(async () => (await read(page)).map((p) => p.transport)).toEqual(BROWSER_TRANSPORTS);
    await expect
      .poll(async () => (await read(page)).map((p) => p.count >= 10 && p.state === 'open'), { timeout: 20_000 })
      .toEqual(each(true));
    // The page's streams reached every server: the HTTP/2 one can be spoken to in nothing but HTTP/2.
    for (const server of demo.servers) expect(server.stats.connections, server.transport).toBeGreaterThan(0);
    await page.click('#drop');
    await expect.poll(async () => (await read(page)).map((p) => p.reconnects), { timeout: 20_000 }).toEqual(each(1));
    await countsRise(page, BROWSER_TRANSPORTS);
    const panels = await read(page);
    expect(panels.map((p) => p.gaps)).toEqual(each(0));
    expect(panels.map((p) => p.symbols)).toEqual(each(10));
    // The live views: a latency line (up to the last 60 quotes), and the last frames each transport received, quotes among them.
    expect(panels.map((p) => p.sparkPoints >= 10)).toEqual(each(true));
    for (const p of panels)
      expect(
        p.frames.some((f) => /"seq":\d+/.test(f)),
        p.transport,
      ).toBe(true);
  });

  it('switches every panel to binary and back with no gap; ws sends fewer bytes a quote', async () => {
    const text = byId(await read(page));
    expect(text.ws!.bytes).toMatch(/^\d+ \(json\)$/);
    await page.click('#binary');
    // Each panel's bytes say the format it now receives: ws binary frames, SSE base64 text, socket.io header + attachment.
    const formats = { sse: 'base64', 'sse-h2': 'base64', ws: 'binary', socketio: 'binary' };
    await expect
      .poll(async () => (await read(page)).map((p) => p.bytes.split(' (')[1]), { timeout: 20_000 })
      .toEqual(BROWSER_TRANSPORTS.map((t) => `${formats[t]})`));
    await countsRise(page, BROWSER_TRANSPORTS);
    const binary = byId(await read(page));
    expect(bytesOf(binary.ws!.bytes)).toBe(32); // the documented layout, no padding
    expect(bytesOf(binary.ws!.bytes)).toBeLessThan(bytesOf(text.ws!.bytes));
    expect(bytesOf(binary.sse!.bytes)).toBeLessThan(bytesOf(text.sse!.bytes)); // 44 base64 chars < JSON
    expect(binary.ws!.frames.some((f) => /binary frame, 32 bytes: [0-9a-f]{2} /.test(f))).toBe(true);
    expect(binary.socketio!.frames.some((f) => /binary attachment, 32 bytes/.test(f))).toBe(true);
    await page.click('#binary');
    await expect.poll(async () => (await read(page)).map((p) => p.bytes.endsWith('(json)')), { timeout: 20_000 }).toEqual(each(true));
    await countsRise(page, BROWSER_TRANSPORTS);
    const back = await read(page);
    expect(back.map((p) => [p.transport, p.gaps])).toEqual(BROWSER_TRANSPORTS.map((t) => [t, 0]));
    // A switch is not a reconnect: only the drop's one.
    expect(back.map((p) => p.reconnects)).toEqual(each(1));
  });

  it('the foreign page gets nothing: every panel shows its refusal, every server counts it', async () => {
    const refusedBefore = demo.servers.map((s) => s.stats.refused);
    const foreign = await context.newPage();
    await foreign.goto(demo.foreignUrl);
    expect(new URL(demo.foreignUrl).origin).not.toBe(new URL(demo.url).origin);
    await expect.poll(async () => (await read(foreign)).map((p) => p.state), { timeout: 20_000 }).toEqual(each('refused'));
    // Refusals counted by the servers themselves: a CORS 403, an upgrade answered 403, a refused engine.io handshake.
    await expect.poll(() => demo.servers.map((s, i) => s.stats.refused > refusedBefore[i]!), { timeout: 10_000 }).toEqual(each(true));
    const panels = byId(await read(foreign));
    expect(Object.values(panels).map((p) => p.count)).toEqual(each(0));
    // What the page could see of each refusal, in the frame logs (drawn every 250 ms).
    await expect
      .poll(async () => {
        const { ws, socketio } = byId(await read(foreign));
        return [ws!.frames.some((f) => /close 1006 before open/.test(f)), socketio!.frames.some((f) => /connect_error/.test(f))];
      })
      .toEqual([true, true]);
    expect(await foreign.$eval('#foreign-banner', (b) => (b as HTMLElement).hidden)).toBe(false);
    await foreign.close();
  });

  it('nginx: tuned passes everything on, stock refuses ws and buffers SSE without the header', async () => {
    // Bad input: 400 or 405 and what to send instead.
    const post = (path: string, method = 'POST', headers: Record<string, string> = {}) =>
      fetch(new URL(path, demo.url), { method, headers }).then(async (r) => [r.status, await r.text()]);
    expect(await post('/nginx?profile=h3')).toEqual([400, expect.stringMatching(/use stock, tuned or off/)]);
    expect(await post('/nginx', 'GET')).toEqual([405, expect.stringMatching(/takes POST/)]);
    expect(await post('/cluster/kill')).toEqual([409, expect.stringMatching(/POST \/cluster first/)]);
    // Another origin's page cannot press the controls (a POST needs no preflight): refused, nothing started or dropped.
    const foreign = { Origin: new URL(demo.foreignUrl).origin };
    expect(await post('/cluster', 'POST', foreign)).toEqual([403, expect.stringMatching(/may not use the demo's controls/)]);
    expect(await post('/nginx?profile=tuned', 'POST', foreign)).toEqual([403, expect.any(String)]);
    expect((await post('/drop', 'POST', foreign))[0]).toBe(403);
    expect(demo.controls.running()).toEqual({ nginx: [], clusters: [] });
    // nginx missing: the page shows the one-line install hint and the demo goes on.
    process.env.LAB_NGINX = '/nonexistent/nginx';
    try {
      await page.select('#nginx', 'tuned');
      await expect.poll(() => page.$eval('#status', (s) => s.textContent), { timeout: 10_000 }).toMatch(/apt-get install -y nginx/);
    } finally {
      delete process.env.LAB_NGINX;
    }
    expect(await page.$eval('#nginx', (s) => (s as HTMLSelectElement).value)).toBe('off');

    await page.select('#nginx', 'tuned');
    await expect.poll(() => demo.controls.running().nginx.length, { timeout: 15_000 }).toBe(4);
    const tuned = demo.controls.running().nginx;
    const tunedPids = tuned.flatMap((n) => n.processes());
    const proxied = ['sse', 'ws', 'socketio', 'sse-bare'];
    await expect
      .poll(
        async () =>
          (await read(page)).filter((p) => tuned.some((n) => p.url.startsWith(n.url.split('/').slice(0, 3).join('/')))).map((p) => p.id),
        {
          timeout: 15_000,
        },
      )
      .toEqual(proxied);
    await countsRise(page, proxied);
    const before = byId(await read(page));
    expect(before['sse-h2']!.url).toBe(demo.servers.find((s) => s.transport === 'sse-h2')!.url); // not proxiable: stays direct
    expect(BROWSER_TRANSPORTS.map((t) => before[t]!.gaps)).toEqual(each(0));

    await page.select('#nginx', 'stock');
    await expect.poll(() => demo.controls.running().nginx.map((n) => n.profile), { timeout: 15_000 }).toEqual(proxied.map(() => 'stock'));
    // What the lab's stock profile does: no Upgrade passed (ws never opens), SSE buffered unless the server says not to.
    stockHosts = demo.controls.running().nginx.map((n) => new URL(n.origin).host);
    await expect.poll(async () => byId(await read(page)).ws!.state, { timeout: 15_000 }).toBe('refused');
    await countsRise(page, ['sse', 'socketio', 'sse-bare'], 40);
    const stock = byId(await read(page));
    expect(stock['sse-bare']!.burst).toBeGreaterThanOrEqual(5);
    expect(stock.sse!.gaps).toBe(0);
    expect(stock.socketio!.frames.join('\n')).not.toMatch(/connect over websocket/);

    // Master and worker of each nginx, tuned's and stock's: all gone once the page has left them (a few seconds later).
    const pids = [...tunedPids, ...demo.controls.running().nginx.flatMap((n) => n.processes())];
    expect(pids.length).toBe(16);
    await page.select('#nginx', 'off');
    await expect.poll(() => pids.filter(alive), { timeout: 15_000 }).toEqual([]);
    expect(demo.controls.running().nginx).toEqual([]);
    await expect.poll(async () => (await read(page)).map((p) => p.url), { timeout: 15_000 }).toEqual(demo.servers.map((s) => s.url));
    await countsRise(page, BROWSER_TRANSPORTS);
    const off = await read(page);
    // ws resumed with ?since= after stock nginx refused it: back with no gap.
    expect(off.map((p) => p.gaps)).toEqual(each(0));
  });

  it('cluster: a killed node; SSE and ws resume on the other, socket.io cannot recover', { timeout: 150_000 }, async () => {
    await page.click('#cluster');
    const ids = ['cluster-sse', 'cluster-ws', 'cluster-socketio'];
    // Started, or the page's status line says why not.
    const started = async () => demo.controls.running().clusters.length === 3 || (await page.$eval('#status', (e) => e.textContent));
    await expect.poll(started, { timeout: 60_000, interval: 500 }).toBe(true);
    await countsRise(page, ids, 10, 'cluster panels before the kill');
    clusterPids = demo.controls.running().clusters.flatMap((c) => [c.redis.pid, ...c.proxy.processes(), ...c.nodes.map((n) => n.pid)]);
    await page.click('#kill');
    await expect
      .poll(
        async () => {
          const panels = byId(await read(page));
          return ids.map((id) => panels[id]!.reconnects >= 1);
        },
        { timeout: 30_000 },
      )
      .toEqual([true, true, true]);
    await countsRise(page, ids);
    const after = byId(await read(page));
    expect([after['cluster-sse']!.gaps, after['cluster-ws']!.gaps]).toEqual([0, 0]);
    // The killed node never wrote socket.io's session to Redis: the reconnect is a new session, the quotes between lost.
    expect(after['cluster-socketio']!.resets).toBeGreaterThanOrEqual(1);
    expect(after['cluster-socketio']!.gaps).toBeGreaterThan(0);
    // The restarted nodes: new pids, alive.
    clusterPids.push(...demo.controls.running().clusters.flatMap((c) => c.nodes.map((n) => n.pid)));
  });

  it('threw no page error and asked nothing of any host but the lab', async () => {
    // Firefox reports as page errors each WebSocket through stock nginx that got no 101 (the finding itself), and the
    // one the page gives up mid-handshake when it leaves nginx ("interrupted while the page was loading").
    const refusedByStock = (e: string) => stockHosts.some((host) => e.includes(`ws://${host}/`));
    expect(
      errors.filter((e) => !refusedByStock(e)),
      ENGINE_NAME[engine],
    ).toEqual([]);
    // Only the lab's own servers on loopback (Firefox also reports the page's inline favicon, `data:,`, as a request): no CDN.
    const external = [...requested].filter(
      (url) => !url.startsWith('data:') && !['127.0.0.1', 'localhost'].includes(new URL(url).hostname),
    );
    expect(external).toEqual([]);
  });

  it('close() stops every process the demo started', async () => {
    await browser.close();
    await demo.close();
    closed = true;
    expect(clusterPids.filter(alive)).toEqual([]);
  });
});
