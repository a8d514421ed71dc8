/**
 * npm run load [-- --quick | --tiny] [--tls] [--transports sse,ws,socketio,tcp,sse-h2] [--clients 100,1000]
 *   [--rate 1] [--duration 10] [--warmup 2] [--settle 15] [--payload 64,1024,16384|none] [--payload-clients N]
 *   [--ramp-clients N|none] [--ramp-start R] [--ramp-steps K] [--latency-limit MS]
 *   [--upstream-connections C|none] [--upstream-duration S] [--workers W]
 *   [--clients-per-address K] [--out PATH|none] [--claims PATH|none]
 *
 * A thin shell over runLoad (run.ts): parse, validate (a `lab:` line and exit code 2 on bad
 * input), show a progress bar per step, print the summary tables, write results/load.json and
 * the `ws-heavier-than-sse` claim (with --tls: every transport over TLS, results/load-tls.json and
 * no claim). Ctrl-C stops every child process and keeps the steps so far.
 */
import { parseArgs } from 'node:util';
import { LabError } from '../../servers/errors.ts';
import { TRANSPORT_NAMES, type Transport } from '../../servers/transports.ts';
import { resolveLoadOptions, type LoadOptions, type Profile } from './options.ts';
import { ProgressBar, stepOutcome, summaryTable } from './print.ts';
import { runLoad } from './run.ts';

const USAGE = [
  `usage: npm run load [-- --quick | --tiny] [--tls] [--transports ${TRANSPORT_NAMES.join(',')}] [--clients 100,1000] [--rate 1]`,
  '  [--duration 10] [--warmup 2] [--settle 15] [--payload 64,1024,16384|none] [--payload-clients N] [--ramp-clients N|none]',
  '  [--ramp-start R] [--ramp-steps K] [--latency-limit MS] [--upstream-connections C|none] [--upstream-duration S] [--workers W]',
  '  [--clients-per-address K] [--out PATH|none] [--claims PATH|none]',
].join('\n');

function number(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `--${name} is ${JSON.stringify(raw)}`, 'expected a number');
  return Number(raw);
}

function list(name: string, raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'none') return [];
  return raw.split(',').map((part) => number(name, part.trim())!);
}

function orNone<T>(raw: string | undefined, parse: (raw: string) => T): T | null | undefined {
  if (raw === undefined) return undefined;
  return raw === 'none' ? null : parse(raw);
}

export function parseLoadArgs(argv: string[]): { options: LoadOptions; profile: Profile } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      tiny: { type: 'boolean' },
      tls: { type: 'boolean' },
      transports: { type: 'string' },
      clients: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      settle: { type: 'string' },
      payload: { type: 'string' },
      'payload-clients': { type: 'string' },
      'ramp-clients': { type: 'string' },
      'ramp-start': { type: 'string' },
      'ramp-steps': { type: 'string' },
      'latency-limit': { type: 'string' },
      'upstream-connections': { type: 'string' },
      'upstream-duration': { type: 'string' },
      workers: { type: 'string' },
      'clients-per-address': { type: 'string' },
      out: { type: 'string' },
      claims: { type: 'string' },
    },
  });
  if (positionals.length > 0)
    throw new LabError('LAB_BAD_OPTION', `unexpected argument ${JSON.stringify(positionals[0])}`, 'options start with --');
  if (values.quick && values.tiny) throw new LabError('LAB_BAD_OPTION', '--quick and --tiny together', 'pick one profile');
  const profile: Profile = values.quick ? 'quick' : values.tiny ? 'tiny' : 'full';
  const input: Partial<LoadOptions> = {
    tls: values.tls,
    transports: values.transports?.split(',').map((t) => t.trim() as Transport),
    clients: list('clients', values.clients),
    rate: number('rate', values.rate),
    duration: number('duration', values.duration),
    warmup: number('warmup', values.warmup),
    settleS: number('settle', values.settle),
    payload: list('payload', values.payload),
    payloadClients: number('payload-clients', values['payload-clients']),
    rampClients: orNone(values['ramp-clients'], (raw) => number('ramp-clients', raw)!),
    rampStart: number('ramp-start', values['ramp-start']),
    rampSteps: number('ramp-steps', values['ramp-steps']),
    latencyLimitMs: number('latency-limit', values['latency-limit']),
    upstreamConnections: orNone(values['upstream-connections'], (raw) => number('upstream-connections', raw)!),
    upstreamDuration: number('upstream-duration', values['upstream-duration']),
    workers: number('workers', values.workers),
    clientsPerAddress: number('clients-per-address', values['clients-per-address']),
    out: orNone(values.out, (raw) => raw),
    claims: orNone(values.claims, (raw) => raw),
  };
  for (const key of Object.keys(input) as (keyof LoadOptions)[]) if (input[key] === undefined) delete input[key];
  return { options: resolveLoadOptions(input, profile), profile };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseLoadArgs>;
  try {
    parsed = parseLoadArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof LabError ? error.message : `lab: LAB_BAD_OPTION: ${(error as Error).message}`}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) process.stderr.write('\nlab: stopping: closing clients, workers and servers ...\n');
    controller.abort();
  };
  // SIGTERM and SIGHUP (a CI runner or a closed terminal) stop the run the same way: servers and workers are closed.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const name of signals) process.on(name, onSigint);
  const bar = new ProgressBar();
  try {
    const results = await runLoad(parsed.options, {
      signal: controller.signal,
      profile: parsed.profile,
      onProgress: (label, progress) => bar.update(label, progress),
      onResult: (label, result) =>
        bar.done(
          label,
          'delivery' in result
            ? stepOutcome(result)
            : `${result.status}: ${result.requestsPerSecond ?? '-'} req/s, p99 ${result.latencyMs.p99 ?? '-'} ms`,
        ),
    });
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
