/**
 * npm run load [-- --full | --quick | --tiny] [--tls | --proxy stock|tuned|gzip|h2 | --nodes N] [--transports sse,ws,socketio,tcp,sse-h2]
 *   [--clients 100,1000] [--rate 1] [--duration 4] [--max-duration 10] [--warmup 1] [--settle 3] [--repeats 3]
 *   [--payload 64,1024,16384|none] [--payload-clients N] [--payload-rate 5]
 *   [--ramp-clients N|none] [--ramp-start R] [--ramp-steps K] [--ramp-refine K] [--ramp-duration S]
 *   [--latency-limit MS] [--cpu-min-deliveries D]
 *   [--upstream-connections C|none] [--upstream-duration S] [--workers W] [--poll-quotes Q] [--probe-share F]
 *   [--clients-per-address K] [--out PATH|none] [--claims PATH|none]
 *
 * A thin shell over runLoad (run.ts): parse and validate (cli-args.ts; a `lab:` line and exit code 2 on
 * bad input), show a progress bar per step, print the summary tables, write results/load.json and
 * the `ws-heavier-than-sse` claim (with --tls: every transport over TLS, results/load-tls.json and
 * no claim; with --proxy: each step directly and through nginx, results/load-proxy.json and no claim; with --nodes:
 * one server behind nginx, a cluster of 1 node and one of N, results/load-cluster.json and no claim).
 * Ctrl-C stops every child process and keeps the steps so far. The runner itself moves onto the client side's cores
 * (pinning.ts), off the server's.
 */
import { LabError } from '../../servers/errors.ts';
import { findRedis, redisMissing } from '../../servers/cluster/redis.ts';
import { findNginx, nginxMissing } from '../../servers/proxy/nginx.ts';
import { parseLoadArgs, USAGE } from './cli-args.ts';
import { runClusterLoad } from './cluster-run.ts';
import { isClusterRun } from './options.ts';
import { planPinning, pinSelf } from './pinning.ts';
import { clusterSummary, ProgressBar, stepOutcome, summaryTable } from './print.ts';
import { type RunHooks, runLoad } from './run.ts';

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseLoadArgs>;
  try {
    parsed = parseLoadArgs(process.argv.slice(2));
    if (parsed.options.proxy && !findNginx()) throw nginxMissing();
    if (isClusterRun(parsed.options) && !findRedis()) throw redisMissing();
  } catch (error) {
    const usage = ['LAB_NO_NGINX', 'LAB_NO_REDIS'].includes((error as LabError).code) ? '' : `${USAGE}\n`;
    process.stderr.write(`${error instanceof LabError ? error.message : `lab: LAB_BAD_OPTION: ${(error as Error).message}`}\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const pinning = planPinning();
  const runnerPinned = pinSelf(pinning.generator);
  process.stdout.write(`cores: ${pinning.note}${pinning.generator && !runnerPinned ? ' (the runner itself could not be moved)' : ''}\n`);
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) process.stderr.write('\nlab: stopping: closing clients, workers and servers ...\n');
    controller.abort();
  };
  // SIGTERM and SIGHUP (a CI runner or a closed terminal) stop the run the same way: servers and workers are closed.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const name of signals) process.on(name, onSigint);
  const bar = new ProgressBar();
  const hooks: RunHooks = {
    signal: controller.signal,
    profile: parsed.profile,
    pinning,
    onProgress: (label, progress) => bar.update(label, progress),
    onResult: (label, result) =>
      bar.done(
        label,
        'delivery' in result
          ? stepOutcome(result)
          : `${result.status}: ${result.requestsPerSecond ?? '-'} req/s, p99 ${result.latencyMs.p99 ?? '-'} ms`,
      ),
  };
  try {
    if (isClusterRun(parsed.options)) {
      const results = await runClusterLoad(parsed.options, hooks);
      process.stdout.write(`\n${clusterSummary(results)}\n\n`);
      if (parsed.options.out) process.stdout.write(`wrote ${parsed.options.out}${results.aborted ? ' (aborted run: partial)' : ''}\n`);
      process.exitCode = results.aborted ? 130 : 0;
      return;
    }
    const results = await runLoad(parsed.options, hooks);
    process.stdout.write(`\n${summaryTable(results)}\n\n`);
    if (parsed.options.out) process.stdout.write(`wrote ${parsed.options.out}${results.aborted ? ' (aborted run: partial)' : ''}\n`);
    if (parsed.options.claims && !results.aborted) process.stdout.write(`filled ws-heavier-than-sse in ${parsed.options.claims}\n`);
    else if (!results.aborted)
      process.stdout.write(`claims left alone (ws-heavier-than-sse: ${results.claim.verdict}, kept in the results)\n`);
    process.exitCode = results.aborted ? 130 : 0;
  } finally {
    for (const name of signals) process.off(name, onSigint);
  }
}

await main();
