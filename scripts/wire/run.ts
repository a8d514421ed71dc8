/**
 * The wire step's programmatic API: one short session per transport in real Chromium, every
 * realtime connection going browser -> recording relay -> lab server on loopback, then the
 * transcripts decoded into results/wire.json.
 *
 * Method. The feed is paused (rate 0) and the lab publishes each quote by hand once the page is
 * ready for it, then waits until the page's handler saw it: every run carries the same quotes on
 * the same connections, no wait is a guess, and every wait ends on a condition or a time limit.
 * Session, per transport:
 *   1. the page opens its main connection (JSON); 3 quotes, one at a time
 *   2. the page sends one ping (ws message / socket.io emit with ack / SSE POST /sse/ping)
 *   3. the page opens a second connection in binary format (ws ?format=binary, socket.io
 *      auth format binary, SSE ?format=base64); 1 quote (the main connection gets it too); closes it
 *   4. the lab waits until a heartbeat and its answer are on the wire (heartbeatMs is small)
 *   5. the server drops the connections; 1 quote is published while the page is away
 *   6. transports that reconnect by themselves (SSE, socket.io) come back and get the missed quote
 *      (Last-Event-ID / connection state recovery), then 1 more; for ws the lab watches
 *      reconnectWatchMs for a connection that does not come
 * HTTP/2 (the registry's `wire: 'h2'`) is TLS, so the relay carries ciphertext: Chromium writes its
 * TLS keys to a key log (--ssl-key-log-file), tshark captures the relay's port, and the frames are
 * annotated from tshark's decrypted dissection (annotate/h2.ts). The capture and the key log live
 * in a temporary folder removed at the end; the dissection is kept. Without tshark the HTTP/2
 * session is not run, and the results say why.
 * What would invalidate it: another process on the relay's port (the relay binds port 0 on
 * 127.0.0.1), or a page that loads resources through the relay (only the realtime connections do).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Page } from 'puppeteer-core';
import { now } from '../../servers/contract.ts';
import { startServer, type DropMode, type RunningServer } from '../../servers/index.ts';
import { labCertificate } from '../../servers/tls.ts';
import { TRANSPORTS } from '../../servers/transports.ts';
import { bareVersion, LabBrowser, type LabContext } from '../lib/browser.ts';
import { writeJson } from '../lib/json.ts';
import { runMetadata } from '../lib/metadata.ts';
import { ROOT } from '../lib/paths.ts';
import { annotateConnection } from './annotate/connection.ts';
import { decodeH2Capture, type DecodedH2Session } from './annotate/h2.ts';
import { decodeTranscript, type DecodedSession } from './annotate/session.ts';
import { startCapture } from './capture.ts';
import { ssePreambleNote, wireEvidence } from './evidence.ts';
import { startPageServer, type PageServer } from './page.ts';
import { startRelay, type Relay } from './relay.ts';
import { captureFile, dissect, tsharkGlossary, tsharkPath } from './tshark.ts';
import {
  isWireTransport,
  WIRE_TRANSPORTS,
  wireKind,
  type SessionStep,
  type TranscriptFile,
  type TransportWire,
  type TsharkNames,
  type WireKind,
  type WireOptions,
  type WireResults,
  type WireTransport,
} from './types.ts';

export interface WireRunOptions extends WireOptions {
  /** Where results go. Default `results/wire.json`. */
  out: string;
  /** Where the transcripts and pcapng files go. Default `results/wire/`. */
  dir: string;
  /** Progress lines (the CLI prints them to stderr). Default: none. */
  onProgress?: (line: string) => void;
  /** Aborts the run between steps (Ctrl-C). */
  signal?: AbortSignal;
}

export const WIRE_DEFAULTS: WireRunOptions = {
  transports: [...WIRE_TRANSPORTS],
  seed: 42,
  padding: 0,
  heartbeatMs: 250,
  retryMs: 200,
  reconnectWatchMs: 1000,
  pcap: 'auto',
  out: `${ROOT}results/wire.json`,
  dir: `${ROOT}results/wire/`,
};

/** Each wait in a session ends on its condition or after this long. */
const STEP_LIMIT_MS = 10_000;

