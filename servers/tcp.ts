/**
 * The raw-TCP floor: newline-delimited JSON quotes written straight to each socket, no HTTP,
 * no framing beyond '\n'. The least any transport can cost; the load runner measures it beside
 * the others. It has no protocol to answer /stats on, so stats live on a side HTTP port.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { errorBody } from './errors.ts';
import { QuoteFeed } from './feed.ts';
import { attachFeed, closeServer, hostForUrl, listen, listenOn, type DropMode, type RunningServer } from './listen.ts';
import { resolveOptions, type ServerOptions } from './options.ts';
import { ServerStats, statsListener } from './stats.ts';
import { labCertificate } from './tls.ts';

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('tcp', () => feed.latestSeq, options.statsGc);
  const clients = new Set<Socket>();

  const onSocket = (socket: Socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    if (clients.size >= options.maxConnections) {
      stats.refused++;
      socket.end(`${errorBody('LAB_CONNECTION_CAP', `${options.maxConnections} clients already`)}\n`);
      return;
    }
    clients.add(socket);
    stats.opened();
    socket.on('close', () => {
      clients.delete(socket);
      stats.closed();
    });
  };

  let tcp: NetServer;
  let spki: string | undefined;
  if (options.tls) {
    const cert = await labCertificate();
    spki = cert.spki;
    tcp = createTlsServer({ cert: cert.cert, key: cert.key }, onSocket);
  } else {
    tcp = createNetServer(onSocket);
  }
  stats.watch(tcp);
  const port = await listenOn(tcp, options);
  // The side port serves /stats only; it is not counted in the floor's bytes.
  const sideStats = new ServerStats('tcp', () => feed.latestSeq);
  const side = await listen(statsListener(stats, 'this port serves GET /stats only'), { ...options, port: 0, tls: false }, sideStats);

  const detach = attachFeed(feed, !options.feed, (frame) => {
    // Bytes made once per quote, as the other servers do: write(string) would encode the UTF-8 again for every client.
    const line = frame.memo('ndjson', (f) => Buffer.from(`${f.json}\n`));
    for (const socket of clients) {
      if (socket.writableLength > options.maxBufferedBytes) {
        stats.dropped++;
        socket.destroy();
        continue;
      }
      socket.write(line);
      stats.messagesSent++;
    }
  });

  function drop(mode: DropMode): void {
    for (const socket of clients) {
      if (mode === 'destroy') socket.destroy();
      else socket.end();
    }
  }

  return {
    transport: 'tcp',
    url: `${options.tls ? 'tls' : 'tcp'}://${hostForUrl(options.host)}:${port}`,
    statsUrl: `${side.origin}/stats`,
    origin: side.origin,
    spki,
    feed,
    stats,
    drop,
    async close() {
      detach();
      drop('end');
      await Promise.all([closeServer(tcp, stats), closeServer(side.server, sideStats)]);
    },
  };
}
