/**
 * A fuzzed input surface: a named property with its own arbitrary, aimed at one transport's
 * live server. `send` delivers one input and throws a Violation when the answer is not one the
 * contract defines; the runner adds the liveness checks every surface shares.
 */
import type fc from 'fast-check';
import type { Transport } from '../../servers/transports.ts';
import type { LiveServer } from './live.ts';

export interface Surface<T> {
  /** `<family>:<target>`, e.g. `http-target:ws-upgrade`. */
  name: string;
  transport: Transport;
  arbitrary: fc.Arbitrary<T>;
  /** Runs per batch: the fixed CI budget, and each round's size in a campaign (sized by the input's cost). */
  runs: number;
  send(input: T, server: LiveServer): Promise<void>;
}

/** A surface with its input type erased, for lists: the runner only feeds `send` what `arbitrary` made. */
export type AnySurface = Surface<unknown>;

export const surface = <T>(spec: Surface<T>): AnySurface => spec as unknown as AnySurface;
