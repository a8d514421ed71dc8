/**
 * npm run --silent cluster -- <sse|ws|socketio> --nodes N [--balance round-robin|sticky] [--seed 42] [--rate 10]
 *   [--padding 0] [--tls]
 *
 * Starts one Redis, one publisher, N nodes of the transport and nginx balancing across them (cluster.ts), and prints
 * one JSON line once all are ready:
 * {"transport","url","stats","pid","balance","nodes":[{"pid","url","stats"}],"redis":{"pid","port"},"proxy":{"pid"}}
 * (plus "spki" with --tls: nginx serves TLS and HTTP/2 with the lab's certificate). `url` is nginx's; `stats` is the
 * cluster's own /stats (every node's snapshot and state). A node that dies is reported on stderr and in /stats; the
 * others go on. SIGTERM/SIGINT stop everything within 3 s, exit code 0. Bad arguments: a `lab:` line, exit code 2.
 */
import { parseArgs } from 'node:util';
import { LabError } from '../errors.ts';
import { numberFlag, resolveOptions } from '../options.ts';
import { findNginx, nginxMissing } from '../proxy/nginx.ts';
import { BALANCES, type Balance, proxiable } from '../proxy/profiles.ts';
import { isTransport, TRANSPORT_NAMES, type Transport } from '../transports.ts';
import { type ClusterOptions, type RunningCluster, startCluster } from './cluster.ts';
import { findRedis, redisMissing } from './redis.ts';

const CLUSTER_TRANSPORTS = TRANSPORT_NAMES.filter(proxiable);
const USAGE = [
  `usage: npm run --silent cluster -- <${CLUSTER_TRANSPORTS.join('|')}> --nodes N [--balance ${BALANCES.join('|')}]`,
  '  [--seed 42] [--rate 10] [--padding 0] [--tls]',
  '  --tls: nginx serves TLS and HTTP/2 (SSE over HTTP/2 in a browser); nodes speak HTTP/1.1 behind it',
].join('\n');
const MAX_NODES = 16;
/** The contract: everything stopped within 3 s of SIGTERM. */
const EXIT_DEADLINE_MS = 2900;

export function parseClusterArgs(argv: string[]): ClusterOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      balance: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      padding: { type: 'string' },
      tls: { type: 'boolean' },
    },
  });
  const transport = positionals[0] ?? '';
  if (positionals.length !== 1 || !isTransport(transport)) {
    throw new LabError(
      'LAB_BAD_OPTION',
      `transport is ${JSON.stringify(positionals.join(' '))}`,
      `one of ${CLUSTER_TRANSPORTS.join(', ')}`,
    );
  }
  if (!proxiable(transport)) {
    const hint =
      transport === 'sse-h2'
        ? 'run `cluster sse --tls`: nginx speaks HTTP/2 to browsers, HTTP/1.1 to the nodes'
        : 'nginx balances HTTP only';
    throw new LabError('LAB_BAD_OPTION', `cluster of ${transport}`, hint);
  }
  const nodes = numberFlag('nodes', values.nodes);
  if (nodes === undefined || !(Number.isInteger(nodes) && nodes >= 1 && nodes <= MAX_NODES))
    throw new LabError('LAB_BAD_OPTION', `--nodes is ${values.nodes ?? 'missing'}`, `a whole number 1..${MAX_NODES}`);
  const balance = values.balance ?? 'round-robin';
  if (!(BALANCES as readonly string[]).includes(balance))
    throw new LabError('LAB_BAD_OPTION', `--balance is ${JSON.stringify(balance)}`, `one of ${BALANCES.join(', ')}`);
  const feed: Partial<Pick<ClusterOptions, 'seed' | 'rate' | 'padding'>> = {};
  for (const name of ['seed', 'rate', 'padding'] as const) {
    const value = numberFlag(name, values[name]);
    if (value !== undefined) feed[name] = value;
  }
  // The publisher's feed takes the servers' ranges (the nodes never see these flags): a bad value is refused here.
  resolveOptions(feed);
  return {
    transport: transport as Transport,
    nodes,
    balance: balance as Balance,
    tls: values.tls ?? false,
    ...feed,
  } as ClusterOptions;
}

async function main(): Promise<void> {
  let options: ClusterOptions;
  try {
    options = parseClusterArgs(process.argv.slice(2));
    if (!findNginx()) throw nginxMissing();
    if (!findRedis()) throw redisMissing();
  } catch (error) {
    const bad = error instanceof LabError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!bad) throw error;
    const missing = ['LAB_NO_NGINX', 'LAB_NO_REDIS'].includes((error as LabError).code);
    process.stderr.write(
      `${error instanceof LabError ? error.message : `lab: LAB_BAD_OPTION: ${(error as Error).message}`}\n${missing ? '' : `${USAGE}\n`}`,
    );
    process.exitCode = 2;
    return;
  }
  let cluster: RunningCluster | undefined;
  let closing = false;
  const shutdown = (exitCode = 0) => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      process.stderr.write(`lab: cluster still stopping ${EXIT_DEADLINE_MS} ms after the signal; exiting\n`);
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
    (cluster?.close() ?? Promise.resolve()).then(() => (process.exitCode = exitCode));
  };
  process.on('SIGTERM', () => shutdown());
  process.on('SIGINT', () => shutdown());

  cluster = await startCluster({
    ...options,
    onNodeExit: (node) => {
      if (closing) return; // Ctrl-C reaches the nodes too (one process group): not a death to report
      const how = node.exit?.signal ? `signal ${node.exit.signal}` : `code ${node.exit?.code}`;
      process.stderr.write(`lab: node ${node.index} (pid ${node.pid}) exited with ${how}; nginx sends its clients to the others\n`);
    },
  });
  if (closing) {
    await cluster.close(); // signalled while starting: stop what started, print no ready line
    return;
  }
  process.stdout.write(`${JSON.stringify(cluster.readyLine())}\n`);
  cluster.proxy.exited.then((exit) => {
    if (exit.expected) return;
    process.stderr.write(
      `lab: nginx (pid ${cluster.proxy.pid}) exited; stopping the cluster${exit.errorLog ? `\n${exit.errorLog}` : ''}\n`,
    );
    shutdown(1);
  });
}

await main();
