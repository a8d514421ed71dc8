/**
 * The articles' own servers and clients (scenario `articles`), run as written in real Chromium and real Firefox through
 * the same case code as `npm run scenarios`. Assertions are on what arrived, what was sent back and the bytes written;
 * the reconnect delays are recorded, and checked only against the `retry:` the servers ask for (a browser may wait
 * longer, never shorter).
 */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../../scripts/lib/browser.ts';
import { counts, facts, scenarioCases } from './cases.ts';

const { run } = scenarioCases();

describe.each(ENGINES)('%s', (engine) => {
  it("article A's `*` with withCredentials delivers nothing cross-origin, through native EventSource or its polyfill", async () => {
    const native = await run('articles/sse/article-a-as-written', engine);
    // `NativeEventSource || EventSourcePolyfill` is the native one in a browser that has it.
    expect(facts(native)).toMatchObject({ client: 'EventSource', delivered: false });
    expect(counts(native).messages).toBe(0);
    expect(counts(native).sent).toBeGreaterThan(0);
    expect(native.observed.readyState).toBe(2);
    expect(native.observed.server!.requests![0]!.headers.origin).toMatch(/^http:\/\/127\.0\.0\.1:/);
    const poly = await run('articles/sse/article-a-polyfill', engine);
    expect(facts(poly)).toMatchObject({ client: 'EventSourcePolyfill', delivered: false });
    expect(counts(poly).messages).toBe(0);
    expect(counts(poly).requests).toBeGreaterThanOrEqual(1);
  });

  it('article A from its own origin: the stream works, and what was sent during the drop is gone', async () => {
    const r = await run('articles/sse/article-a-same-origin-drop', engine);
    expect(counts(r).opens).toBe(2);
    expect(counts(r).requests).toBe(2);
    expect(facts(r).reconnectPath).toBe('/event-stream?id=42');
    // The server's messages carry no id and it keeps none: every message sent while the client was away is missed.
    expect(counts(r).missed).toBeGreaterThan(0);
    expect(facts(r).reconnectDelayMs as number).toBeGreaterThanOrEqual((r.setup.retryMs as number) * 0.95);
    if (engine === 'chromium') {
      // The id-only block on connect sets the last event id (the spec's "dispatch" step 1 runs before the empty-data return).
      expect(facts(r)).toMatchObject({ lastEventIdBeforeDrop: '42', lastEventIdSent: '42' });
    } else {
      // Firefox applies an id only with an event that has data: the id-only block leaves it empty, so none is sent.
      expect(facts(r)).toMatchObject({ lastEventIdBeforeDrop: '', lastEventIdSent: null });
    }
  });

  it('article A corrected: delivered cross-origin with credentials, resumed by Last-Event-ID with nothing missed', async () => {
    const r = await run('articles/sse/article-a-corrected-drop', engine);
    expect(facts(r).delivered).toBe(true);
    expect(r.observed.server!.requests![0]!.headers.origin).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(counts(r)).toMatchObject({ opens: 2, requests: 2, missed: 0, duplicated: 0 });
    expect(facts(r).lastEventIdSent).toBe(facts(r).lastEventIdBeforeDrop);
    expect(facts(r).firstNumberAfter).toBe((facts(r).lastNumberBeforeDrop as number) + 1);
  });

  it("article B's onmessage never fires for its named events; its `retry: 20000` brings the client back with Last-Event-ID", async () => {
    const r = await run('articles/sse/article-b-as-written', engine);
    expect(counts(r).onmessage).toBe(0);
    // The article's own handler logged nothing: it is onmessage, and no event arrives as "message".
    expect(counts(r).handlerLogs).toBe(0);
    expect(counts(r).serverTimeListener).toBeGreaterThanOrEqual(4);
    expect(counts(r)).toMatchObject({ opens: 2, requests: 2 });
    expect(facts(r).lastEventIdSent).toBe(facts(r).lastEventIdBeforeDrop);
    // The server ignores it: the new response's count starts again at 1.
    expect(facts(r).firstIdAfterReconnect).toBe('1');
    expect(facts(r).reconnectDelayMs as number).toBeGreaterThanOrEqual((r.setup.retryMs as number) * 0.95);
    const poly = await run('articles/sse/article-b-polyfill', engine);
    expect(facts(poly).client).toBe('EventSourcePolyfill');
    expect(counts(poly).onmessage).toBe(0);
    expect(counts(poly).serverTimeListener).toBeGreaterThanOrEqual(3);
    const corrected = await run('articles/sse/article-b-corrected', engine);
    // The corrected client's own listener logged the events (a log still on its way from the page may be missing).
    expect(counts(corrected).handlerLogs).toBeGreaterThanOrEqual(3);
  });
});

describe('article B and ssestream, in Node', () => {
  it('ssestream answers unchunked (Transfer-Encoding: identity) and writes `:ok` before the first event', async () => {
    const r = await run('articles/sse/article-b-wire');
    expect(facts(r)).toMatchObject({
      statusLine: 'HTTP/1.1 200 OK',
      contentType: 'text/event-stream; charset=utf-8',
      transferEncoding: 'identity',
      contentLength: null,
      firstWrite: ':ok\n\n',
    });
    expect(facts(r).bodyStart).toMatch(/^:ok\n\nevent: server-time\nid: 1\nretry: 20000\ndata: \{"ts":\d+,"count":1\}\n\n/);
  });

  it('ssestream drops fields that are 0 or empty: no id 0, no retry 0, no data 0, no empty id to reset with', async () => {
    const r = await run('articles/sse/ssestream-falsy-fields');
    expect(facts(r).written).toBe(':ok\n\nevent: zero\n\n\nid: 1\nretry: 1000\ndata: one\n\n');
  });
});
