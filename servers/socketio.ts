/**
 * socket.io on its default path (/socket.io/): the server event `quote` carries the quote
 * object, or a Buffer in the binary layout for clients that ask with ?format=binary or
 * auth {format: 'binary'}. The client event `ping` is answered through its ack. Connection state
 * recovery is on, so a client back within two minutes gets the quotes it missed.
 *
 * As a cluster node (`redis` set), quotes arrive through @socket.io/redis-streams-adapter from the
 * cluster's publisher, which broadcasts them (cluster/publisher.ts); recovery sessions live in Redis,
 * so a client can resume on any node.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { socketIoStreamOptions } from './cluster/publisher.ts';
import { connectRedis, trackDuplicates } from './cluster/quote-stream.ts';
import { now } from './contract.ts';
import { BadInputBudget } from './budget.ts';
import { QuoteFeed } from './feed.ts';
import { attachFeed, closeServer, listen, settle, type DropMode, type RunningServer } from './listen.ts';
import { originAllowed, resolveOptions, type ServerOptions } from './options.ts';
import { ServerStats, statsListener } from './stats.ts';

type SocketIoFormat = 'json' | 'binary';
const FORMATS: readonly unknown[] = ['json', 'binary'];
/**
 * engine.io waits up to 30 s for a polling client's next request to hand it a close packet; a client
 * that stopped polling (or whose session ended on a parse error) would hold the process that long.
 */
const POLLING_CLOSE_TIMEOUT_MS = 500;
/** An engine.io connection must join a namespace this soon, or it is closed (socket.io's default is 45 s). */
const CONNECT_TIMEOUT_MS = 5000;
/** How long a client cut off with a DISCONNECT gets to read it before its connection is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Engine-level close reasons that mean the client broke the protocol (not a network drop such as "closed prematurely"). */
function isViolation(reason: string, description: unknown): boolean {
  if (reason === 'parse error') return true;
  return reason === 'transport error' && !/prematurely/.test(String((description as { message?: unknown } | undefined)?.message ?? ''));
}

/** The parts of an engine.io connection the lab reaches into (engine.io types them as internal). */
interface EngineConnection {
  transport: { name: string; closeTimeout?: number; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'close', listener: (reason: string, description: unknown) => void): void;
  on(event: 'packetCreate', listener: (packet: { data?: unknown }) => void): void;
  on(event: 'flush', listener: () => void): void;
  once(event: 'close', listener: () => void): void;
  close(discard: boolean): void;
}

const packetBytes = (data: unknown) =>
  typeof data === 'string' ? data.length : ((data as { byteLength?: number } | undefined)?.byteLength ?? 0);

/**
 * Ends an engine.io connection at once. A plain close would wait for the buffered packets to drain
 * first, which a stalled reader never lets happen; so its WebSocket is terminated and the rest discarded.
 */
function dropNow(conn: EngineConnection): void {
  conn.transport.socket?.terminate?.();
  conn.close(true);
}

