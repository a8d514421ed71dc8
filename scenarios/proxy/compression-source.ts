/**
 * A minimal SSE source of random binary payloads for proxy-compression: the lab's own base64
 * events carry a quote's 32-byte header plus 'x' padding, which gzip squeezes to almost nothing;
 * random bytes are what a binary payload looks like to a compressor. GET /sse holds a stream
 * open (`: ready` first, so headers and a first body chunk leave at once, through gzip too);
 * publish() writes one `event: quote` with the next `id:` and `size` fresh random bytes in base64 as
 * its data to every open stream. The page origin is reflected, as the lab servers do for their allowlist.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyTarget } from '../../servers/proxy/nginx.ts';

export interface RandomSource {
  /** What nginx proxies to (an SSE server on plain HTTP/1.1). */
  target: ProxyTarget;
  /** Writes one event of `size` random bytes (base64) to every stream; returns its id and payload bytes. */
  publish(): { seq: number; bytes: number };
  close(): Promise<void>;
}

export async function startRandomSource(size: number): Promise<RandomSource> {
  const streams = new Set<ServerResponse>();
  let seq = 0;
  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    const cors = origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {};
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/sse') return void res.writeHead(404, cors).end();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...cors });
    res.write(': ready\n\n');
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    target: { transport: 'sse', url: `${origin}/sse`, statsUrl: `${origin}/stats`, origin },
    publish() {
      const event = `id: ${++seq}\nevent: quote\ndata: ${randomBytes(size).toString('base64')}\n\n`;
      for (const res of streams) res.write(event);
      return { seq, bytes: size };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
