/**
 * Article A's example server ("the differences between WebSocket and EventSource"), run as written: express over
 * https with a self-signed certificate, a route `GET /event-stream?id=…` that keeps each response in a map by the
 * client's id, writes the four headers the article lists (`Access-Control-Allow-Origin: *` among them), then
 * `retry: 10000` and `id: <the client's id>` on connect, and every second `data: <json>` to every client.
 *
 * The lab holds the article's description of this code (../shared/SEED-CLAIMS.md), not its printed listing: the part
 * between BEGIN and END is that description written out in the article's own style and nothing more. Lines the lab had
 * to add or change end in a `lab:` comment saying why; the two places where the description is silent (what the JSON
 * holds, what happens when a client goes away) are marked the same way. The report quotes that part.
 *
 * What it does (scenario `articles` records it): from a page on another origin, `*` with the client's
 * `withCredentials: true` is refused by the browser, so nothing arrives; from its own origin the stream works, and a
 * reconnect waits the 10 s of `retry: 10000` and sends the client's own id as Last-Event-ID (the only `id:` the server
 * ever writes), having lost every message sent meanwhile: no `data:` carries an id and the server keeps no history.
 */
import { createServer } from 'node:https';
import express, { type RequestHandler, type Response } from 'express';
import { type ArticleServer, listenOnLoopback } from './listen.ts';

export interface ArticleAOptions {
  /** The lab's certificate and key (the article makes its own self-signed pair). */
  cert: string;
  key: string;
  /** Serves the lab's test page on the server's own origin (the article's app serves its own page the same way). */
  page: RequestHandler;
}

export async function startArticleA({ cert, key, page }: ArticleAOptions): Promise<ArticleServer> {
  // BEGIN article-a
  const router = express.Router();
  const clients: Record<string, Response> = {};

  router.get('/event-stream', (req, res) => {
    const id = String(req.query.id);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'Access-Control-Allow-Origin': '*',
    });
    res.write('retry: 10000\n');
    res.write(`id: ${id}\n\n`);
    clients[id] = res;
    req.on('close', () => delete clients[id]); // lab: not in the description; the plainest way to forget a client
  });

  let n = 0; // lab: the description says `data: <json>`; the lab numbers each message so a record can count what a client missed
  const timer = setInterval(() => {
    n++;
    for (const id in clients) clients[id]!.write(`data: ${JSON.stringify({ n, time: new Date().toLocaleTimeString() })}\n\n`);
  }, 1000);

  const app = express();
  app.get(['/', '/lab-page.js', '/vendor/*file', '/articles/*file'], page); // lab: the test page, on the server's origin
  app.use(router);
  const server = createServer({ cert, key }, app);
  // END article-a

  // lab: a free port on loopback, the requests logged, a close that stops the timer
  return listenOnLoopback(server, { tls: true, ticks: () => n, stopTimers: () => clearInterval(timer) });
}
