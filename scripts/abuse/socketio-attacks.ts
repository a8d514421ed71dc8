/**
 * Attacks on the socket.io server (servers/socketio.ts), speaking engine.io v4 by hand over raw
 * HTTP long-polling and WebSockets (scripts/raw), so packets go out that socket.io-client would
 * never send.
 */
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { connect, handshake, packets, poll, WEBSOCKET } from '../lib/raw/engineio.ts';
import { EngineSocket } from '../lib/raw/engineio-websocket.ts';
import type { HttpAnswer } from '../lib/raw/http.ts';
import { nextFrame, OPCODES } from '../lib/raw/websocket.ts';
import { bodyOf, statusOf, tally, tryUpgrade, withoutIds } from './observe.ts';
import type { Target } from './types.ts';

/** Runs `count` calls of `make`, `width` at a time, in order. */
export async function inBatches<T>(count: number, width: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, i) => make(start + i)))));
  }
  return results;
}

/** A polling session that has sent socket.io CONNECT: the handshake's answer, and the CONNECT's (`40{...}`, `44{...}`). */
export async function pollingConnect(port: number, connectPacket = '40'): Promise<{ handshake: HttpAnswer; sid?: string; reply?: string }> {
  const { answer, sid } = await handshake(port);
  return { handshake: answer, sid, reply: sid && (await connect(port, sid, connectPacket)) };
}

/** CONNECT over an engine.io WebSocket; resolves the namespace's answer packet, if one came. */
async function connectOverWebSocket(port: number, connectPacket: string): Promise<string | undefined> {
  const socket = new EngineSocket(port);
  try {
    if (!(await socket.next((m) => m.startsWith('0'), ANSWER_MS))) return undefined;
    socket.send([connectPacket]);
    return await socket.next((m) => m.startsWith('4'), ANSWER_MS);
  } finally {
    socket.close();
  }
}

/**
 * Defect 3. socket.io CONNECT packets whose auth `format` is not a string: `{"toString":1}` (String()
 * of it throws), an array (String(["json"]) passes as "json") and a number. The middleware called
 * String() on whatever came, so the object threw inside socket.io's async connect path: an unhandled
 * rejection, and the process exited. The ones the old server survives go first.
 */
export async function connectWithNonStringFormat(target: Target) {
  const cases = [
    { via: 'polling', packet: '40{"format":["json"]}' },
    { via: 'polling', packet: '40{"format":1}' },
    { via: 'polling', packet: '40{"format":{"toString":1}}' },
    { via: 'websocket', packet: '40{"format":{"toString":1}}' },
  ];
  const connects = [];
  for (const { via, packet } of cases) {
    const reply = via === 'polling' ? (await pollingConnect(target.port, packet)).reply : await connectOverWebSocket(target.port, packet);
    connects.push({ via, packet, reply: reply ?? null });
  }
  const attack = `${cases.length} socket.io CONNECTs with a non-string auth format, over polling and WebSocket`;
  return { attack, answer: { connects }, held: 1 };
}

/** How many `ping` events defect 6 sends without an ack id. */
const PINGS = 20_000;
/** Sends per turn of the event loop, so the attacker also reads what comes back. */
const SEND_BURST = 500;
/** How long to wait for the connection to end once the flood has been sent. */
const CLOSE_WAIT_MS = 2000;
/** The flood's replies have stopped once none came in this long (checked for at most SETTLE_LIMIT_MS). */
const QUIET_MS = 250;
const SETTLE_LIMIT_MS = 5000;

/**
 * Defect 6. One socket.io connection emits `ping` 20,000 times without an ack id. Each got a
 * `lab-error` reply, and with connection state recovery on, socket.io stored every reply for two
 * minutes in case this client came back: memory grew with the flood, and nothing ever cut it off.
 */
export async function pingFloodWithoutAck(target: Target) {
  const socket = new EngineSocket(target.port);
  target.hold(() => socket.close());
  await socket.next((m) => m.startsWith('0'), ANSWER_MS);
  socket.send(['40']);
  const connected = await socket.next((m) => m.startsWith('4'), ANSWER_MS);
  let sent = 0;
  while (sent < PINGS && socket.ws.readyState === socket.ws.OPEN) {
    for (let i = 0; i < SEND_BURST && sent < PINGS; i++, sent++) socket.send(['42["ping",{"t":1}]']);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const labErrors = () => socket.packets.filter((m) => m.startsWith('42["lab-error"'));
  for (let last = -1, waited = 0; waited < SETTLE_LIMIT_MS && socket.ws.readyState === socket.ws.OPEN; waited += QUIET_MS) {
    const count = labErrors().length;
    if (count === last) break;
    last = count;
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  }
  const errors = labErrors();
  const codes = errors.map((m) => (JSON.parse(m.slice(2)) as [string, { code?: string }])[1]?.code);
  const closeCode = await Promise.race([socket.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), CLOSE_WAIT_MS))]);
  return {
    attack: `one socket.io connection over WebSocket, ${sent} \`ping\` events with no ack id, ${SEND_BURST} per event-loop turn`,
    answer: {
      sent,
      connect: connected === undefined ? null : withoutIds(connected),
      labErrors: errors.length,
      codes: tally(codes),
      lastCode: codes.at(-1) ?? null,
      disconnectPacket: socket.packets.includes('41'),
      closed: closeCode !== null,
      closeCode,
    },
    held: 1,
  };
}

