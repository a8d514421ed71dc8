/**
 * The page Chromium runs for the wire session, and the small server that serves it on
 * 127.0.0.1 port 0 (its own origin, so the browser sends a real cross-origin `Origin` to the lab
 * server behind the relay). The page uses only the browser's own EventSource, WebSocket and fetch,
 * plus the socket.io client script the lab's socket.io server serves.
 *
 * It exposes `window.wire` for the orchestrator: open(), ping(), openBinary(), closeBinary(),
 * ready() / binaryReady() predicates, and what its handlers saw (quotes, opens, pong, close).
 * The script is plain JavaScript in a string so nothing is transpiled on its way to the browser.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TRANSPORTS, type TransportSpec } from '../../servers/transports.ts';
import type { WireTransport } from './types.ts';

export interface PageConfig {
  transport: WireTransport;
  /** The relay's origin, http(s)://127.0.0.1:<port>: every realtime connection goes through it. */
  relay: string;
  /** Where the page loads socket.io's client from (the lab server, directly). */
  socketIoScript: string;
  /** Session start, epoch ms: the page stamps its events relative to it. */
  start: number;
  /** socket.io reconnection delay, ms. */
  reconnectMs: number;
}

/** What every page shares: a clock, an event log, and base64/seq helpers. */
const COMMON = `
const wire = { events: [], quotes: [], opens: 0, pong: null, close: null, recovered: null };
window.wire = wire;
const stamp = () => performance.timeOrigin + performance.now() - CONFIG.start;
const note = (what) => wire.events.push({ t: stamp(), what });
const seqOf = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const withLimit = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('page: no answer to ' + what)), ms))]);
`;

const SSE = `
wire.open = () => {
  const es = new EventSource(CONFIG.relay + '/sse');
  wire.main = es;
  es.onopen = () => { wire.opens++; note('EventSource open #' + wire.opens); };
  es.onerror = () =>
    note('EventSource error, readyState ' + es.readyState + (es.readyState === 0 ? ' (CONNECTING: it will reconnect)' : ''));
  es.onmessage = (e) => note('unnamed message event: ' + e.data);
  es.addEventListener('quote', (e) => {
    const q = JSON.parse(e.data);
    wire.quotes.push({ seq: q.seq, format: 'json', connection: 'main' });
    note('quote ' + q.seq + ' (lastEventId ' + e.lastEventId + ')');
  });
};
wire.ready = () => wire.opens >= 1;
wire.ping = async () => {
  const t = performance.timeOrigin + performance.now();
  const body = JSON.stringify({ type: 'ping', t });
  const post = fetch(CONFIG.relay + '/sse/ping', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const res = await withLimit(post, 5000, 'POST /sse/ping');
  wire.pong = await res.json();
  note('pong over POST /sse/ping');
  return wire.pong;
};
wire.openBinary = () => {
  const es = new EventSource(CONFIG.relay + '/sse?format=base64');
  wire.side = es;
  es.onopen = () => { wire.sideOpen = true; note('base64 EventSource open'); };
  es.addEventListener('quote', (e) => {
    const bytes = fromBase64(e.data);
    wire.quotes.push({ seq: seqOf(bytes), format: 'base64', connection: 'binary' });
    note('base64 quote ' + seqOf(bytes) + ' (' + e.data.length + ' characters for ' + bytes.length + ' bytes)');
  });
};
wire.binaryReady = () => wire.sideOpen === true;
wire.closeBinary = () => { wire.side.close(); note('base64 EventSource closed by the page'); };
`;