/** Per wire kind: how the server drops the main connection and why, and what the browser does then and at a heartbeat. */
const KIND: Record<WireKind, { drop: { mode: DropMode; why: string }; reconnects: boolean; answersHeartbeat: boolean }> = {
  'event-stream': {
    drop: {
      mode: 'end',
      why:
        'the server ends the response (the last chunk): a normal end of the body, ' +
        'after which EventSource reconnects by itself after the retry time and sends Last-Event-ID',
    },
    reconnects: true,
    answersHeartbeat: false,
  },
  h2: {
    drop: {
      mode: 'end',
      why:
        'the server ends the stream (END_STREAM) and leaves the TLS connection and its HTTP/2 session open: ' +
        'EventSource reconnects by itself after the retry time, as a new stream, and sends Last-Event-ID',
    },
    reconnects: true,
    answersHeartbeat: false,
  },
  websocket: {
    drop: {
      mode: 'end',
      why:
        'the server closes with code 1001, so the close frames and their codes are on the wire; ' +
        "the browser's WebSocket does not reconnect by itself",
    },
    reconnects: false,
    answersHeartbeat: true,
  },
  engineio: {
    drop: {
      mode: 'destroy',
      why:
        'the server cuts the TCP connections (a network drop): a clean server-side disconnect tells socket.io not to reconnect, ' +
        'a drop makes it reconnect and recover the missed quote',
    },
    reconnects: true,
    answersHeartbeat: true,
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Node-side wait on a condition, bounded; `everyMs` between checks. */
async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, limitMs = STEP_LIMIT_MS, everyMs = 20): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`lab: timed out after ${limitMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Runs every closer once, the last pushed first, each even when one before it failed (a crashed browser must not
 * leave tshark, the relay or the server running), and takes them off the list; then throws the first failure.
 */
async function closeAll(closers: (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** What an HTTP/2 session needs: tshark, the key log Chromium writes, and a folder for the capture. */
interface TlsCapture {
  tshark: string;
  /** Temporary: removed when the run ends. */
  dir: string;
  keylog: string;
  /** tshark's names for frame types and the like, read once per run. */
  glossary: TsharkNames;
}

interface SessionResult {
  wire: Omit<TransportWire, 'transcript'>;
  decoded: DecodedSession | DecodedH2Session;
  transcript: TranscriptFile;
}

async function session(
  transport: WireTransport,
  browser: LabBrowser,
  pages: PageServer,
  options: WireRunOptions,
  tls: TlsCapture | null,
): Promise<SessionResult> {
  const kind = wireKind(transport);
  const progress = (line: string) => options.onProgress?.(`${transport}: ${line}`);
  const checkAbort = () => {
    if (options.signal?.aborted) throw new Error('lab: wire run interrupted');
  };
  const sessionStart = now();
  const steps: SessionStep[] = [];
  const lab = (what: string) => {
    steps.push({ t: now() - sessionStart, by: 'lab', what });
    progress(what);
    checkAbort();
  };
  const closers: (() => Promise<unknown>)[] = [];
  let server: RunningServer | undefined;
  let relay: Relay | undefined;
  let context: LabContext | undefined;
  let pcap: TransportWire['pcap'] = { path: null, tool: null, note: 'not started' };
  try {
    server = await startServer(transport, {
      seed: options.seed,
      rate: 0,
      padding: options.padding,
      heartbeatMs: options.heartbeatMs,
      retryMs: options.retryMs,
      allowOrigins: [pages.origin],
    });
    let serverClosed: Promise<void> | undefined;
    const closeServer = () => (serverClosed ??= server!.close());
    closers.push(closeServer);
    const serverPort = Number(new URL(server.origin).port);
    relay = await startRelay(serverPort, sessionStart);
    closers.push(() => relay!.close());
    const h2 = kind === 'h2' ? tls : null;
    if (kind === 'h2' && !h2) throw new Error(`lab: ${transport} needs tshark and a TLS key log`);
    const pcapPath = h2 ? join(h2.dir, `${transport}.pcapng`) : `${options.dir}${transport}.pcapng`;
    const capture = await startCapture(pcapPath, relay.port, h2 ? 'auto' : options.pcap);
    closers.push(async () => (pcap = await capture.stop(relay!.transcripts())));
    if (h2 && !capture.running) throw new CannotRun((await capture.stop()).note);
    /** The session so far, decoded (HTTP/2: tshark over the capture as it grows). */
    const decodedSoFar = async () =>
      h2
        ? decodeH2Capture(
            {
              tshark: '',
              command: '',
              sessionStart,
              port: relay!.port,
              names: h2.glossary,
              packets: await dissect(h2.tshark, pcapPath, h2.keylog, relay!.port),
            },
            { transport, sessionStart, upstream: server!.origin, connections: relay!.transcripts() },
          ).messages
        : relay!.transcripts().flatMap((t) => annotateConnection(t).messages);
    /** A heartbeat on the wire yet, with the browser's answer where the protocol has one. */
    const heartbeatSeen = async () => {
      const messages = await decodedSoFar();
      const beat = messages.some((m) => m.dir === 's2c' && m.carries === 'heartbeat');
      return KIND[kind].answersHeartbeat ? beat && messages.some((m) => m.dir === 'c2s' && m.carries === 'heartbeat') : beat;
    };
    context = await browser.newContext();
    closers.push(async () => {
      await context!.close();
      // Give Chromium a moment to close its sockets itself, so their ends are in the transcript.
      await waitUntil(() => relay!.open === 0, 'the browser to close its connections', 2000).catch(() => undefined);
    });
    const page: Page = await context.newPage();
    const relayOrigin = `${TRANSPORTS[transport].tls === 'required' ? 'https' : 'http'}://127.0.0.1:${relay.port}`;
    const socketIoScript = `${server.origin}/socket.io/socket.io.min.js`;
    const pageUrl = pages.set({ transport, relay: relayOrigin, socketIoScript, start: sessionStart, reconnectMs: options.retryMs });
    await page.goto(pageUrl);

    const until = async (expression: string, what: string) => {
      try {
        await page.waitForFunction(expression, { timeout: STEP_LIMIT_MS, polling: 20 });
      } catch {
        throw new Error(`lab: ${transport}: timed out after ${STEP_LIMIT_MS} ms waiting for ${what} (${expression})`);
      }
    };
    const publish = async (connection: 'main' | 'binary', note = '') => {
      const seq = server!.feed.publish().quote.seq;
      lab(`publish quote ${seq}${note}`);
      await until(
        `wire.quotes.some((q) => q.seq === ${seq} && q.connection === '${connection}')`,
        `quote ${seq} on the ${connection} connection`,
      );
      return seq;
    };

    lab('page opens its main connection');
    await page.evaluate('wire.open()');
    await until('wire.ready()', 'the main connection');
    for (let i = 0; i < 3; i++) await publish('main');

    lab('page sends one ping');
    await page.evaluate('wire.ping()');

    lab('page opens a second connection in binary format');
    await page.evaluate('wire.openBinary()');
    await until('wire.binaryReady()', 'the binary connection');
    await publish('binary', ' (the main connection gets it too)');
    await page.evaluate('wire.closeBinary()');
    await waitUntil(() => server!.stats.connections === 1, 'the server to see the binary connection close');

    lab('wait for a heartbeat on the wire');
    // Each HTTP/2 check runs tshark over the capture so far; no need to run it back to back.
    await waitUntil(heartbeatSeen, `a heartbeat within ${STEP_LIMIT_MS} ms`, STEP_LIMIT_MS, h2 ? 250 : 20);

    const { drop } = KIND[kind];
    lab(`server drops the connections (${drop.mode})`);
    const acceptedAtDrop = relay.accepted;
    server.drop(drop.mode);
    await waitUntil(() => server!.stats.connections === 0, 'the server to see the drop');
    const missed = server.feed.publish().quote.seq;
    lab(`publish quote ${missed} while the page is away`);
    if (!KIND[kind].reconnects) {
      await until('wire.close !== null', 'the close event');
      lab(`watch ${options.reconnectWatchMs} ms for a reconnect`);
      await sleep(options.reconnectWatchMs);
    } else {
      await until('wire.opens >= 2', 'the reconnect');
      await until(`wire.quotes.some((q) => q.seq === ${missed} && q.connection === 'main')`, `missed quote ${missed} after the reconnect`);
      lab(`page got missed quote ${missed} after reconnecting`);
      await until('wire.ready()', 'the main connection ready again');
      await publish('main', ' after the reconnect');
    }
    const connectionsAfterDrop = relay.accepted - acceptedAtDrop;

    const view = (await page.evaluate(
      '({ quotes: wire.quotes, opens: wire.opens, recovered: wire.recovered, pong: wire.pong, close: wire.close, events: wire.events })',
    )) as {
      quotes: TransportWire['page']['quotes'];
      opens: number;
      recovered: boolean | null;
      pong: unknown;
      close: { code: number; reason: string } | null;
      events: { t: number; what: string }[];
    };
    if (h2) {
      // HTTP/2's own goodbye: with no stream left open (so EventSource has nothing to reconnect), the server's close
      // sends GOAWAY on the session. Plain transports end with the browser, as a page that goes away does.
      lab('page closes its EventSource (RST_STREAM), then the server closes (GOAWAY)');
      await page.evaluate('wire.main.close()');
      await waitUntil(() => server!.stats.connections === 0, 'the server to see the stream closed');
      await closeServer();
      await waitUntil(() => relay!.open === 0, 'the browser to close the connection after GOAWAY', 2000).catch(() => undefined);
    }
    lab('session over: the browser context closes');
    // Close in the reverse of the start: the browser first (so its FINs are in the transcript), then the capture, the relay, the server.
    await closeAll(closers);

    const transcript: TranscriptFile = { transport, sessionStart, upstream: server.origin, connections: relay.transcripts() };
    let decoded: DecodedSession | DecodedH2Session;
    if (h2) {
      const dissection = await captureFile(h2.tshark, h2.glossary, pcapPath, h2.keylog, relay.port, sessionStart);
      await rm(pcapPath, { force: true });
      // One line: a dissection is read by code, and unindented it is half the size.
      await mkdir(options.dir, { recursive: true });
      await writeFile(`${options.dir}${transport}.tshark.json`, `${JSON.stringify(dissection)}\n`);
      decoded = decodeH2Capture(dissection, transcript);
      pcap = {
        path: null,
        tool: 'tshark',
        note:
          `tshark -i lo -f 'tcp port ${relay.port}' (the browser <-> relay leg), decrypted with Chromium's TLS key log ` +
          `and dissected into ${relative(ROOT, `${options.dir}${transport}.tshark.json`)}; ` +
          'the pcapng and the key log were temporary and are removed',
      };
    } else decoded = decodeTranscript(transcript);
    const { connections, messages, overhead, stats, facts } = decoded;
    const notes = [
      h2
        ? 'Every realtime connection went through the relay, which carried TLS; the rows are the HTTP/2 bytes inside it, ' +
          "decrypted and dissected by tshark (offsets count decrypted bytes), and each connection's `tls` sums the TLS records."
        : 'Every realtime connection went through the relay; bytes are TCP payload as each side sent it.',
      ...(kind === 'engineio'
        ? [
            `The socket.io client script was loaded directly from the lab server (${socketIoScript}), not through the relay, ` +
              'so its ~50 KB are not in the transcript.',
          ]
        : []),
      ...(TRANSPORTS[transport].browserApi === 'EventSource' ? [ssePreambleNote(facts)].filter((n): n is string => n !== null) : []),
    ];
    const wire: SessionResult['wire'] = {
      transport,
      serverUrl: server.url,
      relayUrl: relayOrigin,
      pageUrl,
      drop,
      steps: [...steps, ...view.events.map((e) => ({ t: e.t, by: 'page' as const, what: e.what }))].sort((a, b) => a.t - b.t),
      page: {
        quotes: view.quotes,
        opens: view.opens,
        reconnected: view.opens >= 2,
        recovered: view.recovered,
        pong: view.pong,
        close: view.close,
        connectionsAfterDrop,
      },
      connections,
      messages,
      overhead,
      stats,
      pcap,
      notes,
      ...('h2' in decoded ? { h2: { ...decoded.h2, capture: relative(ROOT, `${options.dir}${transport}.tshark.json`) } } : {}),
    };
    return { wire, decoded, transcript };
  } finally {
    // Only what is left after a failure before the closing above; the failure itself is already on its way out.
    await closeAll(closers).catch(() => undefined);
  }
}

