/**
 * Article A's server, corrected: the same express router, map of clients and one-second timer as article-a-server.ts,
 * with what scenario `articles` showed missing. Each change is there for a record:
 * - the exact origin from an allowlist with `Access-Control-Allow-Credentials: true` instead of `*`, which no browser
 *   accepts with `withCredentials: true` (a page off the list gets 403, and EventSource gives up for good);
 * - an `id:` on every message and the last 100 kept, so a reconnect's Last-Event-ID resumes where the client was,
 *   instead of the client's own id written once (which Firefox does not even keep: it applies an id only with data);
 * - `retry: 1000` instead of 10 s of silence after every drop;
 * - a `:` comment every 15 s, so a proxy's idle timeout does not cut a quiet stream;
 * - `Connection: keep-alive` left out: a hop-by-hop header the server does not decide (and forbidden over HTTP/2).
 * The lab runs it as it runs the original (a free port, its certificate, its test page); the report quotes the part
 * between BEGIN and END beside the article's.
 */
import { createServer } from 'node:https';
import express, { type Response } from 'express';
import type { ArticleAOptions } from './article-a-server.ts';
import { type ArticleServer, listenOnLoopback } from './listen.ts';

export async function startArticleACorrected({
  cert,
  key,
  page,
  allowOrigins,
}: ArticleAOptions & { allowOrigins: string[] }): Promise<ArticleServer> {
  // BEGIN article-a-corrected
  const router = express.Router();
  const clients = new Map<string, Response>();
  const history: { id: number; data: string }[] = []; // the last 100 messages, for a client that comes back

  router.get('/event-stream', (req, res) => {
    const origin = req.headers.origin;
    if (origin && !allowOrigins.includes(origin)) return void res.sendStatus(403);
    if (typeof req.query.id !== 'string') return void res.sendStatus(400);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      ...(origin && { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }),
    });
    res.write('retry: 1000\n\n');
    const lastId = req.headers['last-event-id'];
    if (lastId !== undefined) for (const m of history) if (m.id > Number(lastId)) res.write(`id: ${m.id}\ndata: ${m.data}\n\n`);
    const id = String(req.query.id);
    clients.get(id)?.end(); // one stream per client id: a second one replaces the first
    clients.set(id, res);
    req.on('close', () => clients.get(id) === res && clients.delete(id));
  });

  let n = 0;
  const timer = setInterval(() => {
    const message = { id: ++n, data: JSON.stringify({ n, time: new Date().toLocaleTimeString() }) };
    history.push(message);
    if (history.length > 100) history.shift();
    for (const res of clients.values()) res.write(`id: ${message.id}\ndata: ${message.data}\n\n`);
  }, 1000);
  const heartbeat = setInterval(() => {
    for (const res of clients.values()) res.write(': keep-alive\n\n');
  }, 15_000);

  const app = express();
  app.get(['/', '/lab-page.js', '/vendor/*file', '/articles/*file'], page);
  app.use(router);
  const server = createServer({ cert, key }, app);
  // END article-a-corrected

  const stopTimers = () => [timer, heartbeat].forEach(clearInterval);
  return listenOnLoopback(server, { tls: true, ticks: () => n, stopTimers });
}
