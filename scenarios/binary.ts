/**
 * Scenario `binary`: random bytes from 16 B to 64 KiB over each transport, received in each browser engine.
 *
 * Method. The binary fixture server (fixtures/binary-server.ts) prepares `count` payloads of
 * random bytes and their SHA-256; the page receives them as WebSocket binary frames
 * (binaryType arraybuffer), socket.io binary emits (websocket transport only, so no polling
 * requests mix into the byte count), or SSE `data:` lines in base64, and hashes what it got with
 * crypto.subtle. Bytes on the wire come from the server socket's counters (bytesWritten after
 * the payloads minus before; socket.io counts from the page's `ready`, once socket.io's own CONNECT
 * packet has arrived), so they include every header, frame and chunk the transport adds; `sent`
 * is the server's count of payloads it handed to the transport;
 * the ratio is wire bytes / payload bytes. Decode time is measured in the page per message
 * (base64 text -> Uint8Array; ArrayBuffer -> Uint8Array view). A last case writes the raw bytes
 * as SSE text, to show what an event stream does with bytes that are not UTF-8 text.
 *
 * Samples: `count` messages per size, one connection. Decode times are single-message figures
 * read from performance.now(), which the engines coarsen (Chromium 0.1 ms, Firefox 1 ms) on a page that is not
 * cross-origin isolated: most read 0 or 0.1, so compare the totals and orders of magnitude. Byte counts are
 * exact for the run (random bytes are incompressible and compression is off everywhere).
 *
 * Who takes part follows the registry: every transport with binary quotes (`native` or `base64`)
 * that runs plain HTTP/1.1, the fixture's protocol, each through its browser API. SSE over HTTP/2
 * is left out: its events are the same base64 text, and what HTTP/2 changes (9-byte DATA frame
 * headers instead of chunk framing, under TLS records) is measured by the wire capture, which
 * decrypts it; counted here, TLS overhead would be mixed into a plain-text comparison.
 */
import { startBinaryServer } from './fixtures/binary-server.ts';
import { type BrowserApi, readableHttp1, spec, transportsWhere } from './capabilities.ts';
import type { CaseContext, CaseSpec, ScenarioSpec } from './harness.ts';
import { distribution, round } from './measure.ts';
import type { Observed, ScenarioTransport } from './types.ts';

const BINARY_SIZES = [16, 256, 4096, 65536] as const;
const COUNT = 20;
const WAIT_MS = 15_000;

type Kind = 'sse-base64' | 'sse-raw' | 'ws' | 'socketio';

interface PageResult {
  messages: number;
  bytes: number;
  sha256: string;
  decodeMs: number[];
  replacementChars: number;
  base64Decoder: string;
  timedOut?: boolean;
}

async function receive(c: CaseContext, kind: Kind, size: number, count: number): Promise<Observed> {
  const server = await startBinaryServer();
  c.defer(() => server.close());
  const run = server.prepare(size, count);
  const url =
    kind === 'ws'
      ? server.url(`/ws?run=${run}`).replace('http:', 'ws:')
      : kind === 'socketio'
        ? server.url('')
        : server.url(`/sse?run=${run}${kind === 'sse-raw' ? '&raw=1' : ''}`);
  const page = await c.page();
  const result = await page.call<PageResult>('receiveBinary', kind, url, count, WAIT_MS, { run });
  const wire = server.wireBytes(run);
  const payload = size * count;
  const decode = distribution(result.decodeMs);
  return {
    counts: { sent: server.runs.get(run)!.sent, received: result.messages },
    bytes: {
      payloadPerMessage: size,
      payloadTotal: payload,
      receivedTotal: result.bytes,
      ...(wire === null
        ? {}
        : { wireTotal: wire, wirePerMessage: round(wire / count, 1), overheadPerMessage: round((wire - payload) / count, 1) }),
    },
    facts: {
      wireToPayloadRatio: wire === null ? null : round(wire / payload, 4),
      sha256Sent: server.runs.get(run)!.sha256,
      sha256Received: result.sha256,
      intact: result.sha256 === server.runs.get(run)!.sha256,
      decodeMsTotal: round(
        result.decodeMs.reduce((sum, ms) => sum + ms, 0),
        2,
      ),
      decodeMsMedian: decode.p50,
      decodeMsP90: decode.p90,
      decodeMsMax: decode.max,
      replacementChars: result.replacementChars,
      base64Decoder: kind === 'sse-base64' ? result.base64Decoder : null,
      timedOut: result.timedOut ?? false,
    },
  };
}

/** How the fixture sends binary to each browser API (raw text is the extra EventSource case). */
const KIND_OF: Record<BrowserApi, Kind> = { EventSource: 'sse-base64', WebSocket: 'ws', 'socket.io': 'socketio' };
const WHAT: Record<Kind, string> = {
  'sse-base64': 'SSE, base64 in data: lines',
  'sse-raw': 'SSE, raw bytes written as text',
  ws: 'WebSocket binary frames (ArrayBuffer)',
  socketio: 'socket.io binary emits (websocket transport)',
};

function binaryCase(transport: ScenarioTransport, kind: Kind, size: number): CaseSpec {
  const name = kind === 'sse-base64' ? 'base64' : kind === 'sse-raw' ? 'raw-text' : 'binary';
  return {
    transport,
    case: `${name}-${size}`,
    client: 'browser',
    title: `${WHAT[kind]}: ${COUNT} x ${size} random bytes`,
    claims:
      kind === 'ws' || kind === 'socketio'
        ? ['sse-text-only', 'sse-base64-costs-bandwidth']
        : kind === 'sse-raw'
          ? ['sse-text-only']
          : ['sse-text-only', 'sse-base64-costs-bandwidth'],
    setup: { size, count: COUNT, encoding: kind, compression: 'off' },
    run: (c) => receive(c, kind, size, COUNT),
  };
}

/** Transports with binary quotes on plain HTTP/1.1, native binary first (the order of the chart's legend). */
const BINARY = transportsWhere((s) => s.binary !== null && readableHttp1(s)).sort(
  (a, b) => Number(spec(a).binary === 'base64') - Number(spec(b).binary === 'base64'),
);

export const binary: ScenarioSpec = {
  name: 'binary',
  title: 'Random bytes from 16 B to 64 KiB: WebSocket frames, socket.io binary, SSE base64, SSE raw text',
  cases: [
    ...BINARY.flatMap((t) => BINARY_SIZES.map((size) => binaryCase(t, KIND_OF[spec(t).browserApi!], size))),
    ...BINARY.filter((t) => spec(t).browserApi === 'EventSource').map((t) => binaryCase(t, 'sse-raw', 4096)),
  ],
};