/** A session that cannot run here (tshark would not capture): the run records why and goes on with the others. */
class CannotRun extends Error {}

/** Why a transport cannot run here, or null: an HTTP/2 session is read only through a decrypted tshark capture. */
function cannotRun(transport: WireTransport, options: WireRunOptions, tshark: string | null): string | null {
  if (wireKind(transport) !== 'h2') return null;
  if (options.pcap === 'off') return '--pcap off: HTTP/2 over TLS can only be read from a decrypted capture, so this session was not run';
  if (!tshark) return 'tshark is not installed (apt-get install tshark): HTTP/2 over TLS can only be read from a decrypted capture';
  return null;
}

/** Runs the wire step and writes results/wire.json (and the transcripts beside the pcapng files). */
export async function runWire(input: Partial<WireRunOptions> = {}): Promise<WireResults> {
  const options: WireRunOptions = { ...WIRE_DEFAULTS, ...input };
  for (const t of options.transports)
    if (!isWireTransport(t)) throw new Error(`lab: unknown transport ${JSON.stringify(t)} (use ${WIRE_TRANSPORTS.join(', ')})`);
  const tshark = tsharkPath();
  const notRun: Partial<Record<WireTransport, string>> = {};
  for (const t of options.transports) {
    const reason = cannotRun(t, options, tshark);
    if (reason === null) continue;
    notRun[t] = reason;
    options.onProgress?.(`${t}: not run: ${reason}`);
  }
  const runnable = options.transports.filter((t) => !notRun[t]);
  const pages = await startPageServer();
  let browser: LabBrowser | undefined;
  let tls: TlsCapture | null = null;
  try {
    const chromiumArgs: string[] = [];
    const labSpki = runnable.some((t) => TRANSPORTS[t].tls === 'required') ? (await labCertificate()).spki : undefined;
    if (tshark && runnable.some((t) => wireKind(t) === 'h2')) {
      const dir = await mkdtemp(join(tmpdir(), 'lab-wire-tls-'));
      tls = { tshark, dir, keylog: join(dir, 'keys.log'), glossary: { values: {}, fields: {} } };
      tls.glossary = await tsharkGlossary(tshark);
      chromiumArgs.push(`--ssl-key-log-file=${tls.keylog}`);
    }
    // Chromium only: the key log that lets tshark read the HTTP/2 session is a Chromium flag.
    browser = await LabBrowser.launch('chromium', { labSpki, chromiumArgs });
    const runs: Partial<Record<WireTransport, DecodedSession>> = {};
    const wires: Partial<Record<WireTransport, TransportWire>> = {};
    for (const transport of runnable) {
      let ran: SessionResult;
      try {
        ran = await session(transport, browser, pages, options, tls);
      } catch (error) {
        if (!(error instanceof CannotRun)) throw error;
        notRun[transport] = error.message;
        options.onProgress?.(`${transport}: not run: ${error.message}`);
        continue;
      }
      const { wire, decoded, transcript } = ran;
      const path = `${options.dir}${transport}.transcript.json`;
      await writeJson(path, transcript);
      runs[transport] = decoded;
      wires[transport] = { ...wire, transcript: relative(ROOT, path) };
    }
    const { transports, seed, padding, heartbeatMs, retryMs, reconnectWatchMs, pcap } = options;
    const recorded: WireOptions = { transports, seed, padding, heartbeatMs, retryMs, reconnectWatchMs, pcap };
    const results: WireResults = {
      // The bare version (`Chrome/156.0.1` -> `156.0.1`), as the results have always carried it.
      meta: runMetadata(bareVersion(browser.version)),
      options: recorded,
      method:
        'Feed paused (rate 0); the lab publishes each quote by hand once the page is ready and waits until the page saw it. ' +
        'Per transport: main connection (JSON), 3 quotes, one ping, a second connection in binary format with 1 quote, a heartbeat, ' +
        'a server-side drop with 1 quote published while away, then the reconnect where the transport makes one by itself.',
      transports: wires,
      ...(Object.keys(notRun).length ? { notRun } : {}),
      evidence: wireEvidence(runs),
    };
    await writeJson(options.out, results);
    return results;
  } finally {
    await browser?.close().catch(() => undefined);
    await pages.close();
    if (tls) await rm(tls.dir, { recursive: true, force: true });
  }
}
