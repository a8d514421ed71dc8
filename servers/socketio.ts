/**
 * socket.io on its default path (/socket.io/): the server event `quote` carries the quote
 * object, or a Buffer in the binary layout for clients that ask with ?format=binary or
 * auth {format: 'binary'}. The client event `ping` is answered through its ack. Connection state
 * recovery is on, so a client back within two minutes gets the quotes it missed.
 */
import { Server, type Socket } from 'socket.io';
import { now } from './contract.ts';
import { errorBody } from './errors.ts';
import { QuoteFeed } from './feed.ts';
import { attachFeed, closeServer, listen, settle, type DropMode, type RunningServer } from './listen.ts';
import { originAllowed, resolveOptions, type ServerOptions } from './options.ts';
import { ServerStats } from './stats.ts';

type SocketIoFormat = 'json' | 'binary';
const FORMATS: readonly string[] = ['json', 'binary'];

/** Bytes a socket has not sent yet: engine.io's packet buffer plus the WebSocket's own. */
function pendingBytes(socket: Socket): number {
  const conn = socket.conn as unknown as { writeBuffer: { data?: unknown }[]; transport: { socket?: { bufferedAmount?: number } } };
  let bytes = conn.transport.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer) {
    const data = packet.data;
    bytes += typeof data === 'string' ? data.length : ((data as { byteLength?: number } | undefined)?.byteLength ?? 0);
  }
  return bytes;
}

/**
 * Ends a connection at once. socket.disconnect(true) would wait for the buffered packets to
 * drain first, which a stalled reader never lets happen; so the WebSocket is terminated.
 */
function dropNow(socket: Socket): void {
  const conn = socket.conn as unknown as { transport: { socket?: { terminate?: () => void } }; close(discard: boolean): void };
  conn.transport.socket?.terminate?.();
  conn.close(true);
}

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('socketio', () => feed.latestSeq);

  const { server, origin, spki } = await listen(
    (req, res) => {
      if (req.url?.split('?')[0] === '/stats') return stats.handle(req, res);
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(errorBody('LAB_NOT_FOUND', 'socket.io at /socket.io/; GET /stats'));
    },
    options,
    stats,
  );

  const io = new Server(server, {
    cors: { origin: options.allowOrigins, credentials: true },
    // CORS does not cover WebSocket upgrades, so every request is checked against the same list.
    allowRequest: (req, callback) => {
      const ok = originAllowed(req.headers.origin, options.allowOrigins);
      if (!ok) stats.refused++;
      callback(ok ? null : 'LAB_ORIGIN_REFUSED', ok);
    },
    maxHttpBufferSize: options.maxPayloadBytes,
    httpCompression: false,
    perMessageDeflate: false,
    ...(options.heartbeatMs === null ? {} : { pingInterval: options.heartbeatMs }),
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
  });

  io.use((socket, next) => {
    const format = String(socket.handshake.auth.format ?? socket.handshake.query.format ?? 'json');
    if (!FORMATS.includes(format)) return next(new Error('LAB_BAD_FORMAT: format is json or binary'));
    if (io.of('/').sockets.size >= options.maxConnections) {
      stats.refused++;
      return next(new Error('LAB_CONNECTION_CAP'));
    }
    socket.data.format = format as SocketIoFormat;
    next();
  });

  io.on('connection', (socket) => {
    // A recovered socket gets its rooms back (and its missed quotes) from socket.io itself.
    if (socket.recovered) stats.resumed++;
    else socket.join(socket.data.format as SocketIoFormat);
    stats.opened();
    socket.on('ping', (payload: unknown, ack?: unknown) => {
      const t = (payload as { t?: unknown } | null)?.t;
      if (typeof ack !== 'function') return socket.emit('lab-error', { code: 'LAB_BAD_MESSAGE', message: 'emit ping with an ack callback' });
      if (typeof t !== 'number') return ack({ type: 'error', code: 'LAB_BAD_MESSAGE', message: 'send {t: <number>}' });
      ack({ type: 'pong', t, serverTs: now() });
    });
    socket.on('disconnect', () => stats.closed());
  });

  const dropped = new WeakSet<Socket>();
  const detach = attachFeed(feed, !options.feed, (frame) => {
    // One broadcast per format: socket.io encodes each packet once for all sockets in the room.
    // Both rooms always get it, empty or not: recovery replays from these broadcasts.
    io.to('json').emit('quote', frame.quote);
    io.to('binary').emit('quote', frame.binary);
    const rooms = io.of('/').adapter.rooms;
    stats.messagesSent += (rooms.get('json')?.size ?? 0) + (rooms.get('binary')?.size ?? 0);
    for (const socket of io.of('/').sockets.values()) {
      if (!dropped.has(socket) && pendingBytes(socket) > options.maxBufferedBytes) {
        dropped.add(socket);
        stats.dropped++;
        dropNow(socket);
      }
    }
  });

  function drop(mode: DropMode): void {
    if (mode === 'destroy') stats.destroySockets();
    else io.disconnectSockets(true);
  }

  return {
    transport: 'socketio',
    url: origin,
    statsUrl: `${origin}/stats`,
    origin,
    spki,
    feed,
    stats,
    drop,
    async close() {
      detach();
      // A DISCONNECT packet first: the client learns it was the server ("io server disconnect") and does not retry.
      io.disconnectSockets();
      await settle(() => io.engine.clientsCount === 0, 1000);
      const closing = closeServer(server, stats);
      await io.close(); // engine and adapter timers; its own second close of the http server is a no-op
      await closing;
    },
  };
}