/** How long the unknown-namespace flood sends, and how many CONNECTs it sends at the most. */
const NAMESPACE_FLOOD_MS = 3000;
const NAMESPACE_FLOOD_MAX = 400_000;

/**
 * The class of defects 5 and 6, found in review: an engine.io connection that never joins a
 * namespace, never reads, and floods CONNECTs to a namespace that does not exist, each answered
 * with a CONNECT_ERROR. The unsent-bytes bound used to be checked only for sockets of `/`, and only
 * when a quote went out, so these answers piled up without limit (heap +120 MiB in a few seconds).
 */
export async function floodUnknownNamespaceUnread(target: Target) {
  const socket = new EngineSocket(target.port);
  target.hold(() => socket.close());
  await socket.next((m) => m.startsWith('0'), ANSWER_MS);
  const raw = (socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  raw.pause();
  let sent = 0;
  const until = Date.now() + NAMESPACE_FLOOD_MS;
  while (Date.now() < until && sent < NAMESPACE_FLOOD_MAX && socket.ws.readyState === socket.ws.OPEN) {
    for (let i = 0; i < SEND_BURST; i++, sent++) socket.send(['40/nope,']);
    await new Promise((resolve) => setImmediate(resolve));
  }
  // The server may still be working through the flood's backlog; then the attacker reads again, since a socket
  // that does not read never sees the server's close: what was sent before it is read first, then the close.
  await new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS));
  raw.resume();
  const closed = await Promise.race([
    socket.closed.then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_WAIT_MS)),
  ]);
  const cutOff = closed || socket.ws.readyState !== socket.ws.OPEN;
  return {
    attack: `one engine.io WebSocket that stops reading, then ${NAMESPACE_FLOOD_MS} ms of CONNECTs to namespace /nope (${sent} sent)`,
    answer: { sent, cutOff },
    held: 1,
  };
}

/** Defect 7's handshakes: more than twice the cap of 50 between them. */
const POLLING_HANDSHAKES = 90;
const WEBSOCKET_HANDSHAKES = 30;
/** How long to watch the opened connections for the server closing them (contract: 5 s without CONNECT). */
const WATCH_MS = 7500;

/**
 * Defect 7. 120 engine.io handshakes (90 polling, then 30 WebSocket) against --max-connections 50,
 * none of which ever sends a socket.io CONNECT. The cap counted only connected socket.io sockets, so
 * every engine.io connection was accepted and held for socket.io's 45 s connect timeout: a few
 * thousand of them held the server's memory and sockets with no cap at all.
 */
export async function engineIoHandshakesPastTheCap(target: Target) {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const sessions = await inBatches(POLLING_HANDSHAKES, 10, () => handshake(target.port));
  // A pending long-poll on each opened session: the server answers it with a close packet when it closes the session.
  const pollCloses = sessions
    .filter((s) => s.sid)
    .map(async (s) => {
      const answer = await poll(target.port, s.sid!, WATCH_MS - elapsed());
      return packets(answer).includes('1') || statusOf(answer) === 400 ? elapsed() : null;
    });
  const upgrades = await inBatches(WEBSOCKET_HANDSHAKES, 10, () => tryUpgrade(target.port, WEBSOCKET));
  for (const { connection } of upgrades) target.hold(() => connection?.destroy());
  const wsCloses = upgrades
    .filter((u) => u.connection)
    .map(async ({ connection }) => {
      const end = await nextFrame(connection!, WATCH_MS - elapsed(), (f) => f.opcode === OPCODES.close);
      return end === undefined ? null : elapsed();
    });
  const closes = await Promise.all([...pollCloses, ...wsCloses]);
  const closedAt = closes.filter((ms): ms is number => ms !== null);
  const refusedPolling = sessions.filter((s) => !s.sid).map((s) => s.answer);
  const refusedWs = upgrades.filter((u) => !u.connection).map((u) => u.answer);
  return {
    attack:
      `${POLLING_HANDSHAKES} engine.io polling handshakes, then ${WEBSOCKET_HANDSHAKES} engine.io WebSocket upgrades, ` +
      `10 at a time, none sending a socket.io CONNECT; opened ones watched for ${WATCH_MS} ms`,
    answer: {
      opened: { polling: sessions.length - refusedPolling.length, websocket: upgrades.length - refusedWs.length },
      refused: {
        polling: tally(refusedPolling.map(statusOf)),
        websocket: tally(refusedWs.map(statusOf)),
      },
      refusalBody: { polling: refusedPolling[0] ? bodyOf(refusedPolling[0]) : null, websocket: refusedWs[0] ? bodyOf(refusedWs[0]) : null },
      // Close times in ms since the first handshake.
      neverConnected: {
        open: closes.length,
        closedByServer: closedAt.length,
        closedMs: closedAt.length ? { first: Math.min(...closedAt), last: Math.max(...closedAt) } : null,
      },
    },
    held: closes.length,
  };
}
