/**
 * The messages between the runner and its generator workers (child_process IPC, JSON). One
 * step's conversation: (connect -> connected) once per round, window -> armed, [complete], collect -> report (with the
 * worker's CPU marks of the window), close. Or, for round trips: upstream -> upstream.
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
      /** 0: read as data arrives and time every delivery (the probe); else batched, sleeping up to pollMs between polls while armed. */
      pollMs: number;
    }
  /** The window's seqs, and the feed's rate (quotes/s): a batched worker wakes for the window's last quote when it is due. */
  | { type: 'window'; from: number; to: number; rate: number }
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

/** A CPU reading of one worker: total CPU microseconds (process.cpuUsage) at a performance.now() ms. */
export interface CpuMark {
  cpuMicros: number;
  wallMs: number;
  /** Quotes the worker had read by then, any seq: the deliveries its CPU between two marks was spent on. */
  quotes: number;
}

export interface ReportMessage extends TallySnapshot {
  type: 'report';
  /**
   * The worker's marks around its reads of the window: just before it took the window's first quote, and once every
   * client of it had the last (or at collect, when some never did). Taken by the worker, not asked for: a batched
   * worker may read a whole window in one wake, which a mark asked for by the runner could land on either side of.
   */
  marks: { start: CpuMark; end: CpuMark };
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
  | ReportMessage
  | UpstreamMessage
  | { type: 'error'; message: string };
