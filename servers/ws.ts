/**
 * Raw WebSocket on `ws`, path /ws: each quote is one JSON text frame, or one binary frame in
 * the documented layout with ?format=binary. Resume with ?since=<seq>. Clients may send
 * {"type":"ping","t":...} (answered with a pong) and {"type":"subscribe","symbols":[...]}.
 * Protocol-level ping/pong every heartbeatMs terminates peers that stopped answering.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { now, SYMBOLS, type ClientMessage, type ControlMessage } from './contract.ts';
import { errorBody } from './errors.ts';
import { type Frame, parseSeq, QuoteFeed } from './feed.ts';
import { attachFeed, closeServer, listen, type DropMode, type RunningServer } from './listen.ts';
import { originAllowed, resolveOptions, type ServerOptions } from './options.ts';
import { ServerStats } from './stats.ts';

type WsFormat = 'json' | 'binary';
interface WsClient {
  ws: WebSocket;
  format: WsFormat;
  /** Only these symbols, after a subscribe; null = all. */
  symbols: Set<string> | null;
  alive: boolean;
}

/** Refuses an upgrade with a plain HTTP answer before any WebSocket exists. */
function refuse(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function control(ws: WebSocket, message: ControlMessage): void {
  ws.send(JSON.stringify(message));
}

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('ws', () => feed.latestSeq);
  const clients = new Set<WsClient>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false });

  function send(client: WsClient, frame: Frame): void {
    if (client.symbols && !client.symbols.has(frame.quote.symbol)) return;
    if (client.ws.bufferedAmount > options.maxBufferedBytes) {
      if (clients.delete(client)) stats.dropped++;
      client.ws.terminate();
      return;
    }
    // Bytes made once per quote: ws.send(string) would re-encode the UTF-8 for every client.
    if (client.format === 'binary') client.ws.send(frame.binary);
    else client.ws.send(frame.memo('ws-text', (f) => Buffer.from(f.json)), { binary: false });
    stats.messagesSent++;
  }

  function onMessage(client: WsClient, data: Buffer, isBinary: boolean): void {
    let message: ClientMessage;
    try {
      if (isBinary) throw new Error('binary');
      message = JSON.parse(data.toString('utf8')) as ClientMessage;
    } catch {
      control(client.ws, { type: 'error', code: 'LAB_BAD_MESSAGE', message: 'send JSON text: {"type":"ping","t":<number>} or {"type":"subscribe","symbols":[...]}' });
      return;
    }
    if (message?.type === 'ping' && typeof message.t === 'number') {
      control(client.ws, { type: 'pong', t: message.t, serverTs: now() });
    } else if (message?.type === 'subscribe' && Array.isArray(message.symbols) && message.symbols.every((s) => (SYMBOLS as readonly unknown[]).includes(s))) {
      client.symbols = new Set(message.symbols);
      control(client.ws, { type: 'subscribed', symbols: [...client.symbols] });
    } else {
      control(client.ws, { type: 'error', code: 'LAB_BAD_MESSAGE', message: `unknown message; symbols are ${SYMBOLS.join(', ')}` });
    }
  }

  function onConnection(ws: WebSocket, format: WsFormat, since: number): void {
    if (clients.size >= options.maxConnections) {
      stats.refused++;
      ws.close(1013, 'LAB_CONNECTION_CAP');
      return;
    }
    const client: WsClient = { ws, format, symbols: null, alive: true };
    const resume = feed.resumeAfter(since);
    if (resume.kind !== 'fresh') stats.resumed++;
    if (resume.kind === 'gap') {
      stats.resets++;
      control(ws, { type: 'reset', lastSeen: resume.lastSeen, firstAvailable: resume.firstAvailable, missed: resume.missed });
    }
    if (resume.kind !== 'fresh') for (const frame of resume.frames) send(client, frame);
    clients.add(client);
    stats.opened();
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data: Buffer, isBinary) => onMessage(client, data, isBinary));
    ws.on('error', () => ws.terminate()); // e.g. 1009 oversize: ws has already sent the close frame
    ws.on('close', () => {
      clients.delete(client);
      stats.closed();
    });
  }

  const { server, origin, spki } = await listen(
    (req, res) => {
      if (req.url?.split('?')[0] === '/stats') return stats.handle(req, res);
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(errorBody('LAB_NOT_FOUND', 'WebSocket at /ws; GET /stats'));
    },
    options,
    stats,
  );

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://x');
    const format = url.searchParams.get('format') ?? 'json';
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found', errorBody('LAB_NOT_FOUND', 'WebSocket path is /ws'));
    if (!originAllowed(req.headers.origin, options.allowOrigins)) {
      stats.refused++;
      return refuse(socket, 403, 'Forbidden', errorBody('LAB_ORIGIN_REFUSED', `origin ${req.headers.origin} is not on the allowlist`));
    }
    if (format !== 'json' && format !== 'binary') return refuse(socket, 400, 'Bad Request', errorBody('LAB_BAD_FORMAT', 'format is json or binary'));
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, format, parseSeq(url.searchParams.get('since') ?? undefined)));
  });

  const detach = attachFeed(feed, !options.feed, (frame) => {
    for (const client of clients) send(client, frame);
  });
  const liveness =
    options.heartbeatMs === null
      ? undefined
      : setInterval(() => {
          for (const client of clients) {
            if (!client.alive) {
              client.ws.terminate();
              continue;
            }
            client.alive = false;
            client.ws.ping();
          }
        }, options.heartbeatMs);

  function drop(mode: DropMode): void {
    if (mode === 'destroy') stats.destroySockets();
    else for (const client of clients) client.ws.close(1001, 'server going away');
  }

  return {
    transport: 'ws',
    url: `${origin.replace(/^http/, 'ws')}/ws`,
    statsUrl: `${origin}/stats`,
    origin,
    spki,
    feed,
    stats,
    drop,
    async close() {
      detach();
      clearInterval(liveness);
      // Close handshakes first (1001), so close() resolves with every client gone; stragglers are cut after 1 s.
      const closed = [...clients].map(({ ws }) => new Promise((resolve) => ws.once('close', resolve)));
      drop('end');
      const cut = setTimeout(() => clients.forEach(({ ws }) => ws.terminate()), 1000);
      await Promise.all(closed);
      clearTimeout(cut);
      wss.close();
      await closeServer(server, stats);
    },
  };
}
