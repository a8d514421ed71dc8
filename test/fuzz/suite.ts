/**
 * What every fuzz test file does: start live servers for its surfaces' transports once, then run
 * each surface as one test with CI's fixed seed. A surface passes when it sent inputs and none got
 * an answer outside the contract.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Transport } from '../../servers/transports.ts';
import { Fleet } from '../../scripts/fuzz/live.ts';
import { ciBatch } from '../../scripts/fuzz/runner.ts';
import type { AnySurface } from '../../scripts/fuzz/surface.ts';

export function fuzzSurfaces(surfaces: readonly AnySurface[], input: string): void {
  const fleet = new Fleet();
  const transports: Transport[] = [...new Set(surfaces.map((surface) => surface.transport))];
  beforeAll(() => fleet.start(transports), 60_000);
  afterAll(() => fleet.stop());
  it.each(surfaces.map((surface) => [surface.name, surface] as const))(`%s: every ${input} gets a defined answer`, async (_, surface) => {
    const { inputs, failures } = await ciBatch(surface, fleet);
    expect(inputs, 'inputs sent').toBeGreaterThan(0);
    expect(failures.length, failures.join('\n\n')).toBe(0);
  });
}
