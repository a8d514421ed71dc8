/**
 * Query parameters: format and lastEventId on SSE (over HTTP/1.1 and HTTP/2), format and since on
 * the ws upgrade, and EIO, transport, sid and format on socket.io (polling and WebSocket
 * handshakes), mixed with repeats, empty values, raw or escaped junk and keys like `__proto__` and
 * `toString`.
 *
 * Oracles: each server reads the target as `new URL` does (SSE and ws: the first value of a key;
 * engine.io: the last). An unknown format is 400 LAB_BAD_FORMAT (socket.io: a CONNECT_ERROR
 * naming LAB_BAD_FORMAT); a known one streams in that format, resumed as lastEventId/since say;
 * engine.io opens a session only for EIO=4 with a known transport and no sid.
 */
import fc from 'fast-check';
import { decodeBinary } from '../../servers/contract.ts';
import { ANSWER_MS, type RawConnection } from '../lib/raw/connection.ts';
import { closeSession, connect, handshake, openSid, packets } from '../lib/raw/engineio.ts';
import { host, queryEncode, request, send } from '../lib/raw/http.ts';
import { acceptKey, nextFrame, OPCODES, upgrade } from '../lib/raw/websocket.ts';
import { junk, percentEscape, point, pointText, type Point } from './arbitraries.ts';
import { checkServerFrame, classifyHttp, expectLab, showOutcome, violation } from './classify.ts';
import { exchangeWith, targetAsRead } from './exchange.ts';
import type { LiveServer } from './live.ts';
import { checkResume, firstQuoteArrived, parseSeq, sseStart, type StreamStart } from './resume.ts';
import { surface, transportsWhere, type AnySurface } from './surface.ts';

/** A value: text (escaped, or raw as typed), a resume point, or the id of a live engine.io session. */
type Value = { text: string; raw: boolean } | { point: Point } | { sid: true };

interface Param {
  key: string;
  /** null: the key alone, no `=`. */
  value: Value | null;
}

const text = fc.oneof(
  fc.constantFrom('json', 'binary', 'base64', 'JSON', 'xml', '', '4', '3', '5', 'polling', 'websocket', 'webtransport', ' json'),
  percentEscape,
  junk(10),
);
const value = (keys: 'seq' | 'sid' | 'plain'): fc.Arbitrary<Value> =>
  fc.oneof(
    fc.record({ text, raw: fc.boolean() }),
    ...(keys === 'seq' ? [fc.record({ point })] : []),
    ...(keys === 'sid' ? [fc.constant({ sid: true } as const)] : []),
  );

const param = (keys: readonly string[], seqKeys: readonly string[]): fc.Arbitrary<Param> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...keys).chain((key) =>
        fc.record({
          key: fc.constant(key),
          value: fc.option(value(seqKeys.includes(key) ? 'seq' : key === 'sid' ? 'sid' : 'plain'), { nil: null, freq: 8 }),
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        key: fc.oneof(fc.constantFrom('__proto__', 'toString', 'constructor', 'hasOwnProperty', 'FORMAT', ''), junk(6)),
        value: fc.option(value('plain'), { nil: null }),
      }),
    },
  );

/** The target: resume points resolved against the newest seq, `{sid: true}` replaced by the live session's id. */
function render(path: string, params: readonly Param[], latest: number, sid?: string): string {
  const parts = params.map(({ key, value: v }) => {
    const k = queryEncode(key);
    if (v === null) return k;
    if ('sid' in v) return `${k}=${queryEncode(sid ?? 'none')}`;
    if ('point' in v) return `${k}=${queryEncode(pointText(v.point, latest))}`;
    return `${k}=${v.raw ? v.text : queryEncode(v.text)}`;
  });
  return parts.length === 0 ? path : `${path}?${parts.join('&')}`;
}

/** The query as the lab's servers read it (URLSearchParams: first value wins), or null when the target does not parse. */
const searchParams = (target: string) =>
  URL.canParse(target, 'http://lab.invalid') ? new URL(target, 'http://lab.invalid').searchParams : null;

/** The query as engine.io reads it: Object.fromEntries, so the last value wins. */
const engineQuery = (target: string): Record<string, string> => Object.fromEntries(searchParams(target) ?? []);

// SSE -------------------------------------------------------------------------------------------

