/**
 * The server behind nginx in proxy-auth: it checks no credential, it records where one arrived.
 * The lab servers ignore credentials, and their preflight does not allow `Authorization`; this one
 * answers as an API that takes a bearer token would, so each way of sending one can get through.
 *
 *   OPTIONS *      preflight: the exact origin, credentials, `Authorization` allowed
 *   GET /sse       a stream (the exact origin and credentials): `retry: 60000`, one `hello`, held open
 *   upgrade /ws    a WebSocket (no permessage-deflate) that sends `hello` and records its first message
 *
 * Every request is recorded with its method, path and query, and the headers a credential can
 * ride in (cookie, authorization), plus origin and what a preflight asked for.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { now } from '../../servers/contract.ts';
import type { ProxyTarget } from '../../servers/proxy/nginx.ts';
import { round } from '../measure.ts';
import type { RequestSeen } from '../types.ts';

const LOGGED = ['cookie', 'authorization', 'origin', 'access-control-request-headers'];

export interface AuthServer {
  target: ProxyTarget;
  readonly requests: RequestSeen[];
  /** The first message of each WebSocket, as text. */
  readonly firstMessages: string[];
  close(): Promise<void>;
}

export async function startAuthServer(t0: number): Promise<AuthServer> {
  const requests: RequestSeen[] = [];
  const firstMessages: string[] = [];
  const sockets = new Set<Socket>();
  const ids = new WeakMap<Socket, number>();
  const record = (req: IncomingMessage) => {
    const headers: Record<string, string> = {};
    for (const name of LOGGED) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
    const connection = ids.get(req.socket) ?? 0;
    requests.push({ t: round(now() - t0), connection, method: req.method ?? '', path: req.url ?? '', headers });
  };
  const server = createServer((req, res) => {
    record(req);
    const origin = req.headers.origin;
    const cors = origin ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Authorization' }).end();
    } else if (new URL(req.url ?? '/', 'http://x').pathname === '/sse') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...cors });
      res.write('retry: 60000\n\ndata: hello\n\n');
    } else {
      res.writeHead(404, cors).end();
    }
  });
  let next = 0;
  server.on('connection', (socket: Socket) => {
    ids.set(socket, ++next);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    record(req);
    socket.on('error', () => socket.destroy());
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.once('message', (data) => firstMessages.push(String(data)));
      ws.send('hello');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    target: { transport: 'sse', url: `${origin}/sse`, statsUrl: `${origin}/stats`, origin },
    requests,
    firstMessages,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
