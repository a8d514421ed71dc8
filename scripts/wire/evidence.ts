/**
 * Decoded facts bearing on three claims, for the report and the scenarios step (which owns the
 * verdicts in results/claims.json): what the first bytes of each connection are, whether WebSocket
 * bytes stop being HTTP after the 101, whether anything but text crossed the event stream, and what
 * base64 costs. A field is null when its transport was not run. Also the SSE note on the first
 * bytes of the stream, written from the parser's own account of them.
 */
import type { ConnectionFacts } from './annotate/context.ts';
import type { DecodedSession } from './annotate/session.ts';
import { WIRE_TRANSPORTS, type WireEvidence, type WireKind, type WireTransport, wireKind } from './types.ts';

type Runs = Partial<Record<WireTransport, DecodedSession>>;

/** The run of the transport decoded as `kind` (the claims compare SSE over HTTP/1.1, WebSocket and socket.io). */
function runOf(runs: Runs, kind: WireKind): DecodedSession | undefined {
  const transport = WIRE_TRANSPORTS.find((t) => wireKind(t) === kind && runs[t]);
  return transport && runs[transport];
}

function quoteBytes(run: DecodedSession | undefined, item: string): number | null {
  return run?.overhead.find((r) => r.item === item)?.s2cBytes ?? null;
}

export function wireEvidence(runs: Runs): WireEvidence {
  const sse = runOf(runs, 'event-stream');
  const ws = runOf(runs, 'websocket');
  const socketio = runOf(runs, 'engineio');
  const sseIndex = sse?.facts.findIndex((f) => f.sse.length > 0) ?? -1;
  const sseFacts = sse && sseIndex >= 0 ? sse.facts[sseIndex]! : null;
  const sseStreams = sse?.facts.flatMap((f) => f.sse) ?? [];
  const sseConnections = sse?.connections.filter((_, i) => sse.facts[i]!.sse.length > 0) ?? [];
  const wsIndex = ws?.facts.findIndex((f) => f.upgrade !== null) ?? -1;
  const wsFacts = ws && wsIndex >= 0 ? ws.facts[wsIndex]! : null;
  const wsUpgraded = ws?.facts.filter((f) => f.upgrade !== null) ?? [];
  const base64 = sse?.facts.flatMap((f) => f.base64Quotes)[0] ?? null;
  const controlBytes = (body: Buffer) => body.reduce((n, b) => n + (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 ? 1 : 0), 0);
  const socketioUpgrade = socketio
    ? socketio.facts.some((f) => f.upgrade?.status === 101) &&
      socketio.messages.some(
        (m) => m.dir === 'c2s' && m.layer === 'ws-frame' && m.rows.some((r) => r.label === 'engine.io type' && r.decoded === '5'),
      )
    : null;

  return {
    'ws-tcp-sse-http': {
      sseRequestLine: sseFacts?.firstRequestLine ?? null,
      sseResponseStatus: sseFacts?.firstResponseStatus ?? null,
      sseAllBytesHttp: sse
        ? sseConnections.length > 0 &&
          sseConnections.every((c) => c.protocols.join() === 'HTTP/1.1' && c.undecodedBytes.c2s + c.undecodedBytes.s2c === 0)
        : null,
      sseTransferEncoding: sseStreams[0]?.transferEncoding ?? null,
      wsRequestLine: wsFacts?.firstRequestLine ?? null,
      wsResponseStatus: wsFacts?.upgrade?.status ?? null,
      wsAcceptVerified: wsFacts?.upgrade?.acceptVerified ?? null,
      wsHttpBytes: wsFacts?.httpBytes ?? null,
      wsFramesAfter101: wsFacts?.frames ?? null,
      wsOnlyFramesAfter101: ws ? wsUpgraded.length > 0 && wsUpgraded.every((f) => f.undecodedAfterUpgrade === 0) : null,
      socketioFirstRequestLine: socketio?.facts[0]?.firstRequestLine ?? null,
      socketioUpgraded: socketioUpgrade,
    },
    'sse-text-only': {
      sseContentType: sseStreams[0]?.contentType ?? null,
      sseBodyValidUtf8: sse ? sseStreams.length > 0 && sseStreams.every((s) => s.validUtf8) : null,
      sseBodyControlBytes: sse ? sseStreams.reduce((n, s) => n + controlBytes(s.body), 0) : null,
      sseBinaryQuoteAs: base64 ? `base64 text in a data: line (${base64.chars} characters for ${base64.bytes} bytes)` : null,
      wsBinaryFrames: ws ? ws.facts.reduce((n, f) => n + f.binaryFrames, 0) : null,
      socketioBinaryAttachments: socketio ? socketio.facts.reduce((n, f) => n + f.attachments, 0) : null,
    },
    'sse-base64-costs-bandwidth': {
      binaryQuoteBytes: base64?.bytes ?? null,
      base64Bytes: base64?.chars ?? null,
      base64Inflation: base64 ? Math.round((base64.chars / base64.bytes - 1) * 1000) / 1000 : null,
      quoteWireBytes: {
        sseJson: quoteBytes(sse, 'quote (JSON)'),
        sseBase64: quoteBytes(sse, 'quote (binary)'),
        wsJson: quoteBytes(ws, 'quote (JSON)'),
        wsBinary: quoteBytes(ws, 'quote (binary)'),
        socketioJson: quoteBytes(socketio, 'quote (JSON)'),
        socketioBinary: quoteBytes(socketio, 'quote (binary)'),
      },
    },
  };
}

/** What the first bytes of the event stream are and why the page never sees them, from the parser's account. */
export function ssePreambleNote(facts: ConnectionFacts[]): string | null {
  const preamble = facts.flatMap((f) => f.sse)[0]?.preamble;
  if (!preamble || preamble.length === 0) return null;
  const shown = preamble.map((l) => JSON.stringify(l.text)).join(', ');
  const effects = preamble.map((l) => l.effect).join('; then ');
  const dispatched = preamble.some((l) => l.dispatch?.dispatched);
  // Article B's own server (ssestream) writes `:ok` first instead: scenario `articles` shows those bytes.
  const unseen =
    ' Nothing in them reaches the page: no event is dispatched and no handler runs. These are the lab server’s bytes; ' +
    'article B’s “packet the client ignores” came from its ssestream server, which writes the comment `:ok` first ' +
    '(see "Article B’s code, run").';
  return `The event stream's first body bytes, before any event, are the lines ${shown}: ${effects}.${dispatched ? '' : unseen}`;
}
