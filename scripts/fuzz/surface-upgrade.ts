/**
 * The WebSocket upgrade's headers, on the ws server's /ws and on socket.io's WebSocket path:
 * Connection, Upgrade, Sec-WebSocket-Key, -Version, -Protocol and -Extensions, each valid,
 * absent, malformed or repeated, and the method.
 *
 * Oracle: a valid upgrade gets 101 with the key's accept value; one with a bad key, version or
 * Upgrade token never gets a 101; everything gets a defined answer.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import type { Transport } from '../../servers/transports.ts';
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { WEBSOCKET } from '../lib/raw/engineio.ts';
import { host, request, send, type Header } from '../lib/raw/http.ts';
import { acceptKey } from '../lib/raw/websocket.ts';
import { junk } from './arbitraries.ts';
import { classifyHttp, showOutcome, violation } from './classify.ts';
import type { LiveServer } from './live.ts';
import { surface, type AnySurface } from './surface.ts';

/** A header value with what it means for validity: true valid, false invalid, null not predicted. */
type Valued = { value: string | null; valid: boolean | null };

const valued = (valid: boolean | null, ...values: (string | null)[]) =>
  fc.constantFrom(...values).map((value): Valued => ({ value, valid }));
const unknown = (arbitrary: fc.Arbitrary<string>) =>
  arbitrary.map((value): Valued => ({ value: value.replace(/[\r\n]/g, ' '), valid: null }));

const VALID_KEY = 'valid-key'; // replaced by a fresh 16-byte key when sent

const connection = fc.oneof(
  valued(true, 'Upgrade', 'upgrade', 'keep-alive, Upgrade'),
  valued(null, 'close', 'Upgrade, close', 'upgrade2', null, ''),
  unknown(junk(12)),
);
const upgrade = fc.oneof(
  valued(true, 'websocket', 'WebSocket'),
  valued(false, 'h2c', 'websocket2', 'web socket'),
  valued(null, 'websocket, foo', null, ''),
  unknown(junk(10)),
);
const key = fc.oneof(
  { weight: 3, arbitrary: valued(true, VALID_KEY) },
  {
    weight: 2,
    arbitrary: valued(false, null, '', 'abc', 'dGhlIHNhbXBsZSBub25jZQ', 'AAAAAAAAAAAAAAAAAAAAAAA=', 'AAAAAAAAAAAAAAAAAAAAAAAAAA=='),
  },
  { weight: 1, arbitrary: unknown(junk(30)) },
);
const version = fc.oneof(valued(true, '13', '8'), valued(false, null, '', '7', '14', '13, 8', 'abc', '-13', '130'), unknown(junk(6)));
const protocol = fc.oneof(
  valued(true, null, 'chat', 'chat, superchat', 'a,b'),
  valued(false, '', ',', 'a b', 'chat, chat', 'a;b', 'a,'),
  unknown(junk(12)),
);
const extensions = fc.oneof(
  valued(
    true,
    null,
    'permessage-deflate',
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; server_max_window_bits=7',
    'x; y=',
  ),
  unknown(junk(16)),
);

interface UpgradeInput {
  method: Valued;
  connection: Valued;
  upgrade: Valued;
  key: Valued;
  version: Valued;
  protocol: Valued;
  extensions: Valued;
  /** Send Sec-WebSocket-Key twice (node joins the two with ", "). */
  repeatKey: boolean;
}

const upgradeInput: fc.Arbitrary<UpgradeInput> = fc.record({
  method: fc.oneof({ weight: 5, arbitrary: valued(true, 'GET') }, { weight: 1, arbitrary: valued(false, 'POST', 'PUT', 'HEAD') }),
  connection,
  upgrade,
  key,
  version,
  protocol,
  extensions,
  repeatKey: fc.boolean(),
});

const FIELDS = ['method', 'connection', 'upgrade', 'key', 'version', 'protocol', 'extensions'] as const;

async function sendUpgrade(path: string, input: UpgradeInput, server: LiveServer): Promise<void> {
  const sentKey = input.key.value === VALID_KEY ? randomBytes(16).toString('base64') : input.key.value;
  const headers: Header[] = [host(server.httpPort)];
  const add = (name: string, value: string | null) => value !== null && headers.push([name, value]);
  add('Connection', input.connection.value);
  add('Upgrade', input.upgrade.value);
  add('Sec-WebSocket-Key', sentKey);
  if (input.repeatKey) add('Sec-WebSocket-Key', sentKey);
  add('Sec-WebSocket-Version', input.version.value);
  add('Sec-WebSocket-Protocol', input.protocol.value);
  add('Sec-WebSocket-Extensions', input.extensions.value);
  const answer = await send(server.httpPort, request(input.method.value!, path, headers), ANSWER_MS, {
    head: input.method.value === 'HEAD',
  });
  const rules = { statuses: [101, 200, 400, 404, 405, 426, 431], engineIo: true, upgrade: true, head: input.method.value === 'HEAD' };
  const outcome = classifyHttp(answer, rules);
  const valids = FIELDS.map((field) => input[field].valid);
  const switched = outcome.kind === 'response' && outcome.response.status === 101;
  const what = `${input.method.value} ${path} ${JSON.stringify(headers.slice(1))}`;
  // A bad key, version, Upgrade token or method: never a WebSocket, whatever else the request says.
  const fatal = [input.method, input.upgrade, input.key, input.version].some((v) => v.valid === false) || input.repeatKey;
  if (switched && fatal) violation(`${what}: switched protocols on an invalid upgrade`);
  if (switched && outcome.response.headers['sec-websocket-accept'] !== acceptKey(sentKey ?? ''))
    violation(`${what}: 101 with a wrong accept value`);
  if (!switched && valids.every((v) => v === true) && !input.repeatKey) {
    violation(`${what}: a valid upgrade was refused: ${showOutcome(outcome)}`);
  }
}

const TARGETS: readonly [string, Transport, string][] = [
  ['ws', 'ws', '/ws'],
  ['socketio', 'socketio', WEBSOCKET],
];

export const UPGRADE_SURFACES: AnySurface[] = TARGETS.map(([name, transport, path]) =>
  surface<UpgradeInput>({
    name: `upgrade-headers:${name}`,
    transport,
    arbitrary: upgradeInput,
    runs: 300,
    send: (input, server) => sendUpgrade(path, input, server),
  }),
);
