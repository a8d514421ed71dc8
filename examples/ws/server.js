// Raw WebSocket (the `ws` package), the smallest correct server: numbered messages, resume by `?since=n`, an Origin
// check on the upgrade (CORS does not protect WebSocket: any site's page may try to open one) and a small maxPayload.
// Run: node examples/ws/server.js, then open the printed URL.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { WebSocketServer } from 'ws';

const page = readFileSync(new URL('index.html', import.meta.url));
const history = []; // the last 100 messages, to resume from
let n = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
  else res.writeHead(404).end();
});
// Same origin only: the page must come from this port on 127.0.0.1 or localhost (a rebound DNS name is refused too).
const verifyClient = ({ origin, req }, done) => {
  const port = req.headers.host?.split(':')[1];
  done(origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`, 403);
};
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 4096, verifyClient });

wss.on('connection', (ws, req) => {
  // A new client (no ?since) starts from now; a returning one gets what is newer than the last n it saw.
  const since = Number(new URL(req.url, 'http://x').searchParams.get('since') ?? n);
  for (const message of history) if (message.n > since) ws.send(JSON.stringify(message));
  // E.g. a message over maxPayload: ws closes that socket (1009), but an 'error' with no listener would end the process.
  ws.on('error', (error) => console.error(error.message));
});

function publish() {
  const message = { n: ++n, time: Date.now() };
  history.push(message);
  if (history.length > 100) history.shift();
  for (const ws of wss.clients) ws.send(JSON.stringify(message));
}
const tick = setInterval(publish, Number(process.env.EVERY_MS ?? 1000));

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}/`));
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    clearInterval(tick);
    for (const ws of wss.clients) ws.close(1001); // 1001 "going away": the client reconnects
    wss.close();
    server.close();
  });
