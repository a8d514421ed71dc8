/**
 * results/fuzz.json: what a fuzzing campaign (npm run fuzz) or a test batch sent to which live
 * server, and every input that got an answer outside the hardening contract, with what replays it.
 */
import type { Transport } from '../../servers/transports.ts';

/** One failing input. Replay: fc.assert(property, { seed, path }), or the `replay` command. */
export interface FuzzFailure {
  seed: number;
  /** fast-check's counterexample path; null for a failure seen after the batch (the watching client). */
  path: string | null;
  /** fc.stringify of the input, shrunk as far as the shrink budget allowed; null for a batch-level failure. */
  counterexample: string | null;
  /** What was wrong: the classifier's verdict, or the server's exit and the tail of its stderr. */
  error: string;
  /** The exact command that replays it. */
  replay: string;
}

export interface SurfaceResult {
  /** `<family>:<target>`, e.g. `http-target:ws-upgrade`. */
  name: string;
  transports: Transport[];
  /** Inputs sent, shrinking and replays included. */
  inputs: number;
  /** Property runs fast-check counted (up to and including a failing one). */
  runs: number;
  /** Server processes that exited under this surface's inputs (each was restarted). */
  crashes: number;
  failures: FuzzFailure[];
}

export interface FuzzResults {
  generatedAt: string;
  environment: { node: string; cpus: number; cpuModel: string; commit: string };
  /** The campaign's time budget; null for a fixed number of runs. */
  minutes: number | null;
  /** Every fast-check seed used, one per batch. */
  seeds: number[];
  surfaces: SurfaceResult[];
  totalInputs: number;
  crashes: number;
}
