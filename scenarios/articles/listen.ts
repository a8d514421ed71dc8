/**
 * What the lab adds around an article's server once the article's code has built it: a free port on loopback, the
 * request log a case reads, and a close that stops the article's timers and connections.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestLog } from '../fixtures/request-log.ts';

export interface ArticleServer {
  /** <scheme>://localhost:<port><path>: the host name the lab's certificate is issued to. */
  url(path: string): string;
  log: RequestLog;
  /** Messages the server has sent so far (its timer's ticks). */
  ticks(): number;
  close(): Promise<void>;
}

export async function listenOnLoopback(
  server: Server,
  options: { tls: boolean; ticks: () => number; stopTimers: () => void },
): Promise<ArticleServer> {
  const log = new RequestLog(server, { tls: options.tls });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `${options.tls ? 'https' : 'http'}://localhost:${port}${path}`,
    log,
    ticks: options.ticks,
    async close() {
      options.stopTimers();
      log.dropAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
