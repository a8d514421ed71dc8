/**
 * npm run fuzz [-- --minutes 2] [--seed S] [--surface NAME ...] [--runs N] [--path P] [--out FILE]
 *
 * A campaign against live servers (127.0.0.1, port 0): round-robin over the surfaces (all, or
 * those named: a full name such as http-target:ws-upgrade or a family such as http-target) with a
 * fresh seed per batch until the minutes (default 2) are spent; `--seed S` with `--minutes` makes
 * the seeds S, S+1, ... so the campaign can be rerun. `--seed S` alone runs one round with that
 * seed (a batch replayed exactly); `--seed S --path P --surface NAME` replays one counterexample.
 * Prints progress and each failure with its replay command; writes results/fuzz.json. Exit code 1
 * when anything failed, 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { writeJson } from '../lib/json.ts';
import { ROOT } from '../lib/paths.ts';
import { runCampaign } from './campaign.ts';
import { formatFailure } from './runner.ts';
import { selectSurfaces } from './surfaces.ts';

const USAGE = 'usage: npm run fuzz [-- --minutes 2] [--seed S] [--surface NAME ...] [--runs N] [--path P] [--out results/fuzz.json]';
/** A campaign can afford to shrink longer than CI. */
const SHRINK_MS = 30_000;

/** A number flag: digits (and for minutes a fraction), at least `min`. */
function numberArg(name: string, raw: string | undefined, min: number, fraction = false): number | undefined {
  if (raw === undefined) return undefined;
  const ok = (fraction ? /^\d+(\.\d+)?$/ : /^\d+$/).test(raw) && Number(raw) >= min && Number(raw) < 2 ** 31;
  if (!ok) throw new Error(`--${name} is ${JSON.stringify(raw)}: expected a ${fraction ? 'number' : 'whole number'} >= ${min}`);
  return Number(raw);
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      seed: { type: 'string' },
      surface: { type: 'string', multiple: true },
      runs: { type: 'string' },
      path: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const surfaces = selectSurfaces(values.surface ?? []);
  const seed = numberArg('seed', values.seed, 0);
  if (values.path !== undefined && (seed === undefined || surfaces.length !== 1))
    throw new Error('--path replays one counterexample: give --seed and one full --surface name');
  const minutes = numberArg('minutes', values.minutes, 0.05, true);
  if (values.path !== undefined && minutes !== undefined) throw new Error('--path replays one counterexample: leave out --minutes');
  return {
    surfaces,
    // A seed alone means one round (a replay); otherwise a timed campaign.
    minutes: minutes ?? (seed === undefined ? 2 : null),
    seed,
    path: values.path,
    runs: numberArg('runs', values.runs, 1),
    out: values.out ?? `${ROOT}results/fuzz.json`,
  };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`lab: LAB_BAD_OPTION: ${(error as Error).message.replace(/^lab: /, '')}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  let stopping = false;
  process.on('SIGINT', () => {
    stopping = true; // the batch under way is dropped, the servers are stopped, and the results so far are written
    process.stdout.write('fuzz: stopping\n');
  });
  const from = options.seed === undefined ? 'random seeds' : `seeds from ${options.seed}`;
  const mode =
    options.path !== undefined
      ? `replaying seed ${options.seed} path ${options.path}`
      : options.minutes === null
        ? `one round, seed ${options.seed}`
        : `${options.minutes} min, ${from}`;
  process.stdout.write(`fuzz: ${options.surfaces.length} surface(s), ${mode}, live servers on 127.0.0.1\n`);
  const width = Math.max(...options.surfaces.map((s) => s.name.length));
  const results = await runCampaign({
    ...options,
    shrinkMs: SHRINK_MS,
    stopped: () => stopping,
    onBatch(surface, batch, totals) {
      const seconds = (totals.elapsedMs / 1000).toFixed(1).padStart(6);
      const verdict = batch.failures.length === 0 ? 'ok' : `FAILED (${batch.failures.length})`;
      const counts = `seed ${String(batch.seed).padStart(10)}  runs ${String(batch.runs).padStart(4)}  inputs so far ${totals.inputs}`;
      process.stdout.write(`[${seconds} s] ${surface.name.padEnd(width)}  ${counts}  ${verdict}\n`);
      for (const failure of batch.failures) process.stdout.write(`${formatFailure(surface.name, failure)}\n`);
    },
  });
  await writeJson(options.out, results);
  const failures = results.surfaces.reduce((sum, s) => sum + s.failures.length, 0);
  const failing = results.surfaces.filter((s) => s.failures.length > 0).map((s) => s.name);
  const where = failing.length > 0 ? ` in ${failing.join(', ')}` : '';
  process.stdout.write(`fuzz: ${results.totalInputs} inputs, ${results.crashes} server crash(es), ${failures} failure(s)${where}\n`);
  process.stdout.write(`fuzz: wrote ${options.out}\n`);
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
