/**
 * engine.io / socket.io packets, over long-polling (POST bodies on a session from a real
 * handshake) and over a raw WebSocket to /socket.io/?EIO=4&transport=websocket: a namespace
 * CONNECT with odd auth (objects, arrays, toString traps, other namespaces, junk), then event
 * packets (ping with and without ack and payloads of every type, other and reserved names),
 * acks, binary-attachment headers with right and wrong counts and placeholders, engine-level
 * packets, and a probe event whose ack must come back.
 *
 * Oracles: CONNECT with an auth object gets `40` when its format is json, binary or absent and a
 * CONNECT_ERROR naming LAB_BAD_FORMAT for any other value (contract defect 3); a payload that is
 * no object ends the session. After a good CONNECT, packets socket.io accepts leave the session
 * up (the probe is answered); packets it cannot parse end it; lab-error events and acks carry the
 * contract's shapes.
 */
import fc from 'fast-check';
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { closeSession, handshake, packets, poll, post } from '../lib/raw/engineio.ts';
import { EngineSocket } from '../lib/raw/engineio-websocket.ts';
import { jsonField, junk, trapJson } from './arbitraries.ts';
import { violation } from './classify.ts';
import type { LiveServer } from './live.ts';
import { surface, type AnySurface } from './surface.ts';

/** How long the probe's ack gets. */
const PROBE_MS = 1500;

/** A packet with what socket.io makes of it: true ends the session, false is accepted, null not predicted. */
type Packet = { text: string; fatal: boolean | null; leaves?: true } | { attachment: Uint8Array };

/** What the CONNECT must get: `40`, a CONNECT_ERROR naming a code, either, the session ended, or not predicted. */
type ConnectExpectation = '40' | 'LAB_BAD_FORMAT' | '40|LAB_BAD_FORMAT' | 'Invalid namespace' | 'ended' | null;

interface EngineInput {
  connect: { text: string; expect: ConnectExpectation };
  packets: Packet[];
}

const isPlainObject = (v: unknown) => Object.prototype.toString.call(v) === '[object Object]';

/** The contract's answer to a CONNECT carrying this auth JSON. */
function connectExpectation(auth: string): ConnectExpectation {
  // socket.io-parser reads leading digits as an ack id; the payload (if any) is what follows.
  const payload = auth.replace(/^\d+/, '');
  if (payload === '') return '40';
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return 'ended';
  }
  if (!isPlainObject(value)) return 'ended';
  const format = (value as { format?: unknown }).format;
  if (format === undefined || format === 'json' || format === 'binary') return '40';
  return format === null ? '40|LAB_BAD_FORMAT' : 'LAB_BAD_FORMAT';
}

const authJson: fc.Arbitrary<string> = fc.oneof(
  jsonField.map((format) => `{"format":${format}}`),
  fc.constantFrom(
    '{"format":{"toString":1}}',
    '{"format":["json"]}',
    '{"format":{"valueOf":1,"toString":{}}}',
    '{"format":null}',
    '{"__proto__":{"format":"xml"}}',
    '{}',
  ),
  trapJson,
  fc.tuple(jsonField, jsonField).map(([a, b]) => `{"token":${a},"format":${b}}`),
  fc.constantFrom('[]', '"json"', '1', 'null', 'true'),
);

const connect: fc.Arbitrary<EngineInput['connect']> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ text: '40', expect: '40' as const }) },
  { weight: 6, arbitrary: authJson.map((auth) => ({ text: `40${auth}`, expect: connectExpectation(auth) })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('/admin', '/nope', '/ü').map((nsp) => ({ text: `40${nsp},`, expect: 'Invalid namespace' as const })),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(junk(12), fc.constantFrom('{', '{"a":', '/,{}', '1', '0{}')).map((rest) => ({ text: `40${rest}`, expect: null })),
  },
);

const RESERVED = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

/** An EVENT: `42[id][name, ...args]`, judged as socket.io-parser judges its payload. */
const event: fc.Arbitrary<Packet> = fc
  .tuple(
    fc.option(fc.oneof(fc.nat({ max: 99999 }).map(String), fc.constantFrom('99999999999999999999', '0')), { nil: '' }),
    fc.oneof(
      { weight: 4, arbitrary: fc.constant('"ping"') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '"quote"',
          '"lab-error"',
          '"PING"',
          '1',
          '"__proto__"',
          '"toString"',
          ...RESERVED.map((r) => JSON.stringify(r)),
        ),
      },
    ),
    fc.array(
      fc.oneof(
        jsonField,
        jsonField.map((t) => `{"t":${t}}`),
        trapJson,
      ),
      { maxLength: 2 },
    ),
  )
  .map(([id, name, args]) => {
    const fatal = RESERVED.includes(JSON.parse(name) as string);
    return { text: `42${id}[${[name, ...args].join(',')}]`, fatal };
  });

