/**
 * Article B's example server (the third part of a series on real-time communication in JavaScript), run as written on
 * the real `ssestream` package: an express app that serves its page and answers `GET /sse` with `new SseStream(req)`
 * piped to the response, then writes `{ id, event: 'server-time', retry: 20000, data: { ts, count } }` every second
 * until the response closes.
 *
 * As for article A (article-a-server.ts), the lab holds the article's description (../shared/SEED-CLAIMS.md), written
 * out here between BEGIN and END in the shape of ssestream's own README example; lines the lab had to add or change,
 * and the one the description leaves open (where `id` comes from), end in a `lab:` comment.
 *
 * What it does (scenario `articles` records it): ssestream answers with `Transfer-Encoding: identity` (so Node sends
 * the body unchunked, ended by closing the connection) and writes `:ok` before anything else: the "packet the client
 * ignores" of the article's capture; every event is named `server-time`, so the article's `onmessage` never fires; a
 * dropped client comes back 20 s later, and `count` starts again at 1 on the new response.
 */
import { createServer } from 'node:http';
import express, { type RequestHandler } from 'express';
import { createRequire } from 'node:module';
import type ssestream from 'ssestream';
import { type ArticleServer, listenOnLoopback } from './listen.ts';

// lab: ssestream 1.x keeps the class on `exports.default`; its README's `require('ssestream')` gives the module object
export const SseStream: typeof ssestream.default = createRequire(import.meta.url)('ssestream').default;

export async function startArticleB({ page }: { page: RequestHandler }): Promise<ArticleServer> {
  let ticks = 0;
  const timers = new Set<NodeJS.Timeout>();

  // BEGIN article-b
  const app = express();
  app.get(['/', '/lab-page.js', '/vendor/*file', '/articles/*file'], page); // lab: the test page (the article serves its own)
  app.get('/sse', (req, res) => {
    const sseStream = new SseStream(req);
    sseStream.pipe(res);
    let count = 0;
    const pusher = setInterval(() => {
      count++;
      sseStream.write({ id: count, event: 'server-time', retry: 20000, data: { ts: Date.now(), count } }); // lab: id is count
      ticks++; // lab: counted for the record
    }, 1000);
    timers.add(pusher); // lab: so close() can stop it

    res.on('close', () => {
      clearInterval(pusher);
      timers.delete(pusher); // lab: forget the stopped timer
      sseStream.unpipe(res);
    });
  });
  const server = createServer(app);
  // END article-b

  // lab: a free port on loopback, the requests logged, a close that stops the timers
  return listenOnLoopback(server, { tls: false, ticks: () => ticks, stopTimers: () => timers.forEach(clearInterval) });
}
