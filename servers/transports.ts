/**
 * The transport registry: every transport the lab knows, once, with what the rest of the lab needs
 * to know about it. Every list of transports in the code (servers, clients, lean readers, load,
 * scenarios, wire capture, report) derives from this object, and code asks a transport's
 * capabilities instead of testing its name.
 *
 * Adding a transport: its server (servers/<name>.ts), its Node client (clients/<name>.ts, unless
 * `nodeClient` is false), its lean load reader (clients/lean/<name>.ts) and an entry here. The
 * compiler then names the maps that still lack it (clients/index.ts and clients/lean/index.ts:
 * kept apart so a server process never loads client libraries), and test/transports.test.ts
 * checks the entry against what the lab needs.
 */
import type { RunningServer } from './listen.ts';
import type { ServerOptions } from './options.ts';

type Starter = (options?: Partial<ServerOptions>) => Promise<RunningServer>;
/**
 * A server module, loaded when a server starts: the registry is read by load-generator workers, the
 * report and the clients too, which must not load express, ws and socket.io for a label.
 */
const lazy =
  (load: () => Promise<{ start: Starter }>): Starter =>
  async (options) =>
    (await load()).start(options);

export interface TransportSpec {
  /** What the report and the CLI call it. */
  label: string;
  /** Its colour in every chart (a CSS hex colour, distinct from the others'). */
  color: string;
  /** Starts its server in this process (servers/cli.ts wraps it in the command-line contract). */
  start: Starter;
  /** What a browser opens it with; null: no browser can (the TCP floor). */
  browserApi: 'EventSource' | 'WebSocket' | 'socket.io' | null;
  /** The HTTP version a client speaks to it; null: not HTTP. */
  http: '1.1' | '2' | null;
  /** `optional`: plain by default, TLS with --tls. `required`: TLS always (browsers speak HTTP/2 only over TLS). */
  tls: 'optional' | 'required';
  /** Binary quotes: `native` (binary messages), `base64` (a text-only stream carries them encoded), null (none). */
  binary: 'native' | 'base64' | null;
  /** How a client picks up where it left off: the Last-Event-ID header, ?since=, socket.io's recovery, or not at all. */
  resume: 'last-event-id' | 'since' | 'recovery' | null;
  /** The client-to-server path: a separate HTTP POST, a message on the same connection, an acknowledged emit, or none. */
  upstream: 'post' | 'message' | 'ack' | null;
  /** How the wire capture decodes its bytes: HTTP/1.1 + event stream, WebSocket frames, engine.io, HTTP/2 (tshark), or not captured. */
  wire: 'event-stream' | 'websocket' | 'engineio' | 'h2' | null;
  /** Has a full Node client in clients/ (reconnect, resume, ping); the floor has a lean reader only. */
  nodeClient: boolean;
  /** The reference the others are measured against (raw TCP), not a contender. */
  floor: boolean;
}

export const TRANSPORTS = {
  sse: {
    label: 'SSE',
    color: '#1f77b4',
    start: lazy(() => import('./sse.ts')),
    browserApi: 'EventSource',
    http: '1.1',
    tls: 'optional',
    binary: 'base64',
    resume: 'last-event-id',
    upstream: 'post',
    wire: 'event-stream',
    nodeClient: true,
    floor: false,
  },
  'sse-h2': {
    label: 'SSE over HTTP/2',
    color: '#17becf',
    start: lazy(() => import('./sse-h2.ts')),
    browserApi: 'EventSource',
    http: '2',
    tls: 'required',
    binary: 'base64',
    resume: 'last-event-id',
    upstream: 'post',
    wire: 'h2',
    nodeClient: true,
    floor: false,
  },
  ws: {
    label: 'WebSocket (ws)',
    color: '#d62728',
    start: lazy(() => import('./ws.ts')),
    browserApi: 'WebSocket',
    http: '1.1',
    tls: 'optional',
    binary: 'native',
    resume: 'since',
    upstream: 'message',
    wire: 'websocket',
    nodeClient: true,
    floor: false,
  },
  socketio: {
    label: 'socket.io',
    color: '#2ca02c',
    start: lazy(() => import('./socketio.ts')),
    browserApi: 'socket.io',
    http: '1.1',
    tls: 'optional',
    binary: 'native',
    resume: 'recovery',
    upstream: 'ack',
    wire: 'engineio',
    nodeClient: true,
    floor: false,
  },
  tcp: {
    label: 'raw TCP floor',
    color: '#7f7f7f',
    start: lazy(() => import('./tcp.ts')),
    browserApi: null,
    http: null,
    tls: 'optional',
    binary: null,
    resume: null,
    upstream: null,
    wire: null,
    nodeClient: false,
    floor: true,
  },
} as const satisfies Record<string, TransportSpec>;

export type Transport = keyof typeof TRANSPORTS;
type Spec<T extends Transport> = (typeof TRANSPORTS)[T];

/** Every transport, in registry order (the order of every table and chart). */
export const TRANSPORT_NAMES = Object.keys(TRANSPORTS) as Transport[];

/** The transports whose `key` capability is of type V, as a union of their names. */
type Holding<K extends keyof TransportSpec, V> = { [T in Transport]: Spec<T>[K] extends V ? T : never }[Transport];
const names = <T extends Transport>(test: (spec: TransportSpec) => boolean) => TRANSPORT_NAMES.filter((t) => test(TRANSPORTS[t])) as T[];

/** With a full Node client (clients/index.ts). */
export type ClientTransport = Holding<'nodeClient', true>;
export const CLIENT_TRANSPORTS = names<ClientTransport>((s) => s.nodeClient);
/** A browser can open: scenarios, wire capture, demo page. */
export type BrowserTransport = Exclude<Transport, Holding<'browserApi', null>>;
export const BROWSER_TRANSPORTS = names<BrowserTransport>((s) => s.browserApi !== null);
/** With a client-to-server path: the load runner's upstream phase. */
export type UpstreamTransport = Exclude<Transport, Holding<'upstream', null>>;
export const UPSTREAM_TRANSPORTS = names<UpstreamTransport>((s) => s.upstream !== null);

/** A transport's entry read as the general spec, so a test for a value no entry holds yet still type-checks. */
export function spec(transport: Transport): TransportSpec {
  return TRANSPORTS[transport];
}

/** Speaks HTTP/2 (its /stats too): HTTP/1.1 bytes cannot reach it. */
export const speaksHttp2 = (transport: Transport): boolean => spec(transport).http === '2';

export function isTransport(name: string): name is Transport {
  return Object.hasOwn(TRANSPORTS, name);
}

export function startServer(transport: Transport, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return TRANSPORTS[transport].start(options);
}
