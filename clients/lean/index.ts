/** Lean readers by transport name: the load runner's only way to open a connection. Every transport has one. */
import type { Transport } from '../../servers/transports.ts';
import * as socketio from './socketio.ts';
import * as sse from './sse.ts';
import * as sseH2 from './sse-h2.ts';
import * as tcp from './tcp.ts';
import type { LeanOptions, LeanReader } from './types.ts';
import * as ws from './ws.ts';

export { ConnectError, errorCode, type LeanOptions, type LeanReader } from './types.ts';

const connectors = {
  sse: sse.connect,
  'sse-h2': sseH2.connect,
  ws: ws.connect,
  socketio: socketio.connect,
  tcp: tcp.connect,
} satisfies Record<Transport, (options: LeanOptions) => Promise<LeanReader>>;

export function connectLean(transport: Transport, options: LeanOptions): Promise<LeanReader> {
  return connectors[transport](options);
}
