// Server-Sent Events, the smallest correct server: every event has an `id:`, the stream starts with `retry:`, a comment
// line every 15 s keeps proxies from closing an idle stream, and a reconnecting browser's Last-Event-ID gets what it missed.
// Run: node examples/sse/server.js, then open the printed URL (or: curl -N http://127.0.0.1:PORT/events).
import { readFileSync } from 'node:fs';
import http from 'node:http';

const page = readFileSync(new URL('index.html', import.meta.url));
const history = []; // the last 100 messages, to resume from
const streams = new Set();
let n = 0;
const send = (res, message) => res.write(`id: ${message.n}\ndata: ${JSON.stringify(message)}\n\n`);

const server = http.createServer((req, res) => {
  if (req.url === '/') return res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
  if (req.url !== '/events') return res.writeHead(404).end();
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.write('retry: 1000\n\n'); // how long the browser waits before it reconnects
  // The browser sends back the last id it saw; a new client (no header) starts from now.
  const since = Number(req.headers['last-event-id'] ?? n);
  for (const message of history) if (message.n > since) send(res, message);
  streams.add(res);
  req.on('close', () => streams.delete(res));
});

function publish() {
  const message = { n: ++n, time: Date.now() };
  history.push(message);
  if (history.length > 100) history.shift();
  for (const res of streams) send(res, message);
}
const tick = setInterval(publish, Number(process.env.EVERY_MS ?? 1000));
const heartbeat = setInterval(() => {
  for (const res of streams) res.write(': heartbeat\n\n');
}, 15_000);

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}/`));
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    clearInterval(tick);
    clearInterval(heartbeat);
    server.close();
    server.closeAllConnections(); // the open streams too, or close() would wait for them
  });
