/**
 * The registry (servers/transports.ts) against what the lab needs of every entry, so a half-added
 * transport fails here rather than turning up grey in a chart or missing from a run: a server that
 * starts through the command-line contract and prints a ready line whose scheme its capabilities
 * imply (TLS when required), /stats naming it, a lean reader that gets quotes from that server, a
 * full Node client that does too when `nodeClient` is true, and a label and colour of its own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_TRANSPORTS, createClient } from '../clients/index.ts';
import { connectLean } from '../clients/lean/index.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { TRANSPORT_NAMES, TRANSPORTS, type TransportSpec } from '../servers/transports.ts';
import { spawnServer } from '../scripts/lib/spawn-server.ts';
import { waitFor } from './helpers.ts';
import { caFor, closeFetches, fetchFor } from './trust.ts';

/** The url scheme a ready line must have: its protocol's, with TLS when `tls` (the floor's TLS is the load engineer's `tls:`). */
function scheme(spec: TransportSpec, tls: boolean): string {
  if (spec.http === null) return tls ? 'tls:' : 'tcp:';
  if (spec.browserApi === 'WebSocket') return tls ? 'wss:' : 'ws:';
  return tls ? 'https:' : 'http:';
}

describe('the transport registry', () => {
  it('gives every transport a label and a colour of its own', () => {
    const specs = TRANSPORT_NAMES.map((t) => TRANSPORTS[t]);
    expect(new Set(specs.map((s) => s.label)).size).toBe(specs.length);
    expect(new Set(specs.map((s) => s.color.toLowerCase())).size).toBe(specs.length);
    for (const spec of specs) expect(spec.color).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it('lists exactly the transports with a Node client as client transports', () => {
    expect(CLIENT_TRANSPORTS).toEqual(TRANSPORT_NAMES.filter((t) => TRANSPORTS[t].nodeClient));
    expect(TRANSPORT_NAMES.filter((t) => TRANSPORTS[t].floor)).toHaveLength(1);
  });
});

describe.each(TRANSPORT_NAMES)('%s as the lab needs it', (transport) => {
  const spec = TRANSPORTS[transport];
  afterAll(closeFetches);

  it('starts from the command line, and its lean reader and Node client get quotes from it', async () => {
    const server = await spawnServer(transport, ['--rate', '50']);
    try {
      const { ready } = server;
      expect(ready.transport).toBe(transport);
      const required = spec.tls === 'required';
      expect(new URL(ready.url).protocol, 'the ready line url scheme').toBe(scheme(spec, required));
      expect(ready.spki !== undefined, 'an SPKI hash exactly when it serves TLS').toBe(required);
      const stats = (await (await (await fetchFor(transport))(ready.stats)).json()) as StatsSnapshot;
      expect(stats.transport).toBe(transport);

      const ca = await caFor(transport);
      const seqs: number[] = [];
      const reader = await connectLean(transport, { url: ready.url, ca, onQuote: (seq) => void seqs.push(seq) });
      await waitFor(() => seqs.length >= 2, 'two quotes at the lean reader');
      reader.close();

      if (!spec.nodeClient) return expect(CLIENT_TRANSPORTS).not.toContain(transport);
      const client = createClient(transport as (typeof CLIENT_TRANSPORTS)[number], { url: ready.url, ca });
      expect(client.transport).toBe(transport);
      let quotes = 0;
      client.on('quote', () => quotes++);
      await client.connect();
      await waitFor(() => quotes >= 2, 'two quotes at the Node client');
      await client.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