async function sendSse(params: Param[], server: LiveServer): Promise<void> {
  const { latestSeq } = await server.stats();
  const target = render('/sse', params, latestSeq);
  const answer = await exchangeWith(server, 'GET', target, [], undefined, { enough: firstQuoteArrived });
  if (answer === null) return; // HTTP/2 would not carry the `:path` (raw junk: a space, a control byte)
  const outcome = classifyHttp(answer, { statuses: [200, 400] });
  if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
  const query = searchParams(targetAsRead(server, target));
  if (!query) return expectLab(outcome, 400, 'LAB_BAD_REQUEST', `GET ${target}`);
  const format = query.get('format') ?? 'json';
  if (format !== 'json' && format !== 'base64') return expectLab(outcome, 400, 'LAB_BAD_FORMAT', `GET ${target}`, false);
  if (outcome.kind !== 'response' || outcome.response.status !== 200)
    violation(`GET ${target}: expected the stream, got ${showOutcome(outcome)}`);
  const decode =
    format === 'json'
      ? (data: string) => (JSON.parse(data) as { seq: number }).seq
      : (data: string) => decodeBinary(Buffer.from(data, 'base64')).seq;
  checkResume(
    sseStart(outcome.response, decode, `GET ${target}`),
    parseSeq(query.get('lastEventId') || undefined),
    latestSeq,
    `GET ${target}`,
  );
}

// ws --------------------------------------------------------------------------------------------

/** The first messages on a new ws connection: an optional reset, then the first quote (text or binary). */
async function wsStart(connection: RawConnection, what: string): Promise<StreamStart> {
  let reset: StreamStart['reset'];
  const deadline = Date.now() + ANSWER_MS;
  for (;;) {
    const frame = await nextFrame(connection, Math.max(1, deadline - Date.now()));
    if (frame === undefined || frame === 'closed') violation(`${what}: ${frame ?? 'no quote in time'} before the first quote`);
    checkServerFrame(frame);
    if (frame.opcode === 2) return { firstSeq: decodeBinary(frame.payload).seq, ...(reset ? { reset } : {}) };
    if (frame.opcode !== 1) continue;
    const message = JSON.parse(frame.payload.toString('utf8')) as { type?: string; seq?: number } & NonNullable<StreamStart['reset']>;
    if (message.type === 'reset') {
      const { lastSeen, firstAvailable, missed, reason } = message;
      reset = { lastSeen, firstAvailable, missed, reason };
    } else if (message.type === undefined && typeof message.seq === 'number') return { firstSeq: message.seq, ...(reset ? { reset } : {}) };
    else violation(`${what}: ${frame.payload.toString('utf8').slice(0, 200)} before the first quote`);
  }
}

async function sendWs(params: Param[], server: LiveServer): Promise<void> {
  const { latestSeq } = await server.stats();
  const target = render('/ws', params, latestSeq);
  const { key, answer, connection } = await upgrade(server.httpPort, target);
  try {
    const outcome = classifyHttp(answer, { statuses: [101, 400, 404], upgrade: true });
    if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
    const query = searchParams(target);
    if (!query) return expectLab(outcome, 400, 'LAB_BAD_REQUEST', `upgrade ${target}`);
    const format = query.get('format') ?? 'json';
    if (format !== 'json' && format !== 'binary') return expectLab(outcome, 400, 'LAB_BAD_FORMAT', `upgrade ${target}`, false);
    if (outcome.kind !== 'response' || outcome.response.status !== 101)
      violation(`upgrade ${target}: expected 101, got ${showOutcome(outcome)}`);
    if (outcome.response.headers['sec-websocket-accept'] !== acceptKey(key)) violation(`upgrade ${target}: wrong accept value`);
    const start = await wsStart(connection, `upgrade ${target}`);
    checkResume(start, parseSeq(query.get('since') ?? undefined), latestSeq, `upgrade ${target}`);
  } finally {
    connection.destroy();
  }
}

// socket.io -------------------------------------------------------------------------------------

function checkFormat(connect: string | undefined, query: Record<string, string>, what: string): void {
  const format = query.format ?? 'json';
  const ok = format === 'json' || format === 'binary';
  if (ok && !connect?.startsWith('40{'))
    violation(`${what}: format ${JSON.stringify(format)} is known but CONNECT got ${JSON.stringify(connect)}`);
  if (!ok && !(connect?.startsWith('44') && connect.includes('LAB_BAD_FORMAT'))) {
    violation(`${what}: format ${JSON.stringify(format)} is unknown but CONNECT got ${JSON.stringify(connect)}`);
  }
}

