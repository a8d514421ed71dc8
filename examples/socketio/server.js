// socket.io, the smallest correct server: a `tick` event per message, and connection state recovery, so a client that
// comes back within 2 minutes gets the ticks it missed (socket.io keeps them) and `socket.recovered` is true.
// Run: node examples/socketio/server.js, then open the printed URL.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Server } from 'socket.io';

const page = readFileSync(new URL('index.html', import.meta.url));
let n = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
  else res.writeHead(404).end();
});
// socket.io also answers /socket.io/ on this server: its protocol, and its browser client at /socket.io/socket.io.js.
const io = new Server(server, { connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000 } });

// Only broadcasts (io.emit) are kept for recovery, not socket.emit to one client.
const tick = setInterval(() => io.emit('tick', { n: ++n, time: Date.now() }), Number(process.env.EVERY_MS ?? 1000));

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}/`));
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    clearInterval(tick);
    io.close(); // disconnects every client and stops listening
    server.closeAllConnections(); // and ends keep-alive connections, where a reconnecting client could start a new session
    setTimeout(() => process.exit(0), 1000).unref(); // fires only if something still holds the process a second later
  });