/** A binary event: `45N-[…placeholders]` and its attachments; good only with 1 ≤ N ≤ 10 attachments and valid placeholder numbers. */
const binaryEvent: fc.Arbitrary<Packet[]> = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 3 }).map(String), fc.constantFrom('-1', 'x', '11', '99999999999')),
    fc.array(fc.oneof(fc.nat({ max: 3 }).map(String), fc.constantFrom('-1', '"0"', '{"toString":1}', '"__proto__"', '0.5')), {
      minLength: 1,
      maxLength: 2,
    }),
    fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([count, nums, attachments, ack]) => {
    const n = Number(count);
    // socket.io-parser checks only that a placeholder's num is a number in [0, count): 0.5 passes (and reads as undefined).
    const valid =
      Number.isInteger(n) &&
      n >= 1 &&
      n <= 10 &&
      n === attachments.length &&
      nums.every((num) => /^\d+(\.\d+)?$/.test(num) && Number(num) < n);
    const placeholders = nums.map((num) => `{"_placeholder":true,"num":${num}}`).join(',');
    const header: Packet = { text: `45${count}-${ack ? '7' : ''}["ping",${placeholders}]`, fatal: !valid };
    return [header, ...attachments.map((attachment): Packet => ({ attachment }))];
  });

const packet: fc.Arbitrary<Packet[]> = fc.oneof(
  { weight: 6, arbitrary: event.map((p) => [p]) },
  { weight: 2, arbitrary: binaryEvent },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<Packet>(
        { text: '43[]', fatal: false },
        { text: '4312[{"type":"pong"}]', fatal: false },
        { text: '43{}', fatal: true },
        { text: '3', fatal: false },
        { text: '6', fatal: null },
        { text: '2', fatal: true },
        { text: '1', fatal: null },
        { text: '5', fatal: null },
        { text: '41', fatal: false, leaves: true },
        { text: '44{"message":"x"}', fatal: null },
        { text: '42', fatal: false },
        { text: '42[]', fatal: true },
        { text: '42{"0":"ping"}', fatal: true },
        { text: '4', fatal: true },
        { text: '47', fatal: true },
        { text: '', fatal: null },
      )
      .map((p) => [p]),
  },
  { weight: 1, arbitrary: junk(16).map((text): Packet[] => [{ text, fatal: null }]) },
);

/** Two properties, so a finding in one never hides the other's: the CONNECT alone, and packets after a plain CONNECT. */
const connectInput: fc.Arbitrary<EngineInput> = connect.map((c) => ({ connect: c, packets: [] }));
const packetsInput: fc.Arbitrary<EngineInput> = fc
  .array(packet, { minLength: 1, maxLength: 4 })
  .map((groups) => ({ connect: { text: '40', expect: '40' as const }, packets: groups.flat() }));

/** What must happen to the probe: answered, not (the session ends), or either. */
function probeFate(packets: readonly Packet[]): 'answered' | 'ended' | null {
  const texts = packets.filter((p): p is Extract<Packet, { text: string }> => 'text' in p);
  if (texts.some((p) => p.fatal === true)) return 'ended';
  if (texts.some((p) => p.fatal === null || p.leaves)) return null;
  return 'answered';
}

/** The shapes the contract gives the server's own packets: lab-error events, ping acks. */
function checkServerPacket(packet: string, what: string): void {
  const labError = /^42(\["lab-error",.*\])$/.exec(packet);
  if (labError) {
    const [, error, ...rest] = JSON.parse(labError[1]!) as [string, { code?: unknown; message?: unknown }, ...unknown[]];
    if (typeof error?.code !== 'string' || !/^LAB_[A-Z_]+$/.test(error.code) || typeof error.message !== 'string')
      violation(`${what}: lab-error ${labError[1]}`);
    // A trailing argument is connection state recovery's offset: the reply was stored, and a flood of them would pile up.
    if (rest.length > 0) violation(`${what}: lab-error kept for connection state recovery (offset ${JSON.stringify(rest[0])})`);
  }
  const ack = /^43\d+\[(.*)\]$/.exec(packet);
  if (ack && !/"type":"(pong|error)"/.test(ack[1]!)) violation(`${what}: an ack ${packet.slice(0, 200)} is neither pong nor error`);
}

/** One way to carry packets: long-polling or a WebSocket. */
interface Channel {
  send(items: readonly (string | Uint8Array)[]): Promise<void>;
  /** Reads the server's packets until `done` says so, the session ends, or the time is up. */
  read(done: (packet: string) => boolean, timeoutMs: number): Promise<{ found?: string; ended: boolean }>;
  close(): Promise<void>;
}

