/**
 * Raw WebSocket frames written by hand after a valid handshake (on /ws, and on socket.io's
 * WebSocket after its CONNECT): random opcodes, RSV bits, masked or not, lengths that lie or are
 * not minimal, fragmented sequences (with control frames between), control frames over 125
 * bytes, invalid UTF-8, close frames with odd codes; then a probe message that needs an answer.
 *
 * Oracle: the server's own frames are RFC-clean; it closes only with a code it may send (or the
 * client's own close code echoed); a sequence a small RFC 6455 model calls a protocol error
 * closes the connection, one it calls clean leaves it open (the probe is answered, ws only);
 * and a server left waiting for bytes closes once the client ends its side.
 */
import fc from 'fast-check';
import type { Transport } from '../../servers/transports.ts';
import { ANSWER_MS, type RawConnection } from '../lib/raw/connection.ts';
import { WEBSOCKET } from '../lib/raw/engineio.ts';
import {
  clientFrame,
  closeOf,
  encodeFrame,
  frameSpec,
  minimalBits,
  nextFrame,
  OPCODES,
  openWebSocket,
  type FrameSpec,
} from '../lib/raw/websocket.ts';
import { checkServerFrame, violation } from './classify.ts';
import type { LiveServer } from './live.ts';
import { surface, type AnySurface } from './surface.ts';

const MAX_PAYLOAD = 64 * 1024;
/** How long the probe gets before the client ends its side. */
const PROBE_MS = 1000;

/** Close codes valid (1000, 3000, 4999), reserved (1004-1006, 1015) and out of range. */
const CLOSE_CODES = [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1012, 1014, 1015, 999, 0, 2999, 3000, 4999, 5000, 65535];
const closeCodes = fc.constantFrom(...CLOSE_CODES);
/** A UTF-16 surrogate encoded as UTF-8: never valid. */
const invalidUtf8 = fc.uint8Array({ maxLength: 8 }).map((tail) => Uint8Array.from([0xed, 0xa0, 0x80, ...tail]));

const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('{"type":"ping","t":1}', '{"type":"subscribe","symbols":[]}', 'hello', '', '42["ping",{"t":1}]', '3', '2', '1')
      .map((t) => Buffer.from(t)),
  },
  { weight: 1, arbitrary: invalidUtf8 },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        closeCodes,
        fc.oneof(
          fc.string({ maxLength: 20 }).map((s) => Buffer.from(s)),
          invalidUtf8,
        ),
      )
      .map(([code, reason]) => {
        const bytes = Buffer.alloc(2 + reason.length);
        bytes.writeUInt16BE(code, 0);
        bytes.set(reason, 2);
        return bytes;
      }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 120, max: 300 }).map((n) => Buffer.alloc(n, 0x61)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(MAX_PAYLOAD + 1, 0x61)) },
);

/** Lies about the payload's length: mostly none, sometimes a little, sometimes absurd. */
const lie = fc.oneof(
  { weight: 8, arbitrary: fc.constant(0n) },
  { weight: 2, arbitrary: fc.bigInt({ min: -20n, max: 20n }) },
  { weight: 1, arbitrary: fc.constantFrom(2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n) },
);

const anyFrame: fc.Arbitrary<FrameSpec> = fc
  .record({
    fin: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    rsv: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
    opcode: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
    ),
    masked: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    payload,
    width: fc.constantFrom<'minimal' | 16 | 64>('minimal', 'minimal', 'minimal', 16, 64),
    lie,
  })
  .map(({ fin, rsv, opcode, masked, mask, payload: bytes, width, lie: delta }) => {
    const declared = BigInt(bytes.length) + delta < 0n ? 0n : BigInt(bytes.length) + delta;
    return {
      fin,
      rsv,
      opcode,
      mask: masked ? Buffer.from(mask) : null,
      payload: Buffer.from(bytes),
      lengthBits: width === 'minimal' ? minimalBits(bytes.length) : width,
      declared,
    };
  });

