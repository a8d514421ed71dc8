/**
 * The shared runner. A batch is one fast-check run of a surface's property against its live
 * server: every input is sent, then the server must still answer /stats (a crash outranks
 * whatever the input got back, and carries the process's stderr). The first failure stops the
 * batch and is shrunk in a second run from its path, under its own time budget, since each
 * shrink step that crashes the server costs a restart. After the batch the watching client must
 * have every quote, in order, up to the server's newest.
 */
import fc from 'fast-check';
import type { Fleet } from './live.ts';
import type { AnySurface } from './surface.ts';
import type { FuzzFailure } from './types.ts';

export interface BatchOptions {
  seed: number;
  numRuns: number;
  /** Time the shrinking of a failure may take. */
  shrinkMs: number;
  /** Epoch ms after which no new input starts (a campaign's end). */
  deadline?: number;
}

export interface BatchResult {
  seed: number;
  inputs: number;
  runs: number;
  crashes: number;
  failures: FuzzFailure[];
}

/** The seed CI uses: fixed, so a red test names an input anyone can replay. */
const CI_SEED = 20261121;
/** CI's shrink budget per failure. */
const CI_SHRINK_MS = 15_000;
/** Backstop for one input: each surface bounds its own waits far below this. */
const INPUT_TIMEOUT_MS = 30_000;
const COUNTEREXAMPLE_CHARS = 2000;

function replayCommand(surface: string, seed: number, path: string | null, numRuns: number): string {
  return path === null
    ? `npm run fuzz -- --surface ${surface} --seed ${seed} --runs ${numRuns}`
    : `npm run fuzz -- --surface ${surface} --seed ${seed} --path ${path}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function stringify(value: unknown): string {
  const text = fc.stringify(value);
  return text.length > COUNTEREXAMPLE_CHARS ? `${text.slice(0, COUNTEREXAMPLE_CHARS)}… (${text.length} chars)` : text;
}

/** The property, plus a way to wait for inputs still in flight (a timed-out run keeps going underneath). */
function property(surface: AnySurface, fleet: Fleet, count: () => void) {
  const running = new Set<Promise<void>>();
  const check = async (input: unknown) => {
    count();
    const server = await fleet.server(surface.transport);
    const sent = await surface.send(input, server).then(
      () => null,
      (error: unknown) => ({ error }),
    );
    await server.stats(); // a crash outranks whatever the input got back
    if (sent) throw sent.error;
  };
  const prop: fc.IAsyncProperty<[unknown]> = fc.asyncProperty(surface.arbitrary, (input) => {
    const run = check(input);
    const tracked = run.catch(() => {}).finally(() => running.delete(tracked));
    running.add(tracked);
    return run;
  });
  // unref: a backstop timer must not hold the process open after the last batch.
  const settled = () =>
    Promise.race([Promise.allSettled(running), new Promise((resolve) => setTimeout(resolve, INPUT_TIMEOUT_MS).unref())]);
  return { prop, settled };
}

export async function runBatch(surface: AnySurface, fleet: Fleet, options: BatchOptions): Promise<BatchResult> {
  const { seed, numRuns, shrinkMs, deadline } = options;
  let inputs = 0;
  const crashesBefore = fleet.crashes;
  const { prop, settled } = property(surface, fleet, () => inputs++);
  const timeout = fc.timeout(INPUT_TIMEOUT_MS);
  const limit = deadline === undefined ? [] : [fc.interruptAfterTimeLimit(Math.max(1, deadline - Date.now()))];
  const first = await fc.check<[unknown]>(prop, { seed, numRuns, endOnFailure: true, plugins: [timeout, ...limit] });
  await settled();
  const failures: FuzzFailure[] = [];
  if (first.failed && first.counterexamplePath !== null) {
    const shrunk = await fc.check<[unknown]>(prop, {
      seed,
      path: first.counterexamplePath,
      plugins: [timeout, fc.interruptAfterTimeLimit(shrinkMs)],
    });
    await settled();
    const final = shrunk.failed && shrunk.counterexamplePath !== null ? shrunk : first;
    const alone = final === first ? ' (it did not fail again when replayed alone: it may depend on the inputs before it)' : '';
    failures.push({
      seed,
      path: final.counterexamplePath,
      counterexample: stringify(final.counterexample?.[0]),
      error: describe(final.errorInstance) + alone,
      replay: replayCommand(surface.name, seed, final.counterexamplePath, numRuns),
    });
  } else if (first.failed) {
    // Failed without a counterexample (e.g. the property itself threw outside an input): still a failure.
    failures.push({
      seed,
      path: null,
      counterexample: null,
      error: describe(first.errorInstance),
      replay: replayCommand(surface.name, seed, null, numRuns),
    });
  }
  try {
    // A server an input killed was reported with that input; the watcher check is for the one still running.
    if (failures.length === 0 || fleet.alive(surface.transport)) await fleet.verify(surface.transport);
  } catch (error) {
    failures.push({
      seed,
      path: null,
      counterexample: null,
      error: `after the batch: ${describe(error)}`,
      replay: replayCommand(surface.name, seed, null, numRuns),
    });
  }
  fleet.reap();
  return { seed, inputs, runs: first.numRuns, crashes: fleet.crashes - crashesBefore, failures };
}

/** Replays one counterexample (no shrinking): what `--path` on the command line runs. */
export async function replay(surface: AnySurface, fleet: Fleet, seed: number, path: string): Promise<BatchResult> {
  let inputs = 0;
  const crashesBefore = fleet.crashes;
  const { prop, settled } = property(surface, fleet, () => inputs++);
  const result = await fc.check<[unknown]>(prop, { seed, path, endOnFailure: true, numRuns: 1, plugins: [fc.timeout(INPUT_TIMEOUT_MS)] });
  await settled();
  fleet.reap();
  const failures: FuzzFailure[] = result.failed
    ? [
        {
          seed,
          path,
          counterexample: stringify(result.counterexample?.[0]),
          error: describe(result.errorInstance),
          replay: replayCommand(surface.name, seed, path, 1),
        },
      ]
    : [];
  return { seed, inputs, runs: result.numRuns, crashes: fleet.crashes - crashesBefore, failures };
}

/** A failure as a test or the CLI prints it. */
export function formatFailure(surface: string, failure: FuzzFailure): string {
  return [
    `${surface} failed (seed ${failure.seed}${failure.path === null ? '' : `, path "${failure.path}"`})`,
    ...(failure.counterexample === null ? [] : [`  input: ${failure.counterexample}`]),
    `  error: ${failure.error.replace(/\n/g, '\n    ')}`,
    `  replay: ${failure.replay}`,
    ...(failure.path === null ? [] : [`  or: fc.assert(property, { seed: ${failure.seed}, path: ${JSON.stringify(failure.path)} })`]),
  ].join('\n');
}

/** What a test runs: one batch with CI's fixed seed and the surface's own budget; the inputs it sent and the failures as text. */
export async function ciBatch(surface: AnySurface, fleet: Fleet): Promise<{ inputs: number; failures: string[] }> {
  const result = await runBatch(surface, fleet, { seed: CI_SEED, numRuns: surface.runs, shrinkMs: CI_SHRINK_MS });
  return { inputs: result.inputs, failures: result.failures.map((failure) => formatFailure(surface.name, failure)) };
}
