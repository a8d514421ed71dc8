/**
 * A fuzzing campaign: batches of each selected surface, round-robin, against one fleet of live
 * servers. With a time budget, rounds repeat until it is spent, each batch with a fresh seed
 * (random, or the next after a given first one, so a whole campaign can be rerun). Without one,
 * a single round where every surface gets the given seed: one batch replayed exactly, or with a
 * path one counterexample. The result is results/fuzz.json's shape; progress goes to a callback.
 */
import { randomInt } from 'node:crypto';
import os from 'node:os';
import { runMetadata } from '../lib/metadata.ts';
import { Fleet } from './live.ts';
import { replay, runBatch, type BatchResult } from './runner.ts';
import type { AnySurface } from './surface.ts';
import type { FuzzResults, SurfaceResult } from './types.ts';

export interface CampaignOptions {
  surfaces: readonly AnySurface[];
  /** Time budget; rounds repeat until it is spent. null: one round. */
  minutes: number | null;
  /** With a budget, the first batch's seed (then +1 per batch; default random); without, every batch's. */
  seed?: number;
  /** One round only: replay this counterexample path instead of running a batch. */
  path?: string;
  /** Runs per batch; default each surface's own. */
  runs?: number;
  /** Time the shrinking of one failure may take. */
  shrinkMs: number;
  /** After each batch. */
  onBatch?(surface: AnySurface, batch: BatchResult, totals: { inputs: number; elapsedMs: number }): void;
  /** Polled between batches: true ends the campaign early (Ctrl-C). */
  stopped?(): boolean;
}

function environment(): FuzzResults['environment'] {
  const meta = runMetadata();
  return { node: meta.node, cpus: os.cpus().length, cpuModel: meta.machine.cpuModel, commit: meta.commit };
}

export async function runCampaign(options: CampaignOptions): Promise<FuzzResults> {
  const fleet = new Fleet();
  const started = Date.now();
  const budget = options.minutes === null ? undefined : started + options.minutes * 60_000;
  const nextSeed = (): number =>
    budget === undefined ? options.seed! : options.seed === undefined ? randomInt(2 ** 31) : options.seed + seeds.length;
  const seeds: number[] = [];
  const results = new Map<string, SurfaceResult>(
    options.surfaces.map((s) => [s.name, { name: s.name, transports: [s.transport], inputs: 0, runs: 0, crashes: 0, failures: [] }]),
  );
  let inputs = 0;
  try {
    do {
      for (const surface of options.surfaces) {
        if (options.stopped?.() || (budget !== undefined && Date.now() >= budget)) break;
        const seed = nextSeed();
        const numRuns = options.runs ?? surface.runs;
        const batch =
          options.path !== undefined
            ? await replay(surface, fleet, seed, options.path)
            : await runBatch(surface, fleet, { seed, numRuns, shrinkMs: options.shrinkMs, deadline: budget });
        // Ctrl-C reaches the servers too (one process group): a batch it cut short proves nothing either way.
        if (options.stopped?.()) break;
        seeds.push(seed);
        inputs += batch.inputs;
        const result = results.get(surface.name)!;
        result.inputs += batch.inputs;
        result.runs += batch.runs;
        result.crashes += batch.crashes;
        result.failures.push(...batch.failures);
        options.onBatch?.(surface, batch, { inputs, elapsedMs: Date.now() - started });
      }
    } while (budget !== undefined && !options.stopped?.() && Date.now() < budget);
  } finally {
    await fleet.stop();
  }
  const surfaces = [...results.values()];
  return {
    generatedAt: new Date().toISOString(),
    environment: environment(),
    minutes: options.minutes,
    seeds,
    surfaces,
    totalInputs: inputs,
    crashes: surfaces.reduce((sum, s) => sum + s.crashes, 0),
  };
}
