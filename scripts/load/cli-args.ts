/**
 * The load runner's command line, parsed and validated (a LabError with a hint on bad input), apart
 * from cli.ts so tests can parse arguments without starting a run.
 */
import { parseArgs } from 'node:util';
import { LabError } from '../../servers/errors.ts';
import { PROXY_PROFILES, type ProxyProfile } from '../../servers/proxy/profiles.ts';
import { TRANSPORT_NAMES, type Transport } from '../../servers/transports.ts';
import { type ClusterLoadOptions, resolveClusterOptions, resolveLoadOptions, type LoadOptions, type Profile } from './options.ts';

export const USAGE = [
  `usage: npm run load [-- --full | --quick | --tiny] [--tls | --proxy ${PROXY_PROFILES.join('|')} | --nodes N]`,
  `  [--transports ${TRANSPORT_NAMES.join(',')}]`,
  '  [--clients 100,1000] [--rate 1] [--duration 4] [--max-duration 10] [--warmup 1] [--settle 3] [--repeats 3]',
  '  [--payload 64,1024,16384|none] [--payload-clients N] [--payload-rate 5]',
  '  [--ramp-clients N|none] [--ramp-start R] [--ramp-steps K] [--ramp-refine K] [--ramp-duration S]',
  '  [--latency-limit MS] [--cpu-min-deliveries D] [--upstream-connections C|none]',
  '  [--upstream-duration S] [--workers W] [--poll-quotes Q] [--probe-share F]',
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

/** With --nodes, the options of a scale-out run (isClusterRun tells them apart). */
export function parseLoadArgs(argv: string[]): { options: LoadOptions | ClusterLoadOptions; profile: Profile } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      full: { type: 'boolean' },
      quick: { type: 'boolean' },
      tiny: { type: 'boolean' },
      tls: { type: 'boolean' },
      proxy: { type: 'string' },
      nodes: { type: 'string' },
      transports: { type: 'string' },
      clients: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      settle: { type: 'string' },
      'max-duration': { type: 'string' },
      'payload-rate': { type: 'string' },
      repeats: { type: 'string' },
      'cpu-min-deliveries': { type: 'string' },
      'ramp-refine': { type: 'string' },
      'ramp-duration': { type: 'string' },
      payload: { type: 'string' },
      'payload-clients': { type: 'string' },
      'ramp-clients': { type: 'string' },
      'ramp-start': { type: 'string' },
      'ramp-steps': { type: 'string' },
      'latency-limit': { type: 'string' },
      'upstream-connections': { type: 'string' },
      'upstream-duration': { type: 'string' },
      workers: { type: 'string' },
      'poll-quotes': { type: 'string' },
      'probe-share': { type: 'string' },
      'clients-per-address': { type: 'string' },
      out: { type: 'string' },
      claims: { type: 'string' },
    },
  });
  if (positionals.length > 0)
    throw new LabError('LAB_BAD_OPTION', `unexpected argument ${JSON.stringify(positionals[0])}`, 'options start with --');
  if ([values.full, values.quick, values.tiny].filter(Boolean).length > 1)
    throw new LabError('LAB_BAD_OPTION', 'more than one of --full, --quick, --tiny', 'pick one profile (--full is the default)');
  const profile: Profile = values.quick ? 'quick' : values.tiny ? 'tiny' : 'full';
  const input: Partial<LoadOptions> = {
    tls: values.tls,
    proxy: values.proxy as ProxyProfile | undefined,
    transports: values.transports?.split(',').map((t) => t.trim() as Transport),
    clients: list('clients', values.clients),
    rate: number('rate', values.rate),
    duration: number('duration', values.duration),
    warmup: number('warmup', values.warmup),
    settleS: number('settle', values.settle),
    maxDuration: number('max-duration', values['max-duration']),
    payloadRate: number('payload-rate', values['payload-rate']),
    repeats: number('repeats', values.repeats),
    cpuMinDeliveries: number('cpu-min-deliveries', values['cpu-min-deliveries']),
    payload: list('payload', values.payload),
    payloadClients: number('payload-clients', values['payload-clients']),
    rampClients: orNone(values['ramp-clients'], (raw) => number('ramp-clients', raw)!),
    rampStart: number('ramp-start', values['ramp-start']),
    rampSteps: number('ramp-steps', values['ramp-steps']),
    rampRefine: number('ramp-refine', values['ramp-refine']),
    rampDuration: number('ramp-duration', values['ramp-duration']),
    latencyLimitMs: number('latency-limit', values['latency-limit']),
    upstreamConnections: orNone(values['upstream-connections'], (raw) => number('upstream-connections', raw)!),
    upstreamDuration: number('upstream-duration', values['upstream-duration']),
    workers: number('workers', values.workers),
    pollQuotes: number('poll-quotes', values['poll-quotes']),
    probeShare: number('probe-share', values['probe-share']),
    clientsPerAddress: number('clients-per-address', values['clients-per-address']),
    out: orNone(values.out, (raw) => raw),
    claims: orNone(values.claims, (raw) => raw),
  };
  for (const key of Object.keys(input) as (keyof LoadOptions)[]) if (input[key] === undefined) delete input[key];
  const nodes = number('nodes', values.nodes);
  if (nodes !== undefined) return { options: resolveClusterOptions(input, profile, nodes), profile };
  return { options: resolveLoadOptions(input, profile), profile };
}