/** Resolves once a connection named `name` (the adapter's duplicates keep it) is blocked in XREAD; throws after 5 s. */
async function readingStream(redis: Redis, name: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const clients = (await redis.client('LIST')) as string;
    if (clients.split('\n').some((line) => line.includes(`name=${name} `) && line.includes(' cmd=xread'))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`lab: socket.io's Redis adapter is not reading its stream after 5 s (connection ${name})`);
}

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('socketio', () => feed.latestSeq, options.statsGc);
  const redisName = `lab-socketio-node-${process.pid}`;
  const redis = options.redis === undefined ? undefined : connectRedis(options.redis, redisName);
  const closeCopies = redis ? trackDuplicates(redis) : () => {};

  const { server, origin, spki } = await listen(statsListener(stats, 'socket.io at /socket.io/; GET /stats'), options, stats);

  const io = new Server(server, {
    cors: { origin: options.allowOrigins, credentials: true },
    // Called for each new engine.io connection (polling or WebSocket). CORS does not cover WebSocket upgrades, so
    // every handshake is checked against the same list; and the cap counts engine.io connections, which is what a
    // client holds open (one without a namespace too), not only socket.io sockets.
    allowRequest: (req, callback) => {
      const refusal = !originAllowed(req.headers.origin, options.allowOrigins)
        ? 'LAB_ORIGIN_REFUSED'
        : io.engine.clientsCount >= options.maxConnections
          ? 'LAB_CONNECTION_CAP'
          : null;
      if (refusal) stats.refused++;
      callback(refusal, refusal === null);
    },
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxHttpBufferSize: options.maxPayloadBytes,
    httpCompression: false,
    perMessageDeflate: false,
    ...(options.heartbeatMs === null ? {} : { pingInterval: options.heartbeatMs }),
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
    ...(redis ? { adapter: createAdapter(redis, socketIoStreamOptions(options.replay)) } : {}),
  });

  // The adapter starts reading its stream from "now" once its reading connection is up: a client resuming here before
  // then would miss the quotes in between, so the node is ready only once that connection waits on the stream.
  if (redis) await readingStream(redis, redisName);

  io.engine.on('connection', (conn: EngineConnection) => {
    if (conn.transport.name === 'polling') conn.transport.closeTimeout = POLLING_CLOSE_TIMEOUT_MS;
    conn.on('close', (reason, description) => {
      if (isViolation(reason, description)) stats.violations++;
    });
    // The unsent-bytes bound, checked on every packet: quotes, replies, pings, and the answers to a connection that
    // never joins a namespace alike. engine.io holds packets until the transport can take them; then the
    // WebSocket holds them until the peer reads.
    let unsent = 0;
    let over = false;
    conn.on('flush', () => (unsent = 0));
    conn.on('packetCreate', (packet) => {
      unsent += packetBytes(packet.data);
      if (over || unsent + (conn.transport.socket?.bufferedAmount ?? 0) <= options.maxBufferedBytes) return;
      over = true;
      stats.dropped++;
      setImmediate(() => dropNow(conn)); // not from inside engine.io's own sendPacket
    });
  });

  io.use((socket, next) => {
    // Any JSON may arrive as auth or query: only the two strings pass, and nothing else is converted or printed.
    const format: unknown = socket.handshake.auth.format ?? socket.handshake.query.format ?? 'json';
    if (!FORMATS.includes(format)) return next(new Error('LAB_BAD_FORMAT: format is json or binary'));
    if (io.of('/').sockets.size >= options.maxConnections) {
      stats.refused++;
      return next(new Error('LAB_CONNECTION_CAP'));
    }
    socket.data.format = format as SocketIoFormat;
    next();
  });

  io.on('connection', (socket) => {
    // A recovered socket gets its rooms back (and its missed quotes) from socket.io itself. After a restart this process
    // knows neither the session nor the offset (in-memory adapter): recovered is false, socket.io's own "could not resume".
    if (socket.recovered) stats.resumed++;
    else socket.join(socket.data.format as SocketIoFormat);
    stats.opened();
    const budget = new BadInputBudget();
    /** Bad input costs a token: answered while the budget lasts, then the client is cut off. */
    const bad = (answer: () => void) => {
      if (!socket.connected) return; // packets of the same batch can arrive after the cut-off
      if (budget.spend()) return answer();
      stats.violations++;
      // volatile: with connection state recovery on, a plain emit is kept for two minutes; an error reply must not be.
      socket.volatile.emit('lab-error', { code: 'LAB_TOO_MANY_BAD_MESSAGES', message: 'too many bad messages' });
      // Gracefully (DISCONNECT, then the engine.io connection closes once flushed): a reset would lose the reply above.
      // One that does not read never flushes, so it is cut after a second rather than holding its place under the cap.
      const conn = socket.conn as unknown as EngineConnection;
      const cut = setTimeout(() => dropNow(conn), CLOSE_GRACE_MS);
      conn.once('close', () => clearTimeout(cut));
      socket.disconnect(true);
    };
    // A packet socket.io cannot decode ends the connection with an 'error' on each of its sockets (printed to stderr if unheard).
    socket.on('error', () => stats.violations++);
    socket.on('ping', (payload: unknown, ack?: unknown) => {
      const t = (payload as { t?: unknown } | null)?.t;
      if (typeof ack !== 'function')
        return bad(() => socket.volatile.emit('lab-error', { code: 'LAB_BAD_MESSAGE', message: 'emit ping with an ack callback' }));
      if (typeof t !== 'number') return bad(() => ack({ type: 'error', code: 'LAB_BAD_MESSAGE', message: 'send {t: <number>}' }));
      ack({ type: 'pong', t, serverTs: now() });
    });
    socket.onAny((event: unknown) => {
      if (event !== 'ping') bad(() => socket.volatile.emit('lab-error', { code: 'LAB_BAD_MESSAGE', message: 'the only event is ping' }));
    });
    socket.on('disconnect', () => {
      stats.closed();
      pruneSessions();
    });
  });

  /**
   * Recovery keeps each disconnected client's session for two minutes (socket.io persists it before 'disconnect'):
   * connection churn must not grow that store past the cap, so the oldest sessions go first.
   */
  function pruneSessions(): void {
    // The Redis adapter keeps them in Redis instead, each with its own expiry.
    const sessions = (io.of('/').adapter as unknown as { sessions?: Map<string, unknown> }).sessions;
    if (!sessions) return;
    for (const pid of sessions.keys()) {
      if (sessions.size <= options.maxConnections) break;
      sessions.delete(pid);
    }
  }

  const detach = attachFeed(feed, !options.feed, (frame) => {
    // One broadcast per format: socket.io encodes each packet once for all sockets in the room.
    // Both rooms always get it, empty or not: recovery replays from these broadcasts. A cluster node's come from the publisher.
    if (!redis) {
      io.to('json').emit('quote', frame.quote);
      io.to('binary').emit('quote', frame.binary);
    }
    const rooms = io.of('/').adapter.rooms;
    stats.messagesSent += (rooms.get('json')?.size ?? 0) + (rooms.get('binary')?.size ?? 0);
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
      if (redis) {
        // A cluster node going away (a redeploy): no DISCONNECT, which would tell clients not to come back. socket.io
        // closes each socket as "server shutting down", which saves its recovery session in Redis first, and clients
        // reconnect to another node and resume there.
        const closing = closeServer(server, stats, 500);
        await io.close();
        await closing;
        closeCopies();
        await redis.quit().catch(() => redis.disconnect());
        return;
      }
      // A DISCONNECT packet first, so each client learns it was the server ("io server disconnect") and does not retry;
      // closing the http server meanwhile would cut a polling client's connections before it has read it. Half a second
      // for that, half a second of grace for the rest (clients that do not read), then whatever is left is destroyed.
      io.disconnectSockets();
      await settle(() => io.engine.clientsCount === 0, 500);
      const closing = closeServer(server, stats, 500);
      await io.close(); // engine (remaining clients discarded at once) and adapter timers; its second close of the http server is a no-op
      await closing;
    },
  };
}
