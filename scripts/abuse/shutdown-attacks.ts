/**
 * Defect 9: what a server is left holding when SIGTERM comes. Each attack sets the scene and
 * returns with its connections still open; the harness then sends SIGTERM and times the exit (the
 * contract: exit code 0 within 2 s). The scenes: many connections that never read plus over-cap
 * sockets that never finish closing (ws, socket.io, and HTTP/2 sessions on sse-h2), socket.io
 * polling sessions that stopped polling, and polling sessions ended by a parse error.
 */
import { connect as connectHttp2 } from 'node:http2';
import { labCertificate } from '../../servers/tls.ts';
import type { RawConnection } from '../lib/raw/connection.ts';
import { post, WEBSOCKET } from '../lib/raw/engineio.ts';
import { clientFrame, nextFrame, OPCODES, type ServerFrame } from '../lib/raw/websocket.ts';
import { describeEnd, refusal, statusOf, tally, tryUpgrade, withoutIds, type Upgrade } from './observe.ts';
import { inBatches, pollingConnect } from './socketio-attacks.ts';
import type { Target } from './types.ts';

/** Non-reading clients; the server runs with --max-connections NON_READERS + 2 (the well-behaved clients). */
export const NON_READERS = 300;
const OVER_CAP = 20;
/** Connections opened at once while setting the scene. */
const WIDTH = 30;
const REPLY_WAIT_MS = 2000;
/** An HTTP/2 stream's answer includes a TLS handshake per session: 30 at once on a busy 2-core machine take seconds. */
const H2_REPLY_WAIT_MS = 10_000;
/** How long a ws client waits for a close frame after its upgrade: over the cap it comes at once, under it never. */
const CAP_CLOSE_WAIT_MS = 200;
/** Polling sessions per scene. */
const SESSIONS = 5;

/** The text of a text frame, or null for anything else (a close frame, the end of the connection, silence). */
const textOf = (frame: ServerFrame | 'closed' | undefined): string | null =>
  typeof frame === 'object' && frame.opcode === OPCODES.text ? frame.payload.toString() : null;

/** engine.io's open packet, then a socket.io CONNECT: its answer packet, or how the WebSocket ended before one came. */
async function connectOverRawWebSocket(connection: RawConnection): Promise<string> {
  const packet = (prefix: string) =>
    nextFrame(connection, REPLY_WAIT_MS, (f) => f.opcode === OPCODES.close || textOf(f)?.startsWith(prefix) === true);
  let frame = await packet('0');
  if (textOf(frame) !== null) {
    connection.write(clientFrame(OPCODES.text, '40'));
    frame = await packet('4');
  }
  return textOf(frame) ?? describeEnd(frame);
}

/** A WebSocket that completes its handshake (and, for socket.io, its CONNECT), then reads nothing more. */
async function stalledWebSocket(target: Target, socketIo: boolean): Promise<{ upgrade: Upgrade; reply: string }> {
  const upgrade = await tryUpgrade(target.port, socketIo ? WEBSOCKET : '/ws');
  const connection = upgrade.connection;
  if (!connection) return { upgrade, reply: refusal(upgrade.answer) };
  target.hold(() => connection.destroy());
  const reply = socketIo
    ? await connectOverRawWebSocket(connection)
    : describeEnd(await nextFrame(connection, CAP_CLOSE_WAIT_MS, (f) => f.opcode === OPCODES.close));
  connection.socket.pause();
  return { upgrade, reply: withoutIds(reply) };
}

async function nonReadersAndOverCap(target: Target, socketIo: boolean) {
  const nonReaders = await inBatches(NON_READERS, WIDTH, () => stalledWebSocket(target, socketIo));
  const overCap = await inBatches(OVER_CAP, WIDTH, () => stalledWebSocket(target, socketIo));
  const summary = (list: { upgrade: Upgrade; reply: string }[]) => ({
    upgrades: tally(list.map((s) => statusOf(s.upgrade.answer))),
    replies: tally(list.map((s) => s.reply)),
  });
  const who = socketIo ? 'socket.io' : 'ws';
  return {
    attack:
      `${NON_READERS} ${who} WebSocket clients that stop reading after the handshake${socketIo ? ' and CONNECT' : ''}, ` +
      `then ${OVER_CAP} more past --max-connections ${NON_READERS + 2}; all held open through SIGTERM`,
    answer: { nonReaders: summary(nonReaders), overCap: summary(overCap) },
    held: NON_READERS + OVER_CAP,
  };
}

/**
 * Defect 9, ws. 300 WebSockets that never read, and 20 past the cap that are sent a 1013 close and
 * never answer it. Shutdown waited for every close handshake (1 s), then gave the HTTP server its
 * own 1 s grace; the over-cap sockets, not counted as clients, were only destroyed at the end.
 */
export function holdNonReadersAndOverCapWs(target: Target) {
  return nonReadersAndOverCap(target, false);
}

