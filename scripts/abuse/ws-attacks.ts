/**
 * Attacks on the raw WebSocket server (servers/ws.ts), with hand-built requests and frames on raw
 * sockets: what the `ws` client library would refuse to send is exactly what a hostile peer sends.
 */
import type { Socket } from 'node:net';
import { clientFrame, encodeFrame, frameSpec, nextFrame, OPCODES, type ServerFrame } from '../lib/raw/websocket.ts';
import { answerOf, awaitClose, describeEnd, refusal, statusOf, tally, tryUpgrade } from './observe.ts';
import type { Target } from './types.ts';

/** How long to wait for a close frame the server owes us. */
const CLOSE_WAIT_MS = 2000;

/**
 * Defect 1. WebSocket upgrades to request targets that `new URL(target, base)` cannot parse (`//`, a
 * port past 65535), with valid Upgrade/Key/Version headers. The upgrade handler parsed the target
 * unguarded, so a single such request threw outside any handler and took the whole ws server down.
 */
export async function upgradeToUnparsableTarget(target: Target) {
  const targets = ['//', 'http://a:99999/ws'];
  const answers = [];
  for (const requestTarget of targets) {
    const upgrade = await tryUpgrade(target.port, requestTarget);
    upgrade.connection?.destroy();
    answers.push({ target: requestTarget, ...answerOf(upgrade.answer), closedAfterAnswer: upgrade.closedAfterAnswer });
  }
  const attack = `one WebSocket upgrade request to each of ${targets.map((t) => JSON.stringify(t)).join(' and ')}`;
  return { attack, answer: { upgrades: answers }, held: 1 };
}

/**
 * Defect 2. With the connection cap reached, WebSockets that the server accepts only to close with
 * 1013 send malformed frames before that close completes: invalid UTF-8 text, and a text frame over
 * the 64 KiB payload limit. The over-cap socket had no `error` listener, so ws's own protocol error
 * (1007 / 1009) was thrown as an uncaught exception. Each frame goes both in the same write as the
 * upgrade request (it reaches the server before it answers) and right after the 101.
 */
export async function overCapSocketsSendMalformedFrames(target: Target) {
  const frames = {
    invalidUtf8: clientFrame(OPCODES.text, Buffer.from([0xce, 0xba, 0xff, 0xfe])),
    oversize: clientFrame(OPCODES.text, Buffer.alloc(70_000, 0x78)),
  };
  const perCase = 3;
  const closes: Record<string, string[]> = {};
  const statuses: (number | string)[] = [];
  for (const [name, frame] of Object.entries(frames)) {
    for (const pipelined of [true, false]) {
      for (let i = 0; i < perCase; i++) {
        const upgrade = await tryUpgrade(target.port, '/ws', pipelined ? frame : undefined);
        if (!pipelined) upgrade.connection?.write(frame);
        statuses.push(statusOf(upgrade.answer));
        (closes[`${name}${pipelined ? 'WithUpgrade' : 'After101'}`] ??= []).push(await awaitClose(upgrade, CLOSE_WAIT_MS));
      }
    }
  }
  const answer = { upgrades: tally(statuses), closes: Object.fromEntries(Object.entries(closes).map(([k, v]) => [k, tally(v)])) };
  return {
    attack:
      `${statuses.length} over-cap WebSockets (cap 2, both taken), ${perCase} per case: invalid UTF-8 text ` +
      'or a 70,000-byte text frame, sent with the upgrade request or right after the 101',
    answer,
    held: 1,
  };
}

/** Waits until the socket can take more, or it closed, or the deadline passed. */
function writable(socket: Socket, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, deadline - performance.now()));
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** How long defect 5's flood lasts: on the old server this grew RSS by well over 100 MiB. */
const FLOOD_MS = 4000;
/** 1-byte text frames per write; each is 7 bytes on the wire (2 header, 4 mask, 1 payload). */
const FRAMES_PER_WRITE = 8192;

/**
 * Defect 5. A WebSocket subscribes to no symbols, never reads again, and floods 1-byte messages.
 * Each is invalid JSON and gets a ~130-byte error reply; with no quotes to send, the unsent-bytes
 * check (which ran only when a quote went out) never fired, so the replies piled up in the server
 * without bound: a 7-byte message bought 130 bytes of server memory.
 */
