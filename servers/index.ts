/** The programmatic API: start any transport's server by name (the registry, servers/transports.ts, knows them all). */
export type { DropMode, RunningServer } from './listen.ts';
export type { ServerOptions } from './options.ts';
export { startServer, TRANSPORTS, TRANSPORT_NAMES, type Transport } from './transports.ts';
