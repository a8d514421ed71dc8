/**
 * The load runner with --tls, small: every transport over TLS (https, wss, socket.io over https,
 * TLS around the floor's NDJSON, HTTP/2), 20 clients, one client-sweep step each, then upstream
 * round trips over TLS. Real server and worker processes trusting the lab certificate. Asserts
 * that every step says it was TLS, that nothing was lost, and what TLS does to the bytes on the
 * wire, never timing. About a minute.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORT_NAMES, UPSTREAM_TRANSPORTS } from '../../servers/transports.ts';
import { resolveLoadOptions } from '../../scripts/load/options.ts';
import { runLoad } from '../../scripts/load/run.ts';
import type { LoadResults } from '../../scripts/load/types.ts';
import { assertDelivered, assertFigures, assertUpstream, assertWrittenLikeExample, bytesByTransport, children } from './helpers.ts';

describe('load runner over TLS', () => {
  let dir: string;
  let results: LoadResults;
  let childrenBefore: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-load-tls-'));
    // A TLS pass leaves claims alone by default; the plain run decides the claim.
    const options = resolveLoadOptions({ tls: true, out: join(dir, 'load-tls.json'), payload: [], rampClients: null }, 'tiny');
    expect(options.claims).toBeNull();
    childrenBefore = children();
    results = await runLoad(options, { profile: 'tiny' });
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the schema of the committed example result, and wrote its own file only', async () => {
    await assertWrittenLikeExample(results, join(dir, 'load-tls.json'));
    await expect(access(join(dir, 'claims.json'))).rejects.toThrow();
  });

  it('ran one client-sweep step per transport, every one marked TLS, and said how TLS was set up', () => {
    expect(results.aborted).toBe(false);
    expect(results.skipped).toEqual([]);
    expect(results.options.tls).toBe(true);
    expect(results.steps.map((s) => s.id)).toEqual(TRANSPORT_NAMES.map((t) => `load/clients/${t}/n20-r10-p0-tls`));
    for (const step of results.steps) expect(step.tls, step.id).toBe(true);
    expect(results.environment.tls).toMatch(/self-signed/);
  });

  it('connected every client over TLS and delivered every quote once, in order', () => {
    for (const step of results.runs) {
      assertDelivered(step, 20);
      assertFigures(step, 20);
    }
  });

  it('puts every quote in a TLS record of its own on every transport, and takes the /stats answers out exactly', () => {
    const bytes = bytesByTransport(results.steps);
    // The same per-quote TLS record on both sides cancels: ws's 2-byte header against NDJSON's newline is 1 byte,
    // as in plain, only if the runner's own /stats answers over https (on the ws port, TLS records and handshake
    // included) were counted on the probe's TCP socket and taken out.
    expect(Math.abs(bytes.ws! - bytes.tcp! - 1)).toBeLessThan(2);
    // SSE over HTTP/2 against SSE over HTTP/1.1, both over TLS: a 9-byte DATA frame header instead of 6 bytes of chunk
    // framing. Within 4: one CI run measured 6 over this short window (400 deliveries), unexplained (noted in issue 13).
    expect(Math.abs(bytes['sse-h2']! - bytes.sse! - 3)).toBeLessThan(4);
    // Every TLS delivery carries its record's 22 bytes beyond the quote and its framing.
    for (const [transport, perDelivery] of Object.entries(bytes)) expect(perDelivery, transport).toBeGreaterThan(60 + 22);
  });

  it('measured upstream round trips over TLS for every transport with an upstream path', () => {
    expect(results.upstream.map((u) => u.transport)).toEqual(UPSTREAM_TRANSPORTS);
    for (const u of results.upstream) assertUpstream(u, true);
  });

  it('left no server, twin or worker running', () => {
    for (const step of results.steps) expect(() => process.kill(step.server.pid!, 0), `server ${step.server.pid} still alive`).toThrow();
    expect(children().filter((pid) => !childrenBefore.includes(pid))).toEqual([]);
  });
});
