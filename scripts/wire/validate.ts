/**
 * A structural check of results/wire.json against types.ts, for the tests (the committed example
 * and a fresh run) and for the report generator to call before it trusts a file. Beyond shapes it
 * checks the byte accounting: each message's rows add up to its length and sit back to back, and
 * per connection and direction the messages add up to the bytes the relay carried.
 */
import { isWireTransport, WIRE_LAYERS } from './types.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Problems found, as 'path: what'; empty when the file matches the schema. */
export function wireResultsProblems(value: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, path: string, what: string) => {
    if (!ok) problems.push(`${path}: ${what}`);
  };
  const fields = (obj: unknown, path: string, spec: Record<string, (v: unknown) => boolean>) => {
    if (!isObject(obj)) return need(false, path, 'not an object');
    for (const [key, check] of Object.entries(spec))
      need(check(obj[key]), `${path}.${key}`, `bad value ${JSON.stringify(obj[key])?.slice(0, 60)}`);
  };
  const str = (v: unknown) => typeof v === 'string';
  const num = isNum;
  const numOrNull = (v: unknown) => v === null || isNum(v);
  const arr = Array.isArray;
  const dirPair = (v: unknown) => isObject(v) && isNum(v.c2s) && isNum(v.s2c);

  if (!isObject(value)) return ['(root): not an object'];
  fields(value.meta, 'meta', { date: str, node: str, commit: str, machine: isObject, versions: isObject, chromium: str });
  fields(value.options, 'options', {
    transports: arr,
    seed: num,
    padding: num,
    heartbeatMs: num,
    retryMs: num,
    reconnectWatchMs: num,
    pcap: (v) => v === 'auto' || v === 'off',
  });
  need(str(value.method), 'method', 'missing');
  if (!isObject(value.transports)) return [...problems, 'transports: not an object'];

  for (const [transport, wire] of Object.entries(value.transports)) {
    const p = `transports.${transport}`;
    need(isWireTransport(transport), p, 'unknown transport');
    fields(wire, p, {
      transport: (v) => v === transport,
      serverUrl: str,
      relayUrl: str,
      pageUrl: str,
      drop: (v) => isObject(v) && (v.mode === 'end' || v.mode === 'destroy') && str(v.why),
      steps: (v) => arr(v) && v.every((s) => isObject(s) && isNum(s.t) && (s.by === 'lab' || s.by === 'page') && str(s.what)),
      page: (v) => isObject(v) && arr(v.quotes) && isNum(v.opens) && typeof v.reconnected === 'boolean' && isNum(v.connectionsAfterDrop),
      connections: arr,
      messages: arr,
      overhead: arr,
      stats: (v) =>
        isObject(v) &&
        isNum(v.connections) &&
        dirPair(v.bytes) &&
        dirPair(v.reads) &&
        arr(v.quoteSeqs) &&
        isNum(v.decodedQuotes) &&
        isNum(v.undecodedBytes),
      pcap: (v) => isObject(v) && (v.path === null || str(v.path)) && str(v.note),
      transcript: str,
      notes: (v) => arr(v) && v.every(str),
      h2: (v) =>
        v === undefined ||
        (isObject(v) && str(v.capture) && isObject(v.frames) && arr(v.headerBlocks) && isObject(v.bytes) && dirPair(v.tlsRecords)),
    });
    if (!isObject(wire) || !arr(wire.connections) || !arr(wire.messages) || !arr(wire.overhead)) continue;
    const carried = new Map<string, number>();
    wire.messages.forEach((m, i) => {
      const mp = `${p}.messages[${i}]`;
      fields(m, mp, {
        conn: num,
        dir: (v) => v === 'c2s' || v === 's2c',
        t: num,
        offset: num,
        length: num,
        layer: (v) => (WIRE_LAYERS as readonly unknown[]).includes(v),
        summary: str,
        carries: str,
        seqs: (v) => arr(v) && v.every(isNum),
        payloadBytes: numOrNull,
        rows: (v) => arr(v) && v.length > 0,
      });
      if (!isObject(m) || !arr(m.rows)) return;
      let at = m.offset as number;
      m.rows.forEach((r, j) => {
        fields(r, `${mp}.rows[${j}]`, { offset: num, length: num, hex: str, text: str, label: str, meaning: str });
        if (isObject(r)) need(r.offset === at, `${mp}.rows[${j}].offset`, `expected ${at}, rows must sit back to back`);
        if (isObject(r) && isNum(r.length)) at += r.length;
      });
      need(at - (m.offset as number) === m.length, `${mp}.length`, `rows add up to ${at - (m.offset as number)}`);
      const key = `${m.conn}/${m.dir}`;
      carried.set(key, (carried.get(key) ?? 0) + (m.length as number));
    });
    wire.connections.forEach((c, i) => {
      const cp = `${p}.connections[${i}]`;
      fields(c, cp, {
        conn: num,
        purpose: str,
        clientPort: num,
        openedAt: num,
        closedAt: numOrNull,
        closedBy: str,
        bytes: dirPair,
        reads: dirPair,
        protocols: arr,
        requests: arr,
        undecodedBytes: dirPair,
        tls: (v) =>
          v === undefined || (isObject(v) && dirPair(v.bytes) && dirPair(v.records) && dirPair(v.handshakeBytes) && arr(v.handshake)),
      });
      if (!isObject(c) || !dirPair(c.bytes)) return;
      for (const dir of ['c2s', 's2c'] as const) {
        const bytes = (c.bytes as Json)[dir] as number;
        need(
          (carried.get(`${c.conn}/${dir}`) ?? 0) === bytes,
          `${cp}.bytes.${dir}`,
          `${bytes} bytes carried but messages account for ${carried.get(`${c.conn}/${dir}`) ?? 0}`,
        );
      }
    });
    for (const [i, o] of wire.overhead.entries()) {
      fields(o, `${p}.overhead[${i}]`, {
        item: str,
        c2sBytes: num,
        s2cBytes: num,
        payloadBytes: numOrNull,
        overheadBytes: numOrNull,
        overheadShare: numOrNull,
        note: str,
        refs: arr,
      });
    }
  }

  if (value.notRun !== undefined) {
    if (!isObject(value.notRun)) problems.push('notRun: not an object');
    else
      for (const [transport, reason] of Object.entries(value.notRun)) {
        need(isWireTransport(transport), `notRun.${transport}`, 'unknown transport');
        need(str(reason), `notRun.${transport}`, 'not a reason');
      }
  }

  const evidence = value.evidence;
  fields(evidence, 'evidence', { 'ws-tcp-sse-http': isObject, 'sse-text-only': isObject, 'sse-base64-costs-bandwidth': isObject });
  if (isObject(evidence)) {
    fields(evidence['ws-tcp-sse-http'], 'evidence.ws-tcp-sse-http', {
      sseRequestLine: (v) => v === null || str(v),
      sseAllBytesHttp: (v) => v === null || typeof v === 'boolean',
      wsResponseStatus: numOrNull,
      wsAcceptVerified: (v) => v === null || typeof v === 'boolean',
      wsOnlyFramesAfter101: (v) => v === null || typeof v === 'boolean',
    });
    fields(evidence['sse-text-only'], 'evidence.sse-text-only', {
      sseBodyControlBytes: numOrNull,
      wsBinaryFrames: numOrNull,
      socketioBinaryAttachments: numOrNull,
    });
    fields(evidence['sse-base64-costs-bandwidth'], 'evidence.sse-base64-costs-bandwidth', {
      binaryQuoteBytes: numOrNull,
      base64Bytes: numOrNull,
      base64Inflation: numOrNull,
      quoteWireBytes: isObject,
    });
  }
  return problems;
}
