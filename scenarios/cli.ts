/**
 * npm run scenarios [-- <name> ...] [--full] [--engine chromium|firefox|all] [--parallel N]
 *
 * Runs the scenarios (all, or the named ones), each browser case in every engine asked for (default all: Chromium and
 * Firefox, one browser each), N cases at a time (--parallel, default 4: the cases mostly wait, and each has its own
 * servers and browser context; 1 runs them one by one, as the tests do), prints a line per scenario with its duration,
 * writes results/scenarios.json (merged: scenarios and engines not run keep their earlier records) and the verdicts it
 * can decide into results/claims.json.
 * An engine that is not installed is named with its install command and its browser cases are recorded as not-run.
 * Unknown names: a `lab:` error listing the valid ones, exit code 2. Ctrl-C stops after the
 * running cases, cleans up (servers, children, browsers) and writes nothing: a partial run must
 * not replace complete results. --full runs the cases that have a size (the cluster's rolling restart)
 * at full size; without it they run small, and their records say which.
 */
import { relative } from 'node:path';
import { CLAIMS_PATH } from '../scripts/lib/claims.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { SCENARIOS_PATH, runScenarios, writeScenarios, writeVerdicts, SCENARIOS } from './index.ts';
import { SCENARIO_NAMES, type ScenarioName } from './types.ts';
import { ENGINES, type Engine } from '../scripts/lib/browser.ts';

const USAGE =
  'usage: npm run scenarios [-- <name> ...] [--full] [--engine chromium|firefox|all] [--parallel N]\n' +
  `  names: ${SCENARIO_NAMES.join(', ')}`;

interface Parsed {
  names: ScenarioName[];
  engines: Engine[];
  full: boolean;
  parallel: number;
}

/** Cases at once by default: enough to overlap the long waits (a 75 s frozen page, heartbeats) on a 2-core machine. */
const PARALLEL = 4;

function parse(argv: string[]): Parsed | string {
  if (argv.includes('--help') || argv.includes('-h')) return USAGE;
  const engineAt = argv.indexOf('--engine');
  let engines = [...ENGINES];
  if (engineAt >= 0) {
    const value = argv[engineAt + 1];
    if (value !== 'all' && !(ENGINES as readonly string[]).includes(value ?? ''))
      return `lab: --engine takes chromium, firefox or all (got ${value === undefined ? 'nothing' : JSON.stringify(value)})`;
    if (value !== 'all') engines = [value as Engine];
  }
  const parallelAt = argv.indexOf('--parallel');
  const parallel = parallelAt < 0 ? PARALLEL : Number(argv[parallelAt + 1]);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
    return `lab: --parallel takes a whole number of cases at once, 1..16 (got ${JSON.stringify(argv[parallelAt + 1] ?? 'nothing')})`;
  // The flags and their values; what is left are names (and --full).
  const flagged = [engineAt, parallelAt].filter((i) => i >= 0).flatMap((i) => [i, i + 1]);
  const rest = argv.filter((_, i) => !flagged.includes(i));
  const unknown = rest.filter((name) => name !== '--full' && !(SCENARIO_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0)
    return `lab: unknown scenario ${unknown.map((n) => JSON.stringify(n)).join(', ')}; valid names: ${SCENARIO_NAMES.join(', ')}`;
  // Run in the registry's order, each once.
  const named = SCENARIO_NAMES.filter((name) => rest.includes(name));
  return { names: named.length === 0 ? [...SCENARIO_NAMES] : named, engines, full: rest.includes('--full'), parallel };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const parsed = parse(process.argv.slice(2));
  if (typeof parsed === 'string') {
    const help = parsed === USAGE;
    (help ? process.stdout : process.stderr).write(`${parsed}\n`);
    if (!help) process.exitCode = 2;
    return;
  }
  const { names, engines, full, parallel } = parsed;
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    process.stderr.write('\nlab: stopping after the running cases (Ctrl-C); results will not be written\n');
  });
  const started = Date.now();
  const cases = names.reduce((sum, name) => sum + SCENARIOS[name].cases.length, 0);
  process.stdout.write(
    `scenarios: ${names.join(', ')} (${cases} cases; browser cases in ${engines.join(' and ')}; ${parallel} at a time)\n`,
  );
  const run = await runScenarios(names, {
    full,
    engines,
    parallel,
    stopped: () => stopping,
    onStart: (browsers) => {
      for (const b of browsers)
        process.stdout.write(
          b.found ? `${b.engine} ${b.version} (${b.path})\n` : `lab: ${b.note}; its browser cases are recorded as not-run\n`,
        );
    },
    onScenario: (s) =>
      process.stdout.write(
        `  ${s.name.padEnd(17)} ${String(s.observed + s.notRun).padStart(3)} cases  ${String(s.observed).padStart(3)} observed  ` +
          `${String(s.notRun).padStart(3)} not-run  ${seconds(s.durationMs).padStart(7)}\n`,
      ),
  });
  if (stopping) {
    process.exitCode = 130;
    return;
  }
  const file = await writeScenarios(run);
  const verdicts = await writeVerdicts(file);
  const failed = run.records.filter((r) => r.reason?.startsWith('lab: case ')); // failed or timed out
  for (const record of failed) process.stderr.write(`lab: ${record.id}: ${record.reason}\n`);
  process.stdout.write(
    `wrote ${relative(ROOT, SCENARIOS_PATH)} (${file.records.length} records) ` +
      `and ${verdicts} verdicts to ${relative(ROOT, CLAIMS_PATH)} in ${seconds(Date.now() - started)}\n`,
  );
  if (failed.length > 0) process.exitCode = 1;
}

await main();
