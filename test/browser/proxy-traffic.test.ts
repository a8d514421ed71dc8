/**
 * What crosses a real nginx between real Chromium and the lab's servers: compression (`gzip` against
 * `tuned`), HTTP/2 at the proxy (`h2` against `tuned`), and where a credential ends up. The same
 * case code as `npm run scenarios -- proxy-compression proxy-h2 proxy-auth`, a short subset of it;
 * assertions on headers, counts, bytes and log lines, never on times.
 */
import { describe, expect, it } from 'vitest';
import { bytes, counts, facts, scenarioCases } from './cases.ts';

const { run } = scenarioCases();

describe('proxy-compression', () => {
  it('gzip compresses the event stream: Content-Encoding gzip, every quote delivered, fewer bytes than tuned', async () => {
    const tuned = await run('proxy-compression/sse/json-tuned');
    const gzip = await run('proxy-compression/sse/json-gzip');
    expect(facts(tuned).contentEncoding).toBeNull();
    expect(facts(gzip).contentEncoding).toBe('gzip');
    for (const r of [tuned, gzip]) expect(counts(r).received).toBe(counts(r).published);
    // The server wrote the same bytes behind both; only what nginx sent on differs.
    expect(bytes(gzip).serverWirePerEvent).toBeCloseTo(bytes(tuned).serverWirePerEvent!, 0);
    expect(bytes(tuned).browserWirePerEvent).toBe(bytes(tuned).serverWirePerEvent);
    expect(bytes(gzip).browserWireTotal).toBeLessThan(bytes(tuned).browserWireTotal!);
  });

  it('base64 of random bytes: gzip brings the wire below the 4/3 that base64 costs through tuned', async () => {
    const tuned = await run('proxy-compression/sse/base64-random-tuned');
    const gzip = await run('proxy-compression/sse/base64-random-gzip');
    expect(bytes(tuned).payloadPerEvent).toBe(4096);
    expect(facts(tuned).wireToPayloadRatio).toBeGreaterThan(4 / 3);
    expect(facts(gzip).contentEncoding).toBe('gzip');
    expect(facts(gzip).wireToPayloadRatio).toBeLessThan(4 / 3);
  });
});

describe('proxy-h2', () => {
  it('through h2 all eight EventSources open on one HTTP/2 connection; through tuned six of eight over HTTP/1.1', async () => {
    const h2 = await run('proxy-h2/sse/eventsources-h2');
    expect(counts(h2)).toMatchObject({ asked: 8, opened: 8, connectionsCarryingStreams: 1, serverStreams: 8 });
    expect(facts(h2).protocols).toEqual(['h2']);
    expect(facts(h2).streamsPerConnection).toEqual([8]);
    expect(facts(h2).accessLogProtocols).toEqual(['HTTP/2.0']);
    expect(facts(h2).sameOriginFetchCompleted).toBe(true);
    // Behind nginx the server still gets one HTTP/1.1 connection per stream.
    expect(counts(h2).serverSockets).toBe(8);

    const tuned = await run('proxy-h2/sse/eventsources-tuned');
    expect(counts(tuned)).toMatchObject({
      asked: 8,
      opened: 6,
      connectionsCarryingStreams: 6,
      serverStreams: 6,
      accessLogStreamRequests: 6,
    });
    expect(facts(tuned).protocols).toEqual(['http/1.1']);
    expect(facts(tuned).accessLogProtocols).toEqual(['HTTP/1.1']);
    expect(facts(tuned).sameOriginFetchCompleted).toBe(false);
  });
});

describe('proxy-auth', () => {
  it('a query token lands in the access log; a cookie does not; both reach the server', async () => {
    const query = await run('proxy-auth/sse/query-token');
    expect(facts(query)).toMatchObject({ delivered: true, credentialInAccessLog: true, preflight: false });
    expect(facts(query).reachedServerAs).toEqual(['query string']);
    const cookie = await run('proxy-auth/sse/cookie');
    expect(facts(cookie)).toMatchObject({ delivered: true, credentialInAccessLog: false, preflight: false });
    expect(facts(cookie).reachedServerAs).toEqual(['Cookie header']);
  });

  it('an Authorization header costs a CORS preflight, which nginx logs and passes on; the token stays out of the log', async () => {
    const r = await run('proxy-auth/sse/authorization-header');
    expect(facts(r)).toMatchObject({ delivered: true, credentialInAccessLog: false, preflight: true, preflightAskedFor: 'authorization' });
    expect(counts(r)).toMatchObject({ serverPreflights: 1, accessLogPreflights: 1 });
    expect(facts(r).accessLogRequestLines).toEqual(['OPTIONS /sse HTTP/1.1', 'GET /sse HTTP/1.1']);
    expect(facts(r).reachedServerAs).toEqual(['Authorization header']);
  });
});