/** A clean fragmented message (text or binary), optionally with a ping between its fragments. */
const fragmented: fc.Arbitrary<FrameSpec[]> = fc
  .tuple(fc.constantFrom(OPCODES.text, OPCODES.binary), fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 4 }), fc.boolean())
  .map(([opcode, parts, ping]) => {
    const mask = Buffer.from([1, 2, 3, 4]); // fixed, so a replayed input is the same bytes
    const frames = parts.map((part, i) => frameSpec(i === 0 ? opcode : OPCODES.continuation, part, i === parts.length - 1, mask));
    if (ping) frames.splice(1, 0, frameSpec(OPCODES.ping, 'p', true, mask));
    return frames;
  });

const frames: fc.Arbitrary<FrameSpec[]> = fc.oneof(
  fc.array(anyFrame, { minLength: 1, maxLength: 5 }),
  fragmented,
  fc.tuple(fragmented, fc.array(anyFrame, { maxLength: 2 })).map(([a, b]) => [...a, ...b]),
);

const isValidCloseCode = (code: number) =>
  (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999);
const validUtf8 = (bytes: Buffer) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/**
 * The length the frame's header carries on the wire: `declared` cut to the width of its field, as
 * encodeFrame writes it (2^32 + 2 in the 7-bit field is an honest 2). In the 7-bit field 126 and 127
 * announce a longer field instead: null, no length the model can read.
 */
function wireLength(f: FrameSpec): bigint | null {
  if (f.lengthBits === 7) {
    const length = f.declared & 0x7fn;
    return length >= 126n ? null : length;
  }
  return f.declared & (f.lengthBits === 16 ? 0xffffn : 0xffffffffffffffffn);
}

/** What RFC 6455 (as ws enforces it) makes of the sequence: 'open', 'closed', or null when not predicted. */
function model(sequence: readonly FrameSpec[]): { fate: 'open' | 'closed' | null; clientClose?: number } {
  let message: Buffer[] | null = null;
  let opcode = 0;
  for (const f of sequence) {
    // A length that lies leaves the server waiting for bytes: no prediction. A longer-than-needed length field
    // (RFC 6455 asks for the minimal one) is accepted by ws on a data frame; on a control frame it is a 1002.
    if (wireLength(f) !== BigInt(f.payload.length)) return { fate: null };
    if (f.opcode >= 8 && f.lengthBits !== 7) return { fate: 'closed' };
    if (!f.mask || f.rsv !== 0 || ![0, 1, 2, 8, 9, 10].includes(f.opcode)) return { fate: 'closed' };
    if (f.payload.length > MAX_PAYLOAD) return { fate: 'closed' };
    if (f.opcode >= 8) {
      if (!f.fin || f.payload.length > 125) return { fate: 'closed' };
      if (f.opcode !== OPCODES.close) continue;
      if (f.payload.length === 0) return { fate: 'closed', clientClose: 1005 };
      const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 0;
      const clean = f.payload.length >= 2 && isValidCloseCode(code) && validUtf8(f.payload.subarray(2));
      return clean ? { fate: 'closed', clientClose: code } : { fate: 'closed' };
    }
    // A continuation with nothing to continue, or a new message in the middle of one.
    if ((f.opcode === 0) !== (message !== null)) return { fate: 'closed' };
    if (f.opcode !== 0) {
      message = [];
      opcode = f.opcode;
    }
    message!.push(f.payload);
    const whole = Buffer.concat(message!);
    if (whole.length > MAX_PAYLOAD) return { fate: 'closed' };
    if (f.fin) {
      if (opcode === OPCODES.text && !validUtf8(whole)) return { fate: 'closed' };
      message = null;
    }
  }
  // The probe is a new text message: in the middle of a fragmented one it is a protocol error.
  return { fate: message === null ? 'open' : 'closed' };
}

/** Close codes a server may send: its own, or the client's echoed back. */
const SERVER_CODES = [1000, 1001, 1002, 1005, 1007, 1008, 1009];

interface Target {
  name: string;
  transport: Transport;
  /** Opens the connection and gets it to the point where the probe would be answered. */
  open(server: LiveServer): Promise<RawConnection>;
  probe(id: number): string;
  answered(text: string, id: number): boolean;
  /** The model's 'open' holds here (socket.io may close on any data it cannot parse). */
  predictsOpen: boolean;
}

