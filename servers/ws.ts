/**
 * Raw WebSocket on `ws`, path /ws: each quote is one JSON text frame, or one binary frame in
 * the documented layout with ?format=binary. Resume with ?since=<seq>; a seq the replay buffer no
 * longer holds, or one ahead of the feed (after a restart), gets a `reset` message first. Clients
 * may send {"type":"ping","t":...} (answered with a pong) and {"type":"subscribe","symbols":[...]}.
 * Protocol-level ping/pong every heartbeatMs terminates peers that stopped answering.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { now, SYMBOLS, type ClientMessage, type ControlMessage } from './contract.ts';
import { BadInputBudget } from './budget.ts';
import { errorBody } from './errors.ts';
import { type Frame, parseSeq, QuoteFeed, resetOf } from './feed.ts';
import { attachFeed, CLOSE_GRACE_MS, closeServer, listen, type DropMode, type RunningServer } from './listen.ts';
import { originAllowed, resolveOptions, type ServerOptions } from './options.ts';
import { BAD_TARGET_BODY, requestTarget } from './request.ts';
import { ServerStats, statsListener } from './stats.ts';

type WsFormat = 'json' | 'binary';

/**
 * A client is its socket (ws makes this class for every upgrade): its state lives on the socket, and one set of
 * listeners serves every client (`this` is the socket) instead of a closure per client and event.
 */
class WsClient extends WebSocket {
  format: WsFormat = 'json';
  /** Only these symbols, after a subscribe; null = all. */
  symbols: Set<string> | null = null;
  /** A liveness ping is out and its pong has not come back yet. */
  awaitingPong = false;
  /** Made on the first bad input: a well-behaved client never needs one. */
  budget: BadInputBudget | null = null;
}