export async function floodUnreadWithNoSubscription(target: Target) {
  const { answer, connection } = await tryUpgrade(target.port, '/ws');
  if (!connection) throw new Error(`lab: the upgrade to /ws was answered ${statusOf(answer)}`);
  target.hold(() => connection.destroy());
  connection.write(clientFrame(OPCODES.text, JSON.stringify({ type: 'subscribe', symbols: [] })));
  const reply = await nextFrame(connection, CLOSE_WAIT_MS, (f) => f.opcode === OPCODES.text && f.payload.toString().startsWith('{"type"'));
  const socket = connection.socket;
  socket.pause(); // from here on the client reads nothing

  const one = clientFrame(OPCODES.text, 'x');
  const batch = Buffer.concat(Array.from({ length: FRAMES_PER_WRITE }, () => one));
  let error: string | null = null;
  socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
  const startBytes = socket.bytesWritten;
  const started = performance.now();
  const deadline = started + FLOOD_MS;
  let cutOffAfterMs: number | null = null;
  socket.once('close', () => (cutOffAfterMs = Math.round(performance.now() - started)));
  while (!socket.destroyed && performance.now() < deadline) {
    if (socket.write(batch))
      await new Promise((resolve) => setImmediate(resolve)); // let the loop see a close
    else await writable(socket, deadline);
  }
  const bytes = socket.bytesWritten - startBytes;
  return {
    attack:
      `subscribe to [] on /ws, stop reading, then ${FLOOD_MS} ms of 1-byte text messages ` +
      `(${one.length} bytes each) as fast as the socket takes them`,
    answer: {
      subscribeReply: typeof reply === 'object' ? reply.payload.toString() : null,
      flood: {
        bytesSent: bytes,
        messagesSent: Math.floor(bytes / one.length),
        cutOff: cutOffAfterMs !== null,
        cutOffAfterMs,
        socketError: error,
      },
    },
    held: 1,
  };
}

/** Upgrades to /ws, sends `frames` and says how the server closed the WebSocket. */
async function sendAndAwaitClose(port: number, frames: Buffer): Promise<string> {
  const upgrade = await tryUpgrade(port, '/ws');
  upgrade.connection?.write(frames);
  return awaitClose(upgrade, CLOSE_WAIT_MS);
}

/** Protocol pings defect 10 sends, one at a time. */
const PINGS = 60;

/**
 * Protocol pings, each sent once the previous one's pong is in, until the server closes or PINGS
 * were sent. One at a time, so ws's own limit on unanswered pongs (60 pending) never triggers and
 * what shows is the server's own answer.
 */
async function pingOneByOne(port: number): Promise<{ pings: number; pongs: number; close: string }> {
  const { answer, connection } = await tryUpgrade(port, '/ws');
  if (!connection) return { pings: 0, pongs: 0, close: refusal(answer) };
  let pings = 0;
  let pongs = 0;
  let end: ServerFrame | 'closed' | undefined;
  while (pings < PINGS && end === undefined) {
    connection.write(clientFrame(OPCODES.ping, `p${pings++}`));
    const frame = await nextFrame(connection, CLOSE_WAIT_MS, (f) => f.opcode === OPCODES.pong || f.opcode === OPCODES.close);
    if (typeof frame === 'object' && frame.opcode === OPCODES.pong) pongs++;
    else end = frame; // the close frame or the end of the connection; undefined (no pong in time) pings again
  }
  connection.destroy();
  return { pings, pongs, close: describeEnd(end) };
}

/**
 * Defect 10 (ws side). Three WebSockets break the protocol: one sends 60 unsolicited protocol pings
 * (each costs the server a pong), one a text frame of invalid UTF-8, one a frame with a reserved bit
 * set. The server answered every ping, cut the other two off (ws does, 1007 / 1002), and counted
 * none of it: /stats had no `violations` counter.
 */
export async function pingFloodAndBadFrames(target: Target) {
  const flood = await pingOneByOne(target.port);
  const invalidUtf8 = await sendAndAwaitClose(target.port, clientFrame(OPCODES.text, Buffer.from([0xff, 0xfe, 0xfd])));
  const reservedBit = await sendAndAwaitClose(target.port, encodeFrame({ ...frameSpec(OPCODES.text, '{"type":"ping","t":1}'), rsv: 4 }));
  return {
    attack:
      `three WebSockets to /ws: up to ${PINGS} protocol pings, each after the previous pong; a text frame of invalid UTF-8; ` +
      'a text frame with RSV1 set',
    answer: {
      pingFlood: flood,
      invalidUtf8: { close: invalidUtf8 },
      reservedBit: { close: reservedBit },
    },
    held: 1,
  };
}