/**
 * One HTTP/2 session with one SSE stream that reads nothing after its response head: a paused stream sends no
 * WINDOW_UPDATE, so once its flow-control window is spent the server's queue for it grows. The status it got.
 */
async function stalledH2Stream(target: Target, origin: string, ca: string): Promise<string> {
  const session = connectHttp2(origin, { ca });
  session.on('error', () => {});
  target.hold(() => session.destroy());
  const stream = session.request({ ':path': '/sse', accept: 'text/event-stream' }, { endStream: true });
  stream.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const status = await new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('no answer'), H2_REPLY_WAIT_MS);
    stream.once('response', (headers) => resolve(String(headers[':status'])));
    stream.once('close', () => resolve(stream.rstCode ? `RST_STREAM ${stream.rstCode}` : 'closed'));
  });
  clearTimeout(timer);
  stream.pause();
  return status;
}

/**
 * Defect 9, sse-h2. The ws scene over HTTP/2: 300 SSE streams, each on its own session, that never read, and 20 past
 * the cap that got their 503 and keep their sessions open. Shutdown ends every stream, sends each session a GOAWAY,
 * and must not wait on a session whose client never reads.
 */
export async function holdNonReadersAndOverCapSseH2(target: Target) {
  const { origin } = new URL(target.ready.url);
  const { cert } = await labCertificate();
  const nonReaders = await inBatches(NON_READERS, WIDTH, () => stalledH2Stream(target, origin, cert));
  const overCap = await inBatches(OVER_CAP, WIDTH, () => stalledH2Stream(target, origin, cert));
  return {
    attack:
      `${NON_READERS} HTTP/2 sessions, each with a GET /sse stream that stops reading after its headers, then ${OVER_CAP} ` +
      `more past --max-connections ${NON_READERS + 2}; all held open through SIGTERM`,
    answer: { nonReaders: tally(nonReaders), overCap: tally(overCap) },
    held: NON_READERS + OVER_CAP,
  };
}

/** Defect 9, socket.io: the same scene over engine.io WebSockets that sent a CONNECT, then stopped reading. */
export function holdNonReadersAndOverCapSocketIo(target: Target) {
  return nonReadersAndOverCap(target, true);
}

/**
 * Defect 9, socket.io. Polling sessions that stopped polling: five after their CONNECT, five in the
 * middle of the upgrade to WebSocket (the probe answered, the upgrade never completed, the WebSocket
 * left open and silent). Stopped after CONNECT alone, the old server still exited in about 1 s; the
 * half-done upgrades kept it past 2 s: it waited a second for every engine.io connection to go, then
 * gave the HTTP server its own second of grace.
 */
export async function stopPollingMidSession(target: Target) {
  const sessions = await inBatches(SESSIONS, SESSIONS, () => pollingConnect(target.port));
  const upgrading = await inBatches(SESSIONS, SESSIONS, async () => {
    const session = await pollingConnect(target.port);
    if (!session.sid) return 'no session';
    const { answer, connection } = await tryUpgrade(target.port, `${WEBSOCKET}&sid=${session.sid}`);
    if (!connection) return refusal(answer);
    target.hold(() => connection.destroy());
    connection.write(clientFrame(OPCODES.text, '2probe'));
    const probe = await nextFrame(connection, REPLY_WAIT_MS, (f) => textOf(f) === '3probe');
    return textOf(probe) === null ? 'no probe answer' : 'probe answered';
  });
  return {
    attack:
      `${SESSIONS} socket.io polling sessions: handshake, CONNECT, one poll for its answer, then no more polls; ` +
      `${SESSIONS} more that also open the upgrade WebSocket, send 2probe, and then neither upgrade nor poll`,
    answer: {
      connectReplies: tally(sessions.map((s) => s.reply?.slice(0, 2) ?? statusOf(s.handshake))),
      midUpgrade: tally(upgrading),
    },
    held: 2 * SESSIONS,
  };
}

/**
 * Defect 9, socket.io. Polling sessions that connected, then sent a packet socket.io cannot decode
 * (an event with broken JSON) and stopped polling. socket.io closed them for the parse error, and
 * engine.io hands a polling session its close packet on the next poll, waiting up to 30 s for it:
 * the old server outlived SIGTERM by more than the harness's 6 s of patience.
 */
export async function endSessionsWithParseError(target: Target) {
  const sessions = await inBatches(SESSIONS, SESSIONS, () => pollingConnect(target.port));
  const posts = await Promise.all(sessions.filter((s) => s.sid).map((s) => post(target.port, s.sid!, ['42["ping",{"t":'])));
  return {
    attack: `${SESSIONS} socket.io polling sessions: handshake, CONNECT, then the packet 42["ping",{"t": (broken JSON) and no more polls`,
    answer: {
      connectReplies: tally(sessions.map((s) => s.reply?.slice(0, 2) ?? statusOf(s.handshake))),
      parseErrorPost: tally(posts.map(statusOf)),
    },
    held: SESSIONS,
  };
}
