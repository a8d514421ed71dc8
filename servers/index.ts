/** The programmatic API: start any transport's server by name. */
import type { Transport } from './contract.ts';
import type { RunningServer } from './listen.ts';
import type { ServerOptions } from './options.ts';
import * as socketio from './socketio.ts';
import * as sse from './sse.ts';
import * as tcp from './tcp.ts';
import * as ws from './ws.ts';

export type { DropMode, RunningServer } from './listen.ts';
export type { ServerOptions } from './options.ts';

const starters: Record<Transport, (options?: Partial<ServerOptions>) => Promise<RunningServer>> = {
  sse: sse.start,
  ws: ws.start,
  socketio: socketio.start,
  tcp: tcp.start,
};

export function startServer(transport: Transport, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return starters[transport](options);
}