/** Reads frames until one satisfies `done`, the connection closes, or the time is up. */
async function readUntil(
  connection: RawConnection,
  timeoutMs: number,
  done: (text: string) => boolean,
): Promise<'answered' | 'silent' | { close: number }> {
  const frame = await nextFrame(connection, timeoutMs, (f) => {
    checkServerFrame(f);
    return f.opcode === OPCODES.close || (f.opcode === OPCODES.text && done(f.payload.toString('utf8')));
  });
  if (frame === undefined) return 'silent';
  if (frame === 'closed') return { close: 1006 };
  if (frame.opcode === OPCODES.text) return 'answered';
  const { code } = closeOf(frame);
  return { close: code ?? violation('the server sent a close frame with a 1-byte payload') };
}

const TARGETS: readonly Target[] = [
  {
    name: 'ws',
    transport: 'ws',
    open: (server) => openWebSocket(server.httpPort, '/ws'),
    probe: (id) => JSON.stringify({ type: 'ping', t: id }),
    answered: (text, id) => text.includes('"type":"pong"') && (JSON.parse(text) as { t?: unknown }).t === id,
    predictsOpen: true,
  },
  {
    name: 'socketio',
    transport: 'socketio',
    async open(server) {
      const connection = await openWebSocket(server.httpPort, WEBSOCKET);
      const opened = await readUntil(connection, ANSWER_MS, (text) => text.startsWith('0{'));
      connection.write(clientFrame(OPCODES.text, '40'));
      const joined = opened === 'answered' && (await readUntil(connection, ANSWER_MS, (text) => text.startsWith('40{')));
      if (joined !== 'answered') {
        connection.destroy();
        throw new Error(`socket.io over a raw WebSocket did not open and CONNECT (${JSON.stringify(joined || opened)})`);
      }
      return connection;
    },
    probe: (id) => `42${id}["ping",{"t":${id}}]`,
    answered: (text, id) => text.startsWith(`43${id}[`),
    predictsOpen: false,
  },
];

async function sendFrames(target: Target, sequence: FrameSpec[], server: LiveServer): Promise<void> {
  const connection = await target.open(server);
  const id = Math.floor(Math.random() * 1e9);
  let outcome: 'answered' | 'silent' | { close: number };
  let ended = false;
  try {
    connection.write(Buffer.concat([...sequence.map(encodeFrame), clientFrame(OPCODES.text, target.probe(id))]));
    outcome = await readUntil(connection, PROBE_MS, (text) => target.answered(text, id));
    if (outcome === 'silent') {
      // Waiting for bytes a lying length promised is fine; still waiting after the client's end is not.
      connection.end();
      ended = true;
      outcome = await readUntil(connection, ANSWER_MS, () => false);
      if (outcome === 'silent') violation(`the server kept the connection open ${ANSWER_MS} ms after the client ended it`);
    }
  } finally {
    connection.destroy();
  }
  const { fate, clientClose } = model(sequence);
  const shown = sequence.map(({ fin, rsv, opcode, mask, payload: p, declared }) => ({
    fin,
    rsv,
    opcode,
    masked: !!mask,
    bytes: p.length,
    declared: `${declared}`,
  }));
  const what = `${sequence.length} frame(s) ${JSON.stringify(shown)}`;
  if (typeof outcome === 'object' && outcome.close !== 1006 && !SERVER_CODES.includes(outcome.close) && outcome.close !== clientClose) {
    violation(`${what}: the server closed with ${outcome.close}`);
  }
  if (fate === 'closed' && (outcome === 'answered' || ended))
    violation(`${what}: a protocol error, yet the server ${outcome === 'answered' ? 'answered the probe' : 'waited'}`);
  if (fate === 'open' && target.predictsOpen && outcome !== 'answered')
    violation(`${what}: clean frames, yet the probe got ${JSON.stringify(outcome)}`);
}

export const WS_FRAME_SURFACES: AnySurface[] = TARGETS.map((target) =>
  surface<FrameSpec[]>({
    name: `ws-frame:${target.name}`,
    transport: target.transport,
    arbitrary: frames,
    runs: 300,
    send: (seq, server) => sendFrames(target, seq, server),
  }),
);
