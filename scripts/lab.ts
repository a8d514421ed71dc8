/**
 * npm run lab [-- --full] [--reference] [--engine chromium|firefox|all]
 *
 * The whole lab in one go: browser scenarios (nginx's and the cluster's among them) in Chromium and Firefox (--engine
 * picks one), four cases at a time, the load sweep (quick by default, --full for 100 .. 10k clients), a TLS pass, a pass through nginx at
 * 1,000 clients and one on a cluster of 1 and 2 nodes on Redis, the wire capture (Chromium), the attack suite and a
 * short fuzzing campaign, then the report. Each stage runs as its own process with its own progress output; a failed
 * stage is reported and the rest still run, so the report shows whatever was measured. A browser the run needs that
 * is neither found nor installable stops the lab before it starts, with the command that installs it: a run without
 * it would only record its cases as not run. --reference also copies the results into results/reference/ and writes
 * the verdict table and charts into the README.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ENGINE_NAME, ENGINES, type Engine, findBrowser, installHint } from './lib/browser.ts';
import { ROOT } from './lib/paths.ts';
import { ensurePrograms } from './lib/system-packages.ts';
import { publishReference } from './reference.ts';

interface Stage {
  name: string;
  args: string[];
}

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    reference: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'all' },
  },
});
if (values.engine !== 'all' && !(ENGINES as readonly string[]).includes(values.engine)) {
  console.error(`lab: --engine takes chromium, firefox or all (got ${JSON.stringify(values.engine)})`);
  process.exit(2);
}
/** The scenarios' engines, and Chromium for the wire capture (its TLS key log is a Chromium flag). */
const engines: Engine[] = values.engine === 'all' ? [...ENGINES] : [values.engine as Engine];
const needed = ENGINES.filter((e) => e === 'chromium' || engines.includes(e));

const quick = values.full ? [] : ['--quick'];
const TLS_PASS = ['--clients', '1000', '--payload', 'none', '--ramp-clients', 'none', '--upstream-connections', 'none'];
const stages: Stage[] = [
  { name: 'scenarios', args: ['scenarios/cli.ts', '--engine', values.engine, ...(values.full ? ['--full'] : [])] },
  { name: values.full ? 'load (full sweep)' : 'load (quick)', args: ['scripts/load/cli.ts', ...quick] },
  // Every transport again over TLS at 1,000 clients, beside the plain run: what TLS costs per connection and per delivery.
  { name: 'load over TLS (1,000 clients)', args: ['scripts/load/cli.ts', ...quick, '--tls', ...TLS_PASS] },
  // The same 1,000 clients through a real nginx (the tuned profile), each step beside its direct twin: what the proxy adds.
  { name: 'load through nginx (tuned, 1,000 clients)', args: ['scripts/load/cli.ts', ...quick, '--proxy', 'tuned', '--clients', '1000'] },
  // Scaled out: one server against a cluster of 1 and of 2 nodes on Redis, every step through nginx: what the bus costs a delivery.
  {
    name: values.full ? 'load scaled out (1 and 2 nodes, 1,000 clients)' : 'load scaled out (quick)',
    args: ['scripts/load/cli.ts', ...quick, '--nodes', '2'],
  },
  { name: 'wire', args: ['scripts/wire/cli.ts'] },
  { name: 'abuse (attacks on real servers)', args: ['scripts/abuse/cli.ts'] },
  { name: values.full ? 'fuzz (3 min)' : 'fuzz (1 min)', args: ['scripts/fuzz/cli.ts', '--minutes', values.full ? '3' : '1'] },
  { name: 'report', args: ['scripts/report/cli.ts', '--png'] },
];

/** Set by Ctrl-C (or SIGTERM): the running stage gets the signal and cleans up, and no later stage starts. */
let interrupted = false;

function run(stage: Stage): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...stage.args], { cwd: ROOT, stdio: 'inherit' });
    // Ctrl-C already reaches the stage (the terminal signals its whole process group): passing it on would be a second
    // Ctrl-C, which ends a stage at once, before it closes its browsers and servers. SIGTERM is passed on.
    const stop = () => {
      interrupted = true;
    };
    const forward = (signal: NodeJS.Signals) => {
      stop();
      child.kill(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', forward);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', forward);
      resolve(signal ? null : code);
    });
  });
}

// Chromium, Firefox, nginx, redis-server and tshark: found, installed (Debian, as root) or named here; the stages that need one say so too.
const missing = ensurePrograms();
const absent = needed.filter((e) => findBrowser(e) === undefined);
if (absent.length > 0) {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  console.log(
    `lab: no ${absent.map((e) => ENGINE_NAME[e]).join(' and no ')} found, which this run needs; nothing was run. ` +
      `Install with: ${absent.map((e) => `${sudo}${installHint(e)}`).join('; ')}`,
  );
  process.exit(1);
}
for (const line of missing) console.log(line);

const started = Date.now();
const failed: string[] = [];
for (const [i, stage] of stages.entries()) {
  console.log(`\n=== lab ${i + 1}/${stages.length}: ${stage.name} ===`);
  const stageStart = Date.now();
  const code = await run(stage);
  const took = ((Date.now() - stageStart) / 1000).toFixed(0);
  if (interrupted) {
    console.log(`\n=== lab stopped during ${stage.name} (interrupted); no later stage ran, no report was written ===`);
    process.exit(130);
  }
  if (code === 0) console.log(`=== ${stage.name} done in ${took} s ===`);
  else {
    failed.push(stage.name);
    console.log(`=== ${stage.name} FAILED (exit ${code ?? 'signal'}) after ${took} s; going on ===`);
  }
}
if (values.reference && failed.length === 0) await publishReference();
const minutes = ((Date.now() - started) / 60000).toFixed(1);
console.log(`\nlab finished in ${minutes} min${failed.length ? `; failed stages: ${failed.join(', ')}` : ''}`);
for (const line of missing) console.log(line);
// A report path only for a report this run wrote: not an older one left from an earlier run.
const report = `${ROOT}results/report.html`;
const writtenAt = (() => {
  try {
    return statSync(report).mtimeMs;
  } catch {
    return 0;
  }
})();
if (failed.includes('report')) console.log('no report: the report stage failed (see its output above)');
else if (writtenAt < started) console.log(`no report: the report stage did not write ${report}`);
else console.log(`report: ${report}`);
process.exitCode = failed.length ? 1 : 0;