const WS = `
const wsUrl = CONFIG.relay.replace(/^http/, 'ws');
wire.open = () => {
  const ws = new WebSocket(wsUrl + '/ws');
  wire.main = ws;
  ws.onopen = () => { wire.opens++; note('WebSocket open #' + wire.opens); };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === 'pong') { wire.pong = m; note('pong message'); if (wire.onPong) wire.onPong(m); return; }
    if (typeof m.seq === 'number') { wire.quotes.push({ seq: m.seq, format: 'json', connection: 'main' }); note('quote ' + m.seq); return; }
    note('message ' + e.data);
  };
  ws.onclose = (e) => {
    wire.close = { code: e.code, reason: e.reason };
    note('WebSocket close ' + e.code + ' ' + e.reason + ' (no reconnect of its own)');
  };
};
wire.ready = () => wire.main && wire.main.readyState === 1;
wire.ping = () => withLimit(new Promise((resolve) => {
  wire.onPong = resolve;
  wire.main.send(JSON.stringify({ type: 'ping', t: performance.timeOrigin + performance.now() }));
}), 5000, 'the ping message');
wire.openBinary = () => {
  const ws = new WebSocket(wsUrl + '/ws?format=binary');
  ws.binaryType = 'arraybuffer';
  wire.side = ws;
  ws.onopen = () => note('binary WebSocket open');
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') { note('message ' + e.data); return; }
    const bytes = new Uint8Array(e.data);
    wire.quotes.push({ seq: seqOf(bytes), format: 'binary', connection: 'binary' });
    note('binary quote ' + seqOf(bytes) + ' (' + bytes.length + ' bytes)');
  };
  ws.onclose = (e) => note('binary WebSocket closed ' + e.code);
};
wire.binaryReady = () => wire.side && wire.side.readyState === 1;
wire.closeBinary = () => { wire.side.close(1000, 'done'); note('binary WebSocket closed by the page (1000)'); };
`;

const SOCKETIO = `
const options = (format) =>
  ({ forceNew: true, auth: { format }, reconnectionDelay: CONFIG.reconnectMs, reconnectionDelayMax: CONFIG.reconnectMs });
const upgraded = (socket) => socket.connected && socket.io.engine && socket.io.engine.transport.name === 'websocket';
wire.open = () => {
  const socket = io(CONFIG.relay, options('json'));
  wire.main = socket;
  socket.on('connect', () => {
    wire.opens++;
    if (wire.opens > 1) wire.recovered = socket.recovered;
    const recovered = wire.opens > 1 ? ', recovered ' + socket.recovered : '';
    note('socket.io connect #' + wire.opens + ' over ' + socket.io.engine.transport.name + recovered);
    socket.io.engine.once('upgrade', (t) => note('engine.io upgraded to ' + t.name));
  });
  socket.on('disconnect', (reason) => note('socket.io disconnect: ' + reason));
  socket.on('quote', (q) => { wire.quotes.push({ seq: q.seq, format: 'json', connection: 'main' }); note('quote ' + q.seq); });
};
wire.ready = () => upgraded(wire.main);
wire.ping = async () => {
  wire.pong = await wire.main.timeout(5000).emitWithAck('ping', { t: performance.timeOrigin + performance.now() });
  note('ping acknowledged');
  return wire.pong;
};
wire.openBinary = () => {
  const socket = io(CONFIG.relay, options('binary'));
  wire.side = socket;
  socket.on('connect', () => note('binary socket.io connect'));
  socket.on('quote', (data) => {
    const bytes = new Uint8Array(data);
    wire.quotes.push({ seq: seqOf(bytes), format: 'binary', connection: 'binary' });
    note('binary quote ' + seqOf(bytes) + ' (' + bytes.length + ' bytes)');
  });
};
wire.binaryReady = () => upgraded(wire.side);
wire.closeBinary = () => { wire.side.disconnect(); note('binary socket disconnected by the page'); };
`;

/** The page speaks the transport's browser API; SSE over HTTP/1.1 and over HTTP/2 run the same EventSource code. */
const SCRIPTS: Record<NonNullable<TransportSpec['browserApi']>, string> = { EventSource: SSE, WebSocket: WS, 'socket.io': SOCKETIO };

export function pageHtml(config: PageConfig): string {
  const api = TRANSPORTS[config.transport].browserApi;
  const library = api === 'socket.io' ? `<script src="${config.socketIoScript}"></script>\n` : '';
  return `<!doctype html>
<meta charset="utf-8">
<title>wire: ${config.transport}</title>
${library}<script>
const CONFIG = ${JSON.stringify(config)};
${COMMON}${SCRIPTS[api]}</script>
<p>Wire session for ${config.transport}; driven by scripts/wire/run.ts.</p>
`;
}

export interface PageServer {
  origin: string;
  /** Serves this page at /<transport>.html from now on. */
  set(config: PageConfig): string;
  close(): Promise<void>;
}

/** The page's own origin on 127.0.0.1 port 0; anything but the page is a 404 (the favicon a 204). */
export async function startPageServer(): Promise<PageServer> {
  const pages = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const html = pages.get(path);
    if (html) res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
    else if (path === '/favicon.ico') res.writeHead(204).end();
    else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    set(config) {
      const path = `/${config.transport}.html`;
      pages.set(path, pageHtml(config));
      return `${origin}${path}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