/** Refuses an upgrade with a plain HTTP answer before any WebSocket exists. */
function refuse(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

/**
 * The socket's error listener while the upgrade handler has it, removed when ws takes over. Left on as a closure, it
 * kept the handler's scope (the parsed URL, about 450 bytes) alive as long as the connection.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Destroys the socket if the close handshake under way has not finished in time (the peer may not be reading at all). */
function cutIfNotClosed(ws: WebSocket): void {
  const cut = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  ws.once('close', () => clearTimeout(cut));
}

function closeWithin(ws: WebSocket, code: number, reason: string): void {
  cutIfNotClosed(ws);
  ws.close(code, reason);
}

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('ws', () => feed.latestSeq, options.statsGc);
  const clients = new Set<WsClient>();
  // clientTracking off: `clients` is the list; ws's own set would hold every socket a second time, with a listener each.
  const wss = new WebSocketServer<typeof WsClient>({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
    clientTracking: false,
    WebSocket: WsClient,
  });

  /**
   * Every write to a client goes through here, quotes and replies alike, so no client can make the
   * server hold more than maxBufferedBytes for it, whatever it subscribed to or keeps sending.
   */
  function write(client: WsClient, data: Buffer | string, binary: boolean): boolean {
    client.send(data, { binary });
    return checkBuffered(client);
  }

  /** Drops a client whose unsent bytes passed the bound; false when it was dropped. */
  function checkBuffered(client: WsClient): boolean {
    if (client.bufferedAmount <= options.maxBufferedBytes) return true;
    if (clients.delete(client)) stats.dropped++;
    client.terminate();
    return false;
  }

  function send(client: WsClient, frame: Frame): void {
    if (client.symbols && !client.symbols.has(frame.quote.symbol)) return;
    // Bytes made once per quote: ws.send(string) would re-encode the UTF-8 for every client.
    const binary = client.format === 'binary';
    if (write(client, binary ? frame.binary : frame.memo('ws-text', (f) => Buffer.from(f.json)), binary)) stats.messagesSent++;
  }

  function control(client: WsClient, message: ControlMessage): void {
    write(client, JSON.stringify(message), false);
  }

  /** Cuts a client off for breaking the protocol or a limit, once. */
  function violation(client: WsClient, code: number, reason: string): void {
    if (!clients.delete(client)) return;
    stats.violations++;
    closeWithin(client, code, reason);
  }

  /** Bad input costs a token of the client's budget: answered while it lasts, then the client is cut off. */
  function badInput(client: WsClient, message: string | null): void {
    client.budget ??= new BadInputBudget();
    if (!client.budget.spend()) return violation(client, 1008, 'LAB_TOO_MANY_BAD_MESSAGES');
    if (message !== null) control(client, { type: 'error', code: 'LAB_BAD_MESSAGE', message });
  }

  function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    const client = this as WsClient;
    let message: ClientMessage;
    try {
      if (isBinary) throw new Error('binary');
      message = JSON.parse(data.toString('utf8')) as ClientMessage;
    } catch {
      return badInput(client, 'send JSON text: {"type":"ping","t":<number>} or {"type":"subscribe","symbols":[...]}');
    }
    if (message?.type === 'ping' && typeof message.t === 'number') {
      control(client, { type: 'pong', t: message.t, serverTs: now() });
    } else if (
      message?.type === 'subscribe' &&
      Array.isArray(message.symbols) &&
      message.symbols.every((s) => (SYMBOLS as readonly unknown[]).includes(s))
    ) {
      client.symbols = new Set(message.symbols);
      control(client, { type: 'subscribed', symbols: [...client.symbols] });
    } else {
      badInput(client, `unknown message; symbols are ${SYMBOLS.join(', ')}`);
    }
  }

  // One listener of each kind serves every client. ws types `this` as its base class; every socket of this server is a WsClient.
  function onError(this: WebSocket): void {
    if (clients.delete(this as WsClient)) stats.violations++; // an over-cap socket was refused already, not a client
    cutIfNotClosed(this);
  }

  function onClose(this: WebSocket): void {
    clients.delete(this as WsClient);
    stats.closed();
  }

  function onPing(this: WebSocket): void {
    if (checkBuffered(this as WsClient)) badInput(this as WsClient, null);
  }

  function onPong(this: WebSocket): void {
    const client = this as WsClient;
    if (client.awaitingPong) client.awaitingPong = false;
    else badInput(client, null);
  }

  function onConnection(client: WsClient, format: WsFormat, since: number): void {
    client.format = format;
    // Before anything else: a frame ws cannot accept (bad UTF-8, over maxPayload, bad opcode) is an 'error' event,
    // and ws has already sent its close frame (1007, 1009, 1002). Unhandled, it would take the whole process down.
    // The socket is left to finish that close, so the peer reads the code; one that does not is cut after a second.
    client.on('error', onError);
    if (clients.size >= options.maxConnections) {
      stats.refused++;
      closeWithin(client, 1013, 'LAB_CONNECTION_CAP');
      return;
    }
    clients.add(client);
    stats.opened();
    client.on('close', onClose);
    const resume = feed.resumeAfter(since);
    if (resume.kind === 'replay' || resume.kind === 'gap') stats.resumed++;
    const reset = resetOf(resume);
    if (reset) {
      stats.resets++;
      control(client, { type: 'reset', ...reset });
    }
    if (resume.kind !== 'fresh') for (const frame of resume.frames) if (clients.has(client)) send(client, frame);
    // ws answers a peer's ping by itself; a flood of them, or of pongs nobody asked for, is bad input.
    client.on('ping', onPing);
    client.on('pong', onPong);
    client.on('message', onMessage);
  }

  const { server, origin, spki } = await listen(statsListener(stats, 'WebSocket at /ws; GET /stats'), options, stats);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    const url = requestTarget(req);
    if (!url) return refuse(socket, 400, 'Bad Request', BAD_TARGET_BODY);
    const format = url.searchParams.get('format') ?? 'json';
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found', errorBody('LAB_NOT_FOUND', 'WebSocket path is /ws'));
    if (!originAllowed(req.headers.origin, options.allowOrigins)) {
      stats.refused++;
      return refuse(socket, 403, 'Forbidden', errorBody('LAB_ORIGIN_REFUSED', `origin ${req.headers.origin} is not on the allowlist`));
    }
    if (format !== 'json' && format !== 'binary')
      return refuse(socket, 400, 'Bad Request', errorBody('LAB_BAD_FORMAT', 'format is json or binary'));
    socket.off('error', destroyOnError); // handleUpgrade puts ws's own (the same) listener on the socket
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
            if (client.awaitingPong) {
              client.terminate();
              continue;
            }
            client.awaitingPong = true;
            client.ping();
          }
        }, options.heartbeatMs);

  function drop(mode: DropMode): void {
    if (mode === 'destroy') stats.destroySockets();
    else for (const client of clients) client.close(1001, 'server going away');
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
      // One deadline for everything: the close handshakes (1001) and the server's own close run together, and
      // closeServer destroys whatever is still open after its grace period (non-readers, over-cap sockets).
      const closed = [...clients].map((client) => new Promise((resolve) => client.once('close', resolve)));
      const closing = closeServer(server, stats);
      drop('end');
      await Promise.all([closing, ...closed]);
      wss.close();
    },
  };
}
