/**
 * SSE over HTTP/2: the SSE client (clients/sse.ts, the `eventsource` package) on an undici
 * dispatcher that speaks HTTP/2, so its stream, its reconnects and its POST /sse/ping share one
 * multiplexed connection. Same reconnection, Last-Event-ID resume and `reset` handling; the server
 * is always TLS, so give it the lab certificate as `ca`.
 */
import { SseClient } from './sse.ts';
import type { ClientOptions, LabClient } from './types.ts';

export class SseH2Client extends SseClient implements LabClient {
  override readonly transport = 'sse-h2';

  constructor(options: ClientOptions) {
    super(options, { allowH2: true });
  }
}
