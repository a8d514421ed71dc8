/**
 * The attack suite's types: an attack (one named fixture per case of the hardening contract's ten
 * defects) and the plain JSON record of one run. A record holds what was observed, never what was
 * expected; the tests and the reader compare it with the contract.
 */
import type { Transport } from '../../servers/transports.ts';
import type { ReadyLine } from '../lib/spawn-server.ts';
import type { StatsSnapshot } from '../../servers/stats.ts';

/** What an attack gets: the server it aims at, and a place to leave connections that must outlive it. */
export interface Target {
  ready: ReadyLine;
  /** The server's main port (for tcp, the NDJSON port; its /stats is on `statsPort`). */
  port: number;
  statsPort: number;
  stats(gc?: boolean): Promise<StatsSnapshot | null>;
  /** Registers a teardown that runs after the server stopped: sockets held through SIGTERM. */
  hold(teardown: () => void): void;
}

/** What an attack reports: what it sent, and what came back. */
export interface Outcome<A extends object = object> {
  /** What was sent, and how much, in one sentence. */
  attack: string;
  /** What the server answered, as observed: statuses, error codes, close codes, replies. */
  answer: A;
  /** Attacking connections held open at once at the most (for the memory bound). */
  held: number;
}

export interface Attack<A extends object = object> {
  /** Stable id, e.g. `ws-unparsable-upgrade-target`. */
  id: string;
  /** The hardening defect (issue 15) this reproduces, 1..10. */
  defect: number;
  transport: Transport;
  title: string;
  /** Flags after the harness's own (`--rate 20 --stats-gc`). */
  serverArgs?: string[];
  /** The attack itself; bounded in count and time, it stops by itself. Throws when it cannot go on. */
  run(target: Target): Promise<Outcome<A>>;
}

export interface MemoryReading {
  /** From /stats (after a forced GC when `gc`); null when /stats did not answer. */
  heapUsed: number | null;
  /** VmRSS from /proc/<pid>/status, bytes; null once the process is gone. */
  rss: number | null;
  gc: boolean;
}

export interface Shutdown {
  /** null when a signal ended it (see `signal`). */
  exitCode: number | null;
  signal: string | null;
  /** SIGTERM to exit, ms (0 when it had exited before). */
  ms: number;
  /** The process had already exited (crashed) before SIGTERM was sent. */
  exitedBefore: boolean;
  /** It outlived the harness's patience (SIGKILL_AFTER_MS) and was killed. */
  killed: boolean;
}

/** The answer of an attack that threw before it had one. */
export type NoAnswer = Record<string, never>;

export interface AttackRecord<A extends object = object> {
  id: string;
  defect: number;
  transport: Transport;
  title: string;
  /** Every flag the server was started with. */
  serverArgs: string[];
  /** What was sent, and how much; empty when the attack threw. */
  attack: string;
  /** What came back; `{}` when the attack threw. */
  answer: A | NoAnswer;
  /** The attack's own exception (e.g. the server went away mid-attack); null when it ran to its end. */
  attackError: string | null;
  /** /stats counters after the attack minus before; null where /stats did not answer or lacks the counter. */
  counters: { violations: number | null; refused: number | null; dropped: number | null };
  /** After the attack, the process was alive and /stats answered. */
  serverUp: boolean;
  wellBehaved: {
    /** Quotes each well-behaved client received in all. */
    received: number[];
    /** Lost, repeated or reordered quotes, summed over the clients. */
    gaps: number;
    /** Quotes the least lucky client received after the attack ended. */
    afterAttack: number;
    reconnects: number;
  };
  memory: {
    /** With the well-behaved clients connected, before the attack. */
    baseline: MemoryReading;
    /** After the attack and a short window, attacking connections still held. */
    after: MemoryReading;
    /** VmHWM at the end: the most RSS the process ever had. */
    peakRss: number | null;
    /** What the contract lets the attack's connections hold: held × (1 MiB unsent + 64 KiB inbound). */
    boundBytes: number;
  };
  shutdown: Shutdown;
  /** The end of the server's stderr (a crash's stack trace), at most 1,500 characters. */
  stderrTail: string;
  durationMs: number;
}

/** results/abuse.json */
export interface AbuseFile {
  generatedAt: string;
  environment: { node: string; cpus: number; platform: string };
  records: AttackRecord[];
  /** Attacks that could not run at all (the server would not start, the clients could not connect). */
  setupErrors: { id: string; defect: number; transport: Transport; error: string }[];
}
