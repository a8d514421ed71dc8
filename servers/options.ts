/**
 * One options type and one defaults object for every server. Validated eagerly: a bad value
 * throws LAB_BAD_OPTION with a hint before anything listens.
 */
import { LabError } from './errors.ts';
import { FEED_DEFAULTS, type FeedOptions, type QuoteFeed } from './feed.ts';

/** The demo page's default origin (`npm run serve`), the one origin allowed out of the box. */
export const DEMO_PORT = 8080;
export const DEMO_ORIGINS = [`http://127.0.0.1:${DEMO_PORT}`, `http://localhost:${DEMO_PORT}`];

export interface ServerOptions extends FeedOptions {
  /** Interface to bind. Default `127.0.0.1` (loopback only). */
  host: string;
  /** TCP port; `0` lets the OS pick a free one. Default `0`. */
  port: number;
  /** Serve https/wss with the lab's self-signed certificate. Default `false`; a transport that requires TLS (sse-h2) ignores it. */
  tls: boolean;
  /** Browser origins allowed (exact match); requests without Origin are always allowed. Default: the demo page's. */
  allowOrigins: string[];
  /**
   * Most concurrent clients; more get 503 (SSE), close 1013 (ws) or a refused handshake (socket.io). TCP connections
   * of any kind are capped at twice this plus 64 (listen.ts socketCap). Default `20000`.
   */
  maxConnections: number;
  /** A client whose unsent bytes pass this is dropped and counted as `dropped`. Default `1048576` (1 MiB). */
  maxBufferedBytes: number;
  /** Largest message a client may send (ws maxPayload, socket.io maxHttpBufferSize, POST body). Default `65536`. */
  maxPayloadBytes: number;
  /** SSE `:` comment heartbeat and ws/socket.io ping interval, ms; `null` turns it off. Default `15000`. */
  heartbeatMs: number | null;
  /** SSE `retry:` sent on connect, ms; `null` sends none (the browser's default applies). Default `3000`. */
  retryMs: number | null;
  /** SSE over HTTP/1.1 only: serve GET /sse through express like article A, instead of node:http in front of it. Default `false`. */
  expressStream: boolean;
  /** SSE: send `X-Accel-Buffering: no`, which tells nginx not to buffer the stream. Default `true`. */
  accelBufferingHeader: boolean;
  /** Let `GET /stats?gc=1` force a full GC, once a second at most (the load runner's memory readings). Default `false`. */
  statsGc: boolean;
  /** Share one feed between servers (the demo does); by default each server makes its own and starts it. */
  feed?: QuoteFeed;
  /**
   * A cluster node's Redis (redis://127.0.0.1:port): the feed is then the shared stream's copy (cluster/quote-stream.ts),
   * and socket.io broadcasts and keeps recovery sessions through its Redis streams adapter.
   */
  redis?: string;
}

export const SERVER_DEFAULTS: ServerOptions = {
  ...FEED_DEFAULTS,
  host: '127.0.0.1',
  port: 0,
  tls: false,
  allowOrigins: DEMO_ORIGINS,
  maxConnections: 20000,
  maxBufferedBytes: 1024 * 1024,
  maxPayloadBytes: 64 * 1024,
  heartbeatMs: 15000,
  retryMs: 3000,
  expressStream: false,
  accelBufferingHeader: true,
  statsGc: false,
};

function check(ok: boolean, name: string, value: unknown, hint: string): void {
  if (!ok) throw new LabError('LAB_BAD_OPTION', `${name} is ${JSON.stringify(value)}`, hint);
}

const isInt = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export function resolveOptions(input: Partial<ServerOptions> = {}): ServerOptions {
  const o: ServerOptions = { ...SERVER_DEFAULTS, ...input };
  check(typeof o.host === 'string' && o.host.length > 0, 'host', o.host, 'use an address such as 127.0.0.1');
  check(isInt(o.port, 0, 65535), 'port', o.port, 'use 0..65535; 0 picks a free port');
  check(isInt(o.seed, 0, 2 ** 32 - 1), 'seed', o.seed, 'use a whole number 0..4294967295');
  check(typeof o.rate === 'number' && o.rate >= 0 && o.rate <= 100000, 'rate', o.rate, 'quotes per second, 0..100000; 0 pauses');
  check(isInt(o.padding, 0, 16 * 1024 * 1024), 'padding', o.padding, 'bytes of filler, 0..16777216');
  check(isInt(o.replay, 0, 1_000_000), 'replay', o.replay, 'quotes kept for resume, 0..1000000');
  check(isInt(o.maxConnections, 1, 1_000_000), 'maxConnections', o.maxConnections, 'a whole number >= 1');
  check(isInt(o.maxBufferedBytes, 1024, 2 ** 31), 'maxBufferedBytes', o.maxBufferedBytes, 'bytes, at least 1024');
  check(isInt(o.maxPayloadBytes, 64, 2 ** 30), 'maxPayloadBytes', o.maxPayloadBytes, 'bytes, at least 64');
  check(o.heartbeatMs === null || isInt(o.heartbeatMs, 10, 3_600_000), 'heartbeatMs', o.heartbeatMs, 'ms 10..3600000, or null for none');
  check(o.retryMs === null || isInt(o.retryMs, 0, 3_600_000), 'retryMs', o.retryMs, 'ms 0..3600000, or null to send no retry line');
  check(Array.isArray(o.allowOrigins), 'allowOrigins', o.allowOrigins, 'a list of origins');
  for (const origin of o.allowOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    check(
      parsed !== undefined && parsed.origin === origin,
      'an allowed origin',
      origin,
      'write scheme://host:port with no path or trailing slash',
    );
  }
  return o;
}

/** An Origin header passes when it is absent (not a browser) or exactly on the list. */
export function originAllowed(origin: string | undefined, allowOrigins: readonly string[]): boolean {
  return origin === undefined || allowOrigins.includes(origin);
}

/** A number given on a command line: digits (and a dot) only, so "10abc" is an error, not 10. */
export function numberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `--${name} is ${JSON.stringify(raw)}`, 'expected a number');
  return Number(raw);
}
