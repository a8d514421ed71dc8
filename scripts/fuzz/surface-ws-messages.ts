/**
 * ws messages: a few text and binary messages on a fresh connection (JSON-ish ping and subscribe
 * with wrong types, toString traps, junk, invalid UTF-8 sent as text, over-size), then a probe
 * ping. A fresh connection per input keeps each well inside the bad-input budget.
 *
 * Oracle: each message gets the contract's answer in order: a pong carrying t for a ping with a
 * number t, `subscribed` for a list of known symbols, LAB_BAD_MESSAGE for anything else; invalid
 * UTF-8 closes with 1007, over 64 KiB with 1009; otherwise the probe is answered.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { SYMBOLS } from '../../servers/contract.ts';
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { jsonField, jsonText, junk, trapJson } from './arbitraries.ts';
import { violation } from './classify.ts';
import type { LiveServer } from './live.ts';
import { surface, type AnySurface } from './surface.ts';

const MAX_PAYLOAD = 64 * 1024;

type WsMessage = { text: string } | { bytes: Uint8Array; binary: boolean };

type Expected = { type: 'pong'; t: string } | { type: 'subscribed'; symbols: string } | { type: 'error' } | { close: number };

const symbolsJson = fc
  .array(
    fc.oneof(
      fc.constantFrom(...SYMBOLS).map((s) => JSON.stringify(s)),
      jsonField,
    ),
    { maxLength: 4 },
  )
  .map((items) => `[${items.join(',')}]`);

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: jsonField.map((t) => `{"type":"ping","t":${t}}`) },
  { weight: 3, arbitrary: fc.oneof(symbolsJson, jsonField, trapJson).map((s) => `{"type":"subscribe","symbols":${s}}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{"type":{"toString":1}}',
      '{"type":"ping"}',
      '{"type":"PING","t":1}',
      '{"type":["ping"],"t":1}',
      '{"type":"subscribe"}',
      'null',
      '[]',
      '"ping"',
      '{}',
      '{"type":"subscribe","symbols":{"length":1,"0":"AAPL"}}',
      '{"type":"subscribe","symbols":["AAPL","AAPL"]}',
      '{"__proto__":{"type":"ping","t":1}}',
      '{"type":"ping","t":1,"type":"subscribe"}',
    ),
  },
  { weight: 2, arbitrary: jsonText },
  { weight: 2, arbitrary: junk(30) },
);

const wsMessage: fc.Arbitrary<WsMessage> = fc.oneof(
  { weight: 8, arbitrary: text.map((t) => ({ text: t })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes, binary: true })) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 16 })
      .map((bytes) => ({ bytes: Uint8Array.from([0xc3, 0x28, ...bytes]), binary: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: MAX_PAYLOAD - 8, max: MAX_PAYLOAD + 8 })
      .map((n) => ({ text: `{"type":"ping","t":1,"x":"${'x'.repeat(n - 29)}"}` })),
  },
);

const bytesOf = (m: WsMessage): Buffer => Buffer.from('text' in m ? m.text : m.bytes);

/** The contract's answer to one message. */
function expected(m: WsMessage): Expected {
  const bytes = bytesOf(m);
  if (bytes.length > MAX_PAYLOAD) return { close: 1009 };
  if ('bytes' in m && m.binary) return { type: 'error' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { close: 1007 };
  }
  let message: { type?: unknown; t?: unknown; symbols?: unknown } | null;
  try {
    message = JSON.parse(text) as typeof message;
  } catch {
    return { type: 'error' };
  }
  if (message?.type === 'ping' && typeof message.t === 'number') return { type: 'pong', t: JSON.stringify(message.t) };
  const { symbols } = message ?? {};
  if (message?.type === 'subscribe' && Array.isArray(symbols) && symbols.every((s) => (SYMBOLS as readonly unknown[]).includes(s))) {
    return { type: 'subscribed', symbols: JSON.stringify([...new Set(symbols)]) };
  }
  return { type: 'error' };
}

function matches(got: Record<string, unknown>, want: Expected): boolean {
  if ('close' in want) return false;
  if (want.type === 'pong') return got.type === 'pong' && JSON.stringify(got.t) === want.t && typeof got.serverTs === 'number';
  if (want.type === 'subscribed') return got.type === 'subscribed' && JSON.stringify(got.symbols) === want.symbols;
  return got.type === 'error' && got.code === 'LAB_BAD_MESSAGE' && typeof got.message === 'string';
}

async function sendMessages(messages: WsMessage[], server: LiveServer): Promise<void> {
  const ws = new WebSocket(server.ready.url, { perMessageDeflate: false });
  const controls: Record<string, unknown>[] = [];
  let closed: number | undefined;
  const probe = -Math.floor(Math.random() * 1e9) - 1; // a t no generated ping carries
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      setTimeout(() => reject(new Error('the ws connection did not open in time')), ANSWER_MS).unref();
    });
    ws.on('error', () => {});
    const done = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) return;
        const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (!('type' in message)) return; // a quote
        controls.push(message);
        if (message.type === 'pong' && message.t === probe) resolve();
      });
      ws.on('close', (code) => {
        closed = code;
        resolve();
      });
      setTimeout(resolve, ANSWER_MS).unref();
    });
    for (const m of messages) ws.send(bytesOf(m), { binary: 'bytes' in m && m.binary });
    ws.send(JSON.stringify({ type: 'ping', t: probe }));
    await done;
  } finally {
    ws.terminate();
  }
  const wants = messages.map(expected);
  const closing = wants.findIndex((w) => 'close' in w);
  const answers = closing === -1 ? [...wants, { type: 'pong', t: String(probe) } as const] : wants.slice(0, closing);
  const what = `after ${messages.length} message(s)`;
  answers.forEach((want, i) => {
    // Before a close, the server's reset may cut off answers it already wrote: a prefix is all that is owed.
    if (!controls[i] && closing !== -1) return;
    if (!controls[i] || !matches(controls[i]!, want))
      violation(`${what}: answer ${i + 1} should be ${JSON.stringify(want)}, got ${JSON.stringify(controls[i] ?? null)}`);
  });
  if (controls.length > answers.length) violation(`${what}: unexpected extra answers ${JSON.stringify(controls.slice(answers.length))}`);
  if (closing === -1 && closed !== undefined)
    violation(`${what}: the connection closed (${closed}) though every message was fine to answer`);
  const code = closing === -1 ? undefined : (wants[closing] as { close: number }).close;
  // 1006: the close frame can be lost when the server resets the connection right after it (the client's later bytes unread).
  if (code !== undefined && closed !== code && closed !== 1006)
    violation(`${what}: message ${closing + 1} should close with ${code}, got ${closed ?? 'no close'}`);
}

export const WS_MESSAGE_SURFACES: AnySurface[] = [
  surface<WsMessage[]>({
    name: 'ws-message:ws',
    transport: 'ws',
    arbitrary: fc.array(wsMessage, { minLength: 1, maxLength: 6 }),
    runs: 300,
    send: sendMessages,
  }),
];
