/**
 * The proxy scenarios' cases in real Chromium and real Firefox through a real nginx (proxy-works, proxy-buffering,
 * proxy-idle), through the same harness and case code as `npm run scenarios`, covering the `stock`, `tuned` and `gzip`
 * profiles. Assertions are on protocol facts and counts the records carry: statuses nginx logged, close codes,
 * socket.io's transport, quotes received and lost, cuts, and how many events had reached the page by a given publish
 * (nginx's buffers hold a count of bytes).
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioRecord } from '../../scenarios/types.ts';
import { ENGINES } from '../../scripts/lib/browser.ts';
import { counts, facts, scenarioCases } from './cases.ts';

const { run } = scenarioCases();

describe.each(ENGINES)('%s', (engine) => {
  describe('proxy-works: through stock, then tuned', () => {
    it('SSE goes through stock: every quote, in order, one 200 in the access log', async () => {
      const r = await run('proxy-works/sse/stock', engine);
      expect(facts(r).opened).toBe(true);
      expect(counts(r)).toMatchObject({ quotes: counts(r).published, lost: 0, duplicated: 0 });
      expect(facts(r).inOrder).toBe(true);
      expect(facts(r).nginxStatuses).toEqual({ 200: 1 });
      // stock speaks HTTP/1.0 to the server: Connection: close on the request nginx passed on.
      expect(facts(r).upstreamConnectionHeader).toBe('close');
    });

    it('from a server that sends no X-Accel-Buffering, stock holds the SSE response back: not every quote arrives', async () => {
      const plain = await run('proxy-works/sse/stock-no-header', engine);
      expect(facts(plain).upstreamAccelBuffering).toBeNull();
      // Ten quotes are about 1 KB, less than one of nginx's 4 KB buffers: nginx passes none of them on.
      expect(counts(plain).quotes).toBeLessThan(counts(plain).published);
      const marked = await run('proxy-works/sse/stock', engine);
      expect(facts(marked).upstreamAccelBuffering).toBe('no');
    });

    it('a raw WebSocket gets no 101 through stock: nginx drops Upgrade, the server answers a plain GET, close 1006', async () => {
      const r = await run('proxy-works/ws/stock', engine);
      expect(facts(r).opened).toBe(false);
      expect(facts(r).closeCode).toBe(1006);
      expect(counts(r).quotes).toBe(0);
      expect(facts(r).upstreamUpgradeHeader).toBeNull();
      expect(Object.keys(facts(r).nginxStatuses as object)).not.toContain('101');
      // Chromium says so in the console; Firefox's message about it does not reach WebDriver BiDi's log (none recorded).
      if (engine === 'chromium') expect((facts(r).consoleErrors as string[]).some((text) => text.includes('WebSocket'))).toBe(true);
    });

    it('socket.io works through stock on long-polling: its upgrade probe fails and it stays there', async () => {
      const r = await run('proxy-works/socketio/stock', engine);
      expect(facts(r)).toMatchObject({ finalTransport: 'polling', upgradeAttempted: true, upgraded: false });
      expect(counts(r)).toMatchObject({ quotes: counts(r).published, lost: 0 });
      expect(counts(r).upgradeErrors).toBeGreaterThan(0);
    });

    it('through tuned the WebSocket gets its 101 and socket.io upgrades to websocket', async () => {
      const ws = await run('proxy-works/ws/tuned', engine);
      expect(facts(ws)).toMatchObject({ opened: true, upstreamUpgradeHeader: 'websocket', inOrder: true });
      expect(facts(ws).nginxStatuses).toEqual({ 101: 1 });
      expect(counts(ws)).toMatchObject({ quotes: counts(ws).published, lost: 0 });
      const io = await run('proxy-works/socketio/tuned', engine);
      expect(facts(io)).toMatchObject({ finalTransport: 'websocket', upgraded: true });
      expect(counts(io)).toMatchObject({ quotes: counts(io).published, lost: 0 });
    });
  });

  describe('proxy-buffering', () => {
    /** Events that had reached the page when quote `seq` was published: counted from the record's [seq, published, arrived]. */
    const arrivedBy = (r: ScenarioRecord, seq: number) => {
      const arrivals = facts(r).arrivals as [number, number, number][];
      const published = arrivals.find(([s]) => s === seq)?.[1];
      expect(published, `quote ${seq} arrived`).toBeDefined();
      return arrivals.filter(([, , arrived]) => arrived < published!).length;
    };

    it('stock without X-Accel-Buffering holds the stream back; gzip (buffering off) passes it on as it comes', async () => {
      const stock = await run('proxy-buffering/sse/stock-no-header', engine);
      expect(facts(stock).responseHeadAccelBuffering).toBeNull();
      // 20 events are about 2 KB, less than one of nginx's 4 KB buffers: none can have left nginx yet.
      expect(arrivedBy(stock, 20)).toBe(0);
      const gzip = await run('proxy-buffering/sse/gzip-header', engine);
      expect(facts(gzip).responseHeadAccelBuffering).toBe('no');
      expect(arrivedBy(gzip, 20)).toBeGreaterThan(arrivedBy(stock, 20));
      for (const r of [stock, gzip]) {
        const seqs = (facts(r).arrivals as [number, number, number][]).map(([seq]) => seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
    });
  });

  describe('proxy-idle: read timeout 3 s', () => {
    it('a silent SSE stream is cut, the EventSource comes back and resumes with nothing lost', async () => {
      const r = await run('proxy-idle/sse/heartbeat-off', engine);
      expect(facts(r)).toMatchObject({ cut: true, noticed: true, cameBack: true });
      expect(counts(r)).toMatchObject({ lost: 0, duplicated: 0, nginxTimeouts: 1, opens: 2 });
    });

    it('`:` comments shorter than the timeout keep it open', async () => {
      const r = await run('proxy-idle/sse/heartbeat-shorter', engine);
      expect(facts(r)).toMatchObject({ cut: false, noticed: false });
      expect(counts(r)).toMatchObject({ opens: 1, errors: 0, lost: 0, nginxTimeouts: 0 });
    });

    it('a silent raw WebSocket is cut (1006) and stays down: the quotes after the cut are lost', async () => {
      const r = await run('proxy-idle/ws/heartbeat-off', engine);
      expect(facts(r)).toMatchObject({ cut: true, noticed: true, cameBack: false, closeCode: 1006 });
      expect(counts(r).lost).toBe(r.setup.after);
      expect(counts(r).opens).toBe(1);
    });
  });
});
