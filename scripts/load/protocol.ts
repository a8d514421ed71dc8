/**
 * The messages between the runner and its generator workers (child_process IPC, JSON). One
 * step's conversation: (connect -> connected) once per round, window -> armed, mark -> mark (at the
 * window's start and end), [complete], collect -> report, close. Or, for round trips: upstream -> upstream.
 */
import type { Transport, UpstreamTransport } from '../../servers/transports.ts';
import type { TallySnapshot } from './tally.ts';
import type { Percentiles } from './types.ts';

export type ToWorker =
  | {
      type: 'connect';
      transport: Transport;
      url: string;
      /** Clients this worker opens in this round (added to those of earlier rounds). */
      count: number;
      /** Global index of its first client: client i connects from addresses[(offset + i) % addresses.length]. */
      offset: number;
      /** The lab certificate (PEM) the clients trust over TLS; null for a plain step. */
      ca: string | null;
      addresses: string[];
      concurrency: number;
      timeoutMs: number;
      /** 0: read as data arrives and time every delivery (the probe); else batched, polling every pollMs while a window is armed. */
      pollMs: number;
    }
  | { type: 'window'; from: number; to: number }
  | { type: 'mark' }
  | { type: 'collect' }
  /** Round trips: `warmupS` unmeasured, then `armed`, then `durationS` measured. */
  | {
      type: 'upstream';
      transport: UpstreamTransport;
      url: string;
      ca: string | null;
      connections: number;
      warmupS: number;
      durationS: number;
      timeoutMs: number;
    }
  | { type: 'close' };

/** Every round's connections so far. */
export interface ConnectedMessage {
  type: 'connected';
  connected: number;
  failed: number;
  errors: Record<string, number>;
  /** Encoded connect-time histogram, microseconds. */
  histogram: string;
}

export interface ReportMessage extends TallySnapshot {
  type: 'report';
  /** Encoded latency histogram, microseconds. */
  histogram: string;
  /** Read as data arrived (the probe): its latencies are the step's. A batched worker's are up to a poll late. */
  timed: boolean;
}

export interface UpstreamMessage {
  type: 'upstream';
  requests: number;
  errors: number;
  /** Seconds the round trips ran. */
  seconds: number;
  latencyMs: Percentiles;
  histogram: string | null;
  /** Worker CPU over the test, in cores. */
  cores: number;
  /** Connections that failed to open (ws, socket.io). */
  connectErrors: Record<string, number>;
}

export type FromWorker =
  | { type: 'progress'; connected: number; failed: number }
  | ConnectedMessage
  /** The window is set (step), or the measured part of the round trips starts now (upstream). */
  | { type: 'armed' }
  | { type: 'complete' }
  /** process.cpuUsage() total in microseconds, performance.now() and the quotes read so far (any seq) at the mark. */
  | { type: 'mark'; cpuMicros: number; wallMs: number; quotes: number }
  | ReportMessage
  | UpstreamMessage
  | { type: 'error'; message: string };