async function pollingChannel(server: LiveServer): Promise<Channel> {
  const port = server.httpPort;
  const { sid, answer } = await handshake(port);
  if (!sid) throw new Error(`engine.io handshake failed: ${answer.kind}`);
  let ended = false;
  return {
    async send(items) {
      const answer = await post(port, sid, items);
      if (answer.kind !== 'response' || answer.status !== 200) ended = true;
    },
    async read(done, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!ended && Date.now() < deadline) {
        const answer = await poll(port, sid, Math.max(1, deadline - Date.now()));
        if (answer.kind === 'timeout') break;
        if (answer.kind !== 'response' || answer.status !== 200) return { ended: (ended = true) };
        for (const packet of packets(answer)) {
          if (packet === '1') return { ended: (ended = true) };
          if (done(packet)) return { found: packet, ended };
        }
      }
      return { ended };
    },
    close: () => closeSession(port, sid),
  };
}

async function websocketChannel(server: LiveServer): Promise<Channel> {
  const socket = new EngineSocket(server.httpPort);
  if (!(await socket.next((p) => p.startsWith('0{'), ANSWER_MS))) {
    socket.close();
    throw new Error('engine.io over WebSocket sent no open packet');
  }
  return {
    send: async (items) => socket.send(items),
    read: async (done, timeoutMs) => ({ found: await socket.next(done, timeoutMs), ended: socket.ended }),
    close: async () => socket.close(),
  };
}

function checkConnect(expect: ConnectExpectation, answer: { found?: string; ended: boolean }, what: string): void {
  const got = answer.found ?? (answer.ended ? 'the session ended' : 'nothing in time');
  const fine = (() => {
    switch (expect) {
      case null:
        return answer.found !== undefined || answer.ended;
      case 'ended':
        return answer.found === undefined && answer.ended;
      case 'Invalid namespace':
        return got.startsWith('44/') && got.includes('Invalid namespace');
      case '40':
        return got.startsWith('40{') && got.includes('"sid"');
      case 'LAB_BAD_FORMAT':
        return got.startsWith('44{') && got.includes('LAB_BAD_FORMAT');
      case '40|LAB_BAD_FORMAT':
        return got.startsWith('40{') || (got.startsWith('44{') && got.includes('LAB_BAD_FORMAT'));
    }
  })();
  if (!fine) violation(`${what}: expected ${expect ?? 'any defined answer'}, got ${JSON.stringify(got.slice(0, 200))}`);
}

async function sendEngine(open: (server: LiveServer) => Promise<Channel>, input: EngineInput, server: LiveServer): Promise<void> {
  const channel = await open(server);
  const what = `CONNECT ${JSON.stringify(input.connect.text.slice(0, 80))}`;
  try {
    await channel.send([input.connect.text]);
    const connected = await channel.read((p) => p.startsWith('40') || p.startsWith('44'), ANSWER_MS);
    checkConnect(input.connect.expect, connected, what);
    if (!connected.found?.startsWith('40{')) return;
    const id = 1_000_000 + Math.floor(Math.random() * 1e6);
    const items = input.packets.map((p) => ('text' in p ? p.text : p.attachment));
    await channel.send([...items, `42${id}["ping",{"t":${id}}]`]);
    const answer = await channel.read((p) => {
      checkServerPacket(p, what);
      return p.startsWith(`43${id}[`);
    }, PROBE_MS);
    const fate = probeFate(input.packets);
    const sent = `${what}, then ${JSON.stringify(input.packets.map((p) => ('text' in p ? p.text : `<${p.attachment.length} bytes>`)))}`;
    if (fate === 'answered' && !answer.found)
      violation(`${sent}: the probe was not answered (${answer.ended ? 'session ended' : 'silence'})`);
    if (fate === 'ended' && !answer.ended) {
      violation(`${sent}: a packet socket.io cannot parse, yet the session ${answer.found ? 'answered the probe' : 'stayed open'}`);
    }
    if (answer.found && !/"type":"pong"/.test(answer.found)) violation(`${what}: the probe's ack is ${answer.found.slice(0, 200)}`);
  } finally {
    await channel.close();
  }
}

const CHANNELS = { polling: pollingChannel, websocket: websocketChannel } as const;

export const ENGINE_SURFACES: AnySurface[] = (['polling', 'websocket'] as const).flatMap((channel) => {
  const send = (input: EngineInput, server: LiveServer) => sendEngine(CHANNELS[channel], input, server);
  return [
    surface<EngineInput>({
      name: `engineio-connect:${channel}`,
      transport: 'socketio',
      arbitrary: connectInput,
      runs: channel === 'polling' ? 200 : 300,
      send,
    }),
    surface<EngineInput>({ name: `engineio-packets:${channel}`, transport: 'socketio', arbitrary: packetsInput, runs: 150, send }),
  ];
});
