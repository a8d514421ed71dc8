/** createClient(transport, options): the one way scenarios, tests and tools make a client. */
import type { ClientTransport } from '../servers/transports.ts';
import { SocketIoClient } from './socketio.ts';
import { SseClient } from './sse.ts';
import { SseH2Client } from './sse-h2.ts';
import type { ClientOptions, LabClient } from './types.ts';
import { WsClient } from './ws.ts';

export type { ClientOptions, Counters, LabClient, Pong, Received, ResetInfo } from './types.ts';
export { SocketIoClient, SseClient, SseH2Client, WsClient };
export { CLIENT_TRANSPORTS, type ClientTransport } from '../servers/transports.ts';

/** Every transport with `nodeClient` in the registry has its client here; the compiler names a missing one. */
const CLIENTS = {
  sse: SseClient,
  'sse-h2': SseH2Client,
  ws: WsClient,
  socketio: SocketIoClient,
} satisfies Record<ClientTransport, new (options: ClientOptions) => LabClient>;

export function createClient(transport: ClientTransport, options: ClientOptions): LabClient {
  return new CLIENTS[transport](options);
}
