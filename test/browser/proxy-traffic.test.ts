/**
 * What crosses a real nginx between a real browser (Chromium and Firefox) and the lab's servers: compression (`gzip`
 * against `tuned`), HTTP/2 at the proxy (`h2` against `tuned`), and where a credential ends up. The same case code as
 * `npm run scenarios -- proxy-compression proxy-h2 proxy-auth`, a short subset of it; assertions on headers, counts,
 * bytes and log lines, never on times.
 */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../../scripts/lib/browser.ts';
import { bytes, counts, facts, scenarioCases } from './cases.ts';

const { run } = scenarioCases();

describe.each(ENGINES)('%s', (engine) => {
  describe('proxy-compression', () => {
    it('gzip compresses the event stream: Content-Encoding gzip, every quote delivered, fewer bytes than tuned', async () => {
      const tuned = await run('proxy-compression/sse/json-tuned', engine);
      const gzip = await run('proxy-compression/sse/json-gzip', engine);
      expect(facts(tuned).contentEncoding).toBeNull();
      expect(facts(gzip).contentEncoding).toBe('gzip');
      for (const r of [tuned, gzip]) expect(counts(r).received).toBe(counts(r).published);
      // The server wrote the same bytes behind both; only what nginx sent on differs.
      expect(bytes(gzip).serverWirePerEvent).toBeCloseTo(bytes(tuned).serverWirePerEvent!, 0);
      expect(bytes(tuned).browserWirePerEvent).toBe(bytes(tuned).serverWirePerEvent);
      expect(bytes(gzip).browserWireTotal).toBeLessThan(bytes(tuned).browserWireTotal!);
    });

    it('base64 of random bytes: gzip brings the wire below the 4/3 that base64 costs through tuned', async () => {
      const tuned = await run('proxy-compression/sse/base64-random-tuned', engine);
      const gzip = await run('proxy-compression/sse/base64-random-gzip', engine);
      expect(bytes(tuned).payloadPerEvent).toBe(4096);
      expect(facts(tuned).wireToPayloadRatio).toBeGreaterThan(4 / 3);
      expect(facts(gzip).contentEncoding).toBe('gzip');
      expect(facts(gzip).wireToPayloadRatio).toBeLessThan(4 / 3);
    });
  });

  describe('proxy-h2', () => {
    it('through h2 all eight EventSources open on one HTTP/2 connection; through tuned six of eight over HTTP/1.1', async () => {
      const h2 = await run('proxy-h2/sse/eventsources-h2', engine);
      expect(counts(h2)).toMatchObject({ asked: 8, opened: 8, serverStreams: 8 });
      expect(facts(h2).accessLogProtocols).toEqual(['HTTP/2.0']);
      expect(facts(h2).sameOriginFetchCompleted).toBe(true);
      // Behind nginx the server still gets one HTTP/1.1 connection per stream.
      expect(counts(h2).serverSockets).toBe(8);

      const tuned = await run('proxy-h2/sse/eventsources-tuned', engine);
      expect(counts(tuned)).toMatchObject({ asked: 8, opened: 6, browserConnections: 6, serverStreams: 6 });
      expect(facts(tuned).accessLogProtocols).toEqual(['HTTP/1.1']);
      if (engine === 'chromium') {
        // DevTools' account: the protocol ALPN chose and which connection carried each stream (WebDriver BiDi names neither).
        expect(counts(h2).connectionsCarryingStreams).toBe(1);
        expect(facts(h2).protocols).toEqual(['h2']);
        expect(facts(h2).streamsPerConnection).toEqual([8]);
        expect(counts(tuned).connectionsCarryingStreams).toBe(6);
        expect(facts(tuned).protocols).toEqual(['http/1.1']);
        // The two queued EventSources never reached nginx.
        expect(counts(tuned).accessLogStreamRequests).toBe(6);
      } else {
        // Firefox sends the two queued EventSources' requests as the context closes and frees the pool, so nginx may
        // log them (seen: 8 lines); while the page was open the server held 6 (serverStreams above).
        expect(counts(tuned).accessLogStreamRequests).toBeGreaterThanOrEqual(6);
        expect(counts(tuned).accessLogStreamRequests).toBeLessThanOrEqual(8);
      }
      expect(facts(tuned).sameOriginFetchCompleted).toBe(false);
    });
  });

  describe('proxy-auth', () => {
    it('a query token lands in the access log; a cookie does not; both reach the server', async () => {
      const query = await run('proxy-auth/sse/query-token', engine);
      expect(facts(query)).toMatchObject({ delivered: true, credentialInAccessLog: true, preflight: false });
      expect(facts(query).reachedServerAs).toEqual(['query string']);
      const cookie = await run('proxy-auth/sse/cookie', engine);
      expect(facts(cookie)).toMatchObject({ delivered: true, credentialInAccessLog: false, preflight: false });
      expect(facts(cookie).reachedServerAs).toEqual(['Cookie header']);
    });

    it('an Authorization header costs a CORS preflight, which nginx logs and passes on; the token stays out of the log', async () => {
      const r = await run('proxy-auth/sse/authorization-header', engine);
      expect(facts(r)).toMatchObject({
        delivered: true,
        credentialInAccessLog: false,
        preflight: true,
        preflightAskedFor: 'authorization',
      });
      expect(counts(r)).toMatchObject({ serverPreflights: 1, accessLogPreflights: 1 });
      expect(facts(r).accessLogRequestLines).toEqual(['OPTIONS /sse HTTP/1.1', 'GET /sse HTTP/1.1']);
      expect(facts(r).reachedServerAs).toEqual(['Authorization header']);
    });
  });
});
