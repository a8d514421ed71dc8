/** createClient(transport, options): the one way scenarios, tests and tools make a client. */
import type { Transport } from '../servers/contract.ts';
import { SocketIoClient } from './socketio.ts';
import { SseClient } from './sse.ts';
import type { ClientOptions, LabClient } from './types.ts';
import { WsClient } from './ws.ts';

export type { ClientOptions, Counters, LabClient, Pong, Received, ResetInfo } from './types.ts';
export { SocketIoClient, SseClient, WsClient };

export type ClientTransport = Exclude<Transport, 'tcp'>;
export const CLIENT_TRANSPORTS: readonly ClientTransport[] = ['sse', 'ws', 'socketio'];

export function createClient(transport: ClientTransport, options: ClientOptions): LabClient {
  switch (transport) {
    case 'sse':
      return new SseClient(options);
    case 'ws':
      return new WsClient(options);
    case 'socketio':
      return new SocketIoClient(options);
  }
}