async function sendPolling(params: Param[], server: LiveServer): Promise<void> {
  const port = server.httpPort;
  const live = params.some((p) => p.value !== null && 'sid' in p.value) ? (await handshake(port)).sid : undefined;
  if (live) await connect(port, live); // leaves the session with nothing pending, so a GET on it returns at once
  const target = render('/socket.io/', params, 0, live);
  let opened: string | undefined;
  try {
    const answer = await send(port, request('GET', target, [host(port)]), ANSWER_MS);
    const outcome = classifyHttp(answer, { statuses: [200, 400, 403], engineIo: true });
    if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
    const query = engineQuery(target);
    const what = `GET ${target}`;
    opened = outcome.kind === 'response' ? openSid(packets(outcome.response)[0]) : undefined;
    const status = outcome.kind === 'response' ? outcome.response.status : 0;
    if (query.sid === undefined || query.sid === '') {
      const handshakeOk = query.EIO === '4' && query.transport === 'polling';
      if (handshakeOk !== (status === 200 && opened !== undefined))
        violation(`${what}: ${handshakeOk ? 'a valid handshake' : 'an invalid one'} got ${showOutcome(outcome)}`);
      if (opened) checkFormat(await connect(port, opened), query, what);
    } else if (query.sid !== live && status === 200) {
      violation(`${what}: an unknown sid got 200`);
    } else if (query.sid === live && (query.transport === 'polling' && query.EIO === '4') !== (status === 200)) {
      violation(`${what}: a live session's poll got ${showOutcome(outcome)}`);
    }
  } finally {
    await Promise.all([live, opened].map((sid) => sid && closeSession(port, sid)));
  }
}

async function sendSocketIoUpgrade(params: Param[], server: LiveServer): Promise<void> {
  const target = render('/socket.io/', params, 0); // a sid value here names no session
  const { key, answer, connection } = await upgrade(server.httpPort, target);
  try {
    const outcome = classifyHttp(answer, { statuses: [101, 400, 403], engineIo: true, upgrade: true });
    if (outcome.kind === 'response' && outcome.said.by === 'bare') return;
    const query = engineQuery(target);
    const switched = outcome.kind === 'response' && outcome.response.status === 101;
    // engine.io checks EIO, and whether the transport takes upgrades, only after the switch: then it closes the WebSocket.
    const must = !query.sid && query.EIO === '4' && query.transport === 'websocket';
    const may = !query.sid && (query.transport === 'websocket' || query.transport === 'polling');
    if (must !== switched && may !== switched)
      violation(`upgrade ${target}: ${must ? 'a valid handshake' : 'an invalid one'} got ${showOutcome(outcome)}`);
    if (!switched) return;
    if (outcome.response.headers['sec-websocket-accept'] !== acceptKey(key)) violation(`upgrade ${target}: wrong accept value`);
    if (must) return;
    // A close frame or the TCP close.
    const closing = await nextFrame(connection, ANSWER_MS, (f) => f.opcode === OPCODES.close);
    if (!closing) violation(`upgrade ${target}: 101 for a handshake engine.io does not take, and the WebSocket stayed open`);
  } finally {
    connection.destroy();
  }
}

const KEYS = {
  sse: { keys: ['format', 'lastEventId', 'since', 'EIO'], seq: ['lastEventId'] },
  ws: { keys: ['format', 'since', 'lastEventId', 'transport'], seq: ['since'] },
  socketio: { keys: ['EIO', 'transport', 'sid', 'format'], seq: [] },
} as const;

/** A query: usually the server's own keys in some order, with a little noise. */
const query = (name: keyof typeof KEYS) => fc.array(param(KEYS[name].keys, KEYS[name].seq), { maxLength: 5 });

/** socket.io's keys, biased to a working handshake so the CONNECT and its format get exercised too. */
const socketIoQuery = fc.oneof(
  query('socketio'),
  fc
    .tuple(query('socketio'), fc.constantFrom('polling', 'websocket'))
    .map(([rest, transport]): Param[] => [
      { key: 'EIO', value: { text: '4', raw: true } },
      { key: 'transport', value: { text: transport, raw: true } },
      ...rest.filter((p) => p.key !== 'EIO' && p.key !== 'transport'),
    ]),
);

export const QUERY_SURFACES: AnySurface[] = [
  ...transportsWhere((s) => s.browserApi === 'EventSource').map((transport) =>
    surface<Param[]>({ name: `query:${transport}`, transport, arbitrary: query('sse'), runs: 150, send: sendSse }),
  ),
  surface<Param[]>({ name: 'query:ws', transport: 'ws', arbitrary: query('ws'), runs: 150, send: sendWs }),
  surface<Param[]>({ name: 'query:socketio-polling', transport: 'socketio', arbitrary: socketIoQuery, runs: 200, send: sendPolling }),
  surface<Param[]>({
    name: 'query:socketio-websocket',
    transport: 'socketio',
    arbitrary: socketIoQuery,
    runs: 200,
    send: sendSocketIoUpgrade,
  }),
];
