/**
 * https/wss with the lab's self-signed certificate: a Node client refuses it by default and
 * accepts it when given the certificate to trust. The printed SPKI hash is the certificate's.
 * A transport that requires TLS (sse-h2) serves it unasked, and only over HTTP/2: a TLS client that
 * offers only HTTP/1.1 by ALPN is turned away at the handshake, one that offers none gets node's bare
 * 403; its /stats counts a session as one socket and the streams on it as connections.
 */
import { connect as connectHttp2 } from 'node:http2';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_TRANSPORTS, createClient, type LabClient } from '../clients/index.ts';
import { startServer, type RunningServer } from '../servers/index.ts';
import { labCertificate, spkiHash } from '../servers/tls.ts';
import { TRANSPORT_NAMES, TRANSPORTS } from '../servers/transports.ts';
import { collect, waitFor } from './helpers.ts';

let server: RunningServer | undefined;
let client: LabClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

describe.each(CLIENT_TRANSPORTS)('%s over TLS', (transport) => {
  it('is refused by default and trusted when the client is given the certificate', async () => {
    const running = (server = await startServer(transport, { tls: true, rate: 0, heartbeatMs: null }));
    expect(running.url).toMatch(
      TRANSPORTS[transport].browserApi === 'WebSocket' ? /^wss:\/\/127\.0\.0\.1:\d+\/ws$/ : /^https:\/\/127\.0\.0\.1:\d+/,
    );
    const cert = await labCertificate();
    expect(running.spki).toBe(spkiHash(cert.cert));

    const untrusting = createClient(transport, { url: running.url, reconnect: false, transports: ['websocket'] });
    await expect(untrusting.connect()).rejects.toThrow(/self[- ]signed|certificate/i);
    await untrusting.close();

    client = createClient(transport, { url: running.url, ca: cert.cert, transports: ['websocket'] });
    const received = collect(client);
    await client.connect();
    running.feed.publish();
    await waitFor(() => received.length === 1, 'one quote over TLS');
    expect(received[0]!.quote.seq).toBe(1);
  });
});

describe.each(TRANSPORT_NAMES.filter((t) => TRANSPORTS[t].tls === 'required'))('%s requires TLS', (transport) => {
  it('serves https with the lab certificate though not asked to', async () => {
    const running = (server = await startServer(transport, { rate: 0, heartbeatMs: null }));
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/sse$/);
    expect(running.spki).toBe(spkiHash((await labCertificate()).cert));
  });

  it('multiplexes: two streams and a POST on one session count as one socket and two connections', async () => {
    const running = (server = await startServer(transport, { rate: 0, heartbeatMs: null }));
    const session = connectHttp2(new URL(running.url).origin, { ca: (await labCertificate()).cert });
    try {
      const open = () => session.request({ ':path': '/sse', accept: 'text/event-stream' }, { endStream: true });
      const streams = [open(), open()];
      await Promise.all(streams.map((stream) => new Promise((resolve) => stream.once('response', resolve))));
      const ping = session.request({ ':method': 'POST', ':path': '/sse/ping', 'content-type': 'application/json' });
      ping.end('{"t":1}');
      const pong = await new Promise<string>((resolve) => {
        let body = '';
        ping.on('data', (chunk: Buffer) => (body += chunk.toString()));
        ping.on('end', () => resolve(body));
      });
      expect(JSON.parse(pong)).toMatchObject({ type: 'pong', t: 1 });
      expect(running.stats.snapshot()).toMatchObject({ connections: 2, peakConnections: 2, sockets: 1 });
      const before = running.stats.snapshot().bytesWritten;
      running.feed.publish();
      await waitFor(() => running.stats.snapshot().bytesWritten > before, 'the quote on the wire');
      expect(running.stats.messagesSent).toBe(2);
      for (const stream of streams) stream.close();
      await waitFor(() => running.stats.connections === 0, 'both streams closed');
      expect(running.stats.sockets.size).toBe(1); // the session outlives its streams
    } finally {
      session.destroy();
    }
  });

  it('speaks only HTTP/2: ALPN http/1.1 alone fails the handshake, no ALPN gets a bare 403', async () => {
    const running = (server = await startServer(transport, { rate: 0, heartbeatMs: null }));
    const { cert } = await labCertificate();
    const port = Number(new URL(running.url).port);
    const alert = await new Promise<string | undefined>((resolve) => {
      const socket = tlsConnect({ port, host: '127.0.0.1', ca: cert, ALPNProtocols: ['http/1.1'] });
      socket.once('secureConnect', () => resolve(`connected with ALPN ${socket.alpnProtocol}`));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    });
    expect(alert).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    // node:https offers no ALPN: node:http2 tells it, in HTTP/1.0, that it expected h2, and closes.
    const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = request(running.statsUrl, { ca: cert, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(/expected `h2`/);
    expect(running.stats.connections).toBe(0);
  });
});
