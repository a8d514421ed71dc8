/**
 * What the load runner asks of a transport, answered from the registry (servers/transports.ts)
 * rather than by its name: whether its steps run over TLS, which transport is the floor the
 * others are measured against, whether and how its upstream round trips are driven.
 */
import { spec, TRANSPORT_NAMES, type Transport, type UpstreamTransport } from '../../servers/transports.ts';

/** Whether a transport's steps run over TLS: every transport with --tls, and always one that requires it (HTTP/2). */
export function usesTls(transport: Transport, tls: boolean): boolean {
  return tls || spec(transport).tls === 'required';
}

/** The reference the others are measured against (the raw-TCP floor); null if the registry had none. */
export const FLOOR: Transport | null = TRANSPORT_NAMES.find((t) => spec(t).floor) ?? null;

/** The path of a `post` upstream, beside the stream: the same on every server whose upstream is `post` (sse, sse-h2). */
export const POST_PATH = '/sse/ping';

/**
 * How the upstream phase drives a transport's round trips:
 * - `autocannon`: a POST over HTTP/1.1 keep-alive connections (autocannon);
 * - `h2-post`: a POST over HTTP/2, one session per connection, each a closed loop (h2-post.ts: autocannon speaks HTTP/1.1 only);
 * - `reader-ping`: the lean reader's own ping() on its connection (a ws message, a socket.io ack), each a closed loop.
 */
export type UpstreamDriver = 'autocannon' | 'h2-post' | 'reader-ping';

export function upstreamDriver(transport: UpstreamTransport): UpstreamDriver {
  const { upstream, http } = spec(transport);
  if (upstream !== 'post') return 'reader-ping';
  return http === '2' ? 'h2-post' : 'autocannon';
}

/** The upstream method in words, for the results and the report (which prefix it with the transport's label). */
export function upstreamMethod(transport: UpstreamTransport): string {
  switch (upstreamDriver(transport)) {
    case 'autocannon':
      return `POST ${POST_PATH} (autocannon, HTTP/1.1)`;
    case 'h2-post':
      return `POST ${POST_PATH} (closed loop, HTTP/2)`;
    case 'reader-ping':
      return spec(transport).upstream === 'ack' ? 'emit ping -> ack' : 'ping message -> pong message';
  }
}
