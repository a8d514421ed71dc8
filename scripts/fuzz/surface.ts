/**
 * A fuzzed input surface: a named property with its own arbitrary, aimed at one transport's
 * live server. `send` delivers one input and throws a Violation when the answer is not one the
 * contract defines; the runner adds the liveness checks every surface shares.
 */
import type fc from 'fast-check';
import { spec, TRANSPORT_NAMES, type Transport, type TransportSpec } from '../../servers/transports.ts';
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

export const surface = <T>(definition: Surface<T>): AnySurface => definition as unknown as AnySurface;

/** The transports a surface family is aimed at: those whose registry entry passes `test`, in registry order. */
export const transportsWhere = (test: (spec: TransportSpec) => boolean): Transport[] => TRANSPORT_NAMES.filter((t) => test(spec(t)));
