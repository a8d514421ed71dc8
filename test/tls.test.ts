/**
 * https/wss with the lab's self-signed certificate: a Node client refuses it by default and
 * accepts it when given the certificate to trust. The printed SPKI hash is the certificate's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_TRANSPORTS, createClient, type LabClient } from '../clients/index.ts';
import { startServer, type RunningServer } from '../servers/index.ts';
import { labCertificate, spkiHash } from '../servers/tls.ts';
import { collect, waitFor } from './helpers.ts';

describe.each(CLIENT_TRANSPORTS)('%s over TLS', (transport) => {
  let server: RunningServer;
  let client: LabClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server.close();
  });

  it('is refused by default and trusted when the client is given the certificate', async () => {
    server = await startServer(transport, { tls: true, rate: 0, heartbeatMs: null });
    expect(server.url).toMatch(transport === 'ws' ? /^wss:\/\/127\.0\.0\.1:\d+\/ws$/ : /^https:\/\/127\.0\.0\.1:\d+/);
    const cert = await labCertificate();
    expect(server.spki).toBe(spkiHash(cert.cert));

    const untrusting = createClient(transport, { url: server.url, reconnect: false, transports: ['websocket'] });
    await expect(untrusting.connect()).rejects.toThrow(/self[- ]signed|certificate/i);
    await untrusting.close();

    client = createClient(transport, { url: server.url, ca: cert.cert, transports: ['websocket'] });
    const received = collect(client);
    await client.connect();
    server.feed.publish();
    await waitFor(() => received.length === 1, 'one quote over TLS');
    expect(received[0]!.quote.seq).toBe(1);
  });
});
