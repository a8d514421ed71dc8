/**
 * npm run --silent server -- <transport> [--port 0] [--host 127.0.0.1] [--tls]
 *   [--seed 42] [--rate 10] [--padding 0] [--allow-origin URL ...] [--max-connections N]
 *   [--heartbeat MS|off] [--retry MS|off] [--express-stream] [--no-accel-buffering] [--stats-gc]
 *   [--proxy stock|tuned|gzip|h2 [--proxy-read-timeout S]] [--redis PORT]
 *
 * <transport> is a name from the registry (servers/transports.ts). Starts one transport alone in
 * this process and prints exactly one JSON line on stdout once listening:
 * {"transport","url","stats","pid"}, plus "spki" when it serves TLS: with --tls, and always for a
 * transport whose registry entry says `tls: 'required'` (sse-h2: browsers speak HTTP/2 only over
 * TLS). SIGTERM/SIGINT close it gracefully, exit code 0. Bad arguments: a `lab:` line on stderr,
 * exit code 2.
 *
 * --proxy puts a real nginx in front (servers/proxy/): `url` and `stats` then point at nginx and the
 * line gains "proxy": {"kind","profile","pid","upstream"}. SIGTERM stops both; an nginx that dies on
 * its own is reported on stderr and the server closes, exit code 1. No nginx: exit code 2 and the
 * command that installs it.
 *
 * --redis makes it a cluster node (npm run cluster starts them): its quotes come from the shared
 * stream in the lab's Redis on 127.0.0.1:PORT, written by the cluster's publisher, which owns the seed,
 * rate and padding.
 */
import { parseArgs } from 'node:util';
import { isTransport, spec, startServer, TRANSPORT_NAMES, type Transport } from './transports.ts';
import { LabError } from './errors.ts';
import type { RunningServer } from './listen.ts';
import { numberFlag, SERVER_DEFAULTS, type ServerOptions } from './options.ts';
import { findNginx, nginxMissing, type RunningProxy, startProxy } from './proxy/nginx.ts';
import { StreamFeed } from './cluster/quote-stream.ts';
import { isProxyProfile, PROXY_PROFILES, type ProxyOptions, proxiable, whyNotProxiable } from './proxy/profiles.ts';

const TLS_ALWAYS = TRANSPORT_NAMES.filter((t) => spec(t).tls === 'required');
const USAGE = [
  `usage: npm run --silent server -- <${TRANSPORT_NAMES.join('|')}> [--port 0] [--host 127.0.0.1] [--tls] [--seed 42] [--rate 10]`,
  '  [--padding 0] [--allow-origin URL ...] [--max-connections N] [--heartbeat MS|off] [--retry MS|off] [--express-stream]',
  `  [--no-accel-buffering] [--stats-gc] [--proxy ${PROXY_PROFILES.join('|')} [--proxy-read-timeout S]] [--redis PORT]`,
  `  ${TLS_ALWAYS.join(', ')}: TLS with or without --tls (HTTP/2 in browsers is TLS only)`,
].join('\n');

/** The contract's promise: exit within 2 s of SIGTERM. close() takes about 1 s; past this, something hung. */
const EXIT_DEADLINE_MS = 1900;

/** --heartbeat / --retry take milliseconds or `off` (null: no heartbeat, no retry line). */
function msOrOff(name: string, raw: string | undefined): number | null | undefined {
  return raw === 'off' ? null : numberFlag(name, raw);
}

export interface ServerArgs {
  transport: Transport;
  options: Partial<ServerOptions>;
  /** --proxy: nginx in front, with this profile. */
  proxy?: ProxyOptions;
}

export function parseServerArgs(argv: string[]): ServerArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      tls: { type: 'boolean' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      padding: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'max-connections': { type: 'string' },
      heartbeat: { type: 'string' },
      retry: { type: 'string' },
      'express-stream': { type: 'boolean' },
      'no-accel-buffering': { type: 'boolean' },
      'stats-gc': { type: 'boolean' },
      proxy: { type: 'string' },
      'proxy-read-timeout': { type: 'string' },
      redis: { type: 'string' },
    },
  });
  const transport = positionals[0] ?? '';
  if (positionals.length !== 1 || !isTransport(transport)) {
    throw new LabError('LAB_BAD_OPTION', `transport is ${JSON.stringify(positionals.join(' '))}`, `one of ${TRANSPORT_NAMES.join(', ')}`);
  }
  const { browserApi, http } = spec(transport);
  if (values['express-stream'] && !(browserApi === 'EventSource' && http === '1.1')) {
    throw new LabError('LAB_BAD_OPTION', `--express-stream with ${transport}`, 'only SSE over HTTP/1.1 runs on express');
  }
  if (values['no-accel-buffering'] && browserApi !== 'EventSource') {
    throw new LabError('LAB_BAD_OPTION', `--no-accel-buffering with ${transport}`, 'X-Accel-Buffering is an SSE response header');
  }
  const proxy = parseProxy(transport, values.proxy, values['proxy-read-timeout']);
  const redisPort = numberFlag('redis', values.redis);
  if (redisPort !== undefined) {
    if (!(Number.isInteger(redisPort) && redisPort >= 1 && redisPort <= 65535))
      throw new LabError('LAB_BAD_OPTION', `--redis is ${values.redis}`, 'the port of the lab Redis on 127.0.0.1');
    if (!proxiable(transport)) throw new LabError('LAB_BAD_OPTION', `--redis with ${transport}`, 'cluster nodes sit behind nginx');
    const publisherOwns = (['seed', 'rate', 'padding'] as const).find((name) => values[name] !== undefined);
    if (publisherOwns) throw new LabError('LAB_BAD_OPTION', `--${publisherOwns} with --redis`, "the cluster's publisher sets it");
  }
  const options: Partial<ServerOptions> = {
    port: numberFlag('port', values.port),
    host: values.host,
    // A transport whose registry entry requires TLS (sse-h2) turns it on itself, whatever this says.
    tls: values.tls,
    seed: numberFlag('seed', values.seed),
    rate: numberFlag('rate', values.rate),
    padding: numberFlag('padding', values.padding),
    maxConnections: numberFlag('max-connections', values['max-connections']),
    heartbeatMs: msOrOff('heartbeat', values.heartbeat),
    retryMs: msOrOff('retry', values.retry),
    expressStream: values['express-stream'],
    accelBufferingHeader: values['no-accel-buffering'] ? false : undefined,
    statsGc: values['stats-gc'],
    redis: redisPort === undefined ? undefined : `redis://127.0.0.1:${redisPort}`,
  };
  // --allow-origin adds to the defaults (the demo page's origin) rather than replacing them.
  if (values['allow-origin']) options.allowOrigins = [...SERVER_DEFAULTS.allowOrigins, ...values['allow-origin']];
  for (const key of Object.keys(options) as (keyof ServerOptions)[]) if (options[key] === undefined) delete options[key];
  return { transport, options, ...(proxy ? { proxy } : {}) };
}

function parseProxy(transport: Transport, profile: string | undefined, readTimeout: string | undefined): ProxyOptions | undefined {
  if (profile === undefined) {
    if (readTimeout !== undefined) throw new LabError('LAB_BAD_OPTION', '--proxy-read-timeout without --proxy', 'add --proxy <profile>');
    return undefined;
  }
  if (!isProxyProfile(profile))
    throw new LabError('LAB_BAD_OPTION', `--proxy is ${JSON.stringify(profile)}`, `one of ${PROXY_PROFILES.join(', ')}`);
  if (!proxiable(transport)) throw new LabError('LAB_BAD_OPTION', `--proxy with ${transport}`, whyNotProxiable(transport));
  const readTimeoutS = numberFlag('proxy-read-timeout', readTimeout);
  if (readTimeoutS !== undefined && !(Number.isInteger(readTimeoutS) && readTimeoutS >= 1 && readTimeoutS <= 86400)) {
    throw new LabError('LAB_BAD_OPTION', `--proxy-read-timeout is ${readTimeout}`, 'whole seconds, 1..86400');
  }
  return { profile, ...(readTimeoutS === undefined ? {} : { readTimeoutS }) };
}

/** A cluster node's feed: the shared stream, copied in before the node listens so a resume here finds its quotes. */
async function nodeFeed(url: string): Promise<StreamFeed> {
  const feed = new StreamFeed(url, {}, (from, to) =>
    process.stderr.write(`lab: this node fell behind the shared stream: quotes ${from}..${to} were trimmed before it read them\n`),
  );
  await feed.open();
  return feed;
}

async function main(): Promise<void> {
  let server: RunningServer;
  let parsed: ServerArgs;
  let feed: StreamFeed | undefined;
  try {
    parsed = parseServerArgs(process.argv.slice(2));
    if (parsed.proxy && !findNginx()) throw nginxMissing();
    feed = parsed.options.redis === undefined ? undefined : await nodeFeed(parsed.options.redis);
    server = await startServer(parsed.transport, { ...parsed.options, ...(feed ? { feed } : {}) });
    feed?.start();
  } catch (error) {
    // Bad input (ours or node:util's parser): a lab: line and exit 2. Anything else (port in use...) is a crash.
    const bad = error instanceof LabError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!bad) throw error;
    const usage = (error as LabError).code === 'LAB_NO_NGINX' ? '' : `${USAGE}\n`;
    process.stderr.write(`${error instanceof LabError ? error.message : `lab: LAB_BAD_OPTION: ${(error as Error).message}`}\n${usage}`);
    process.exitCode = 2;
    return;
  }
  // nginx starts after the server; a signal from here on stops whatever is up, even while nginx is still starting.
  const starting = parsed.proxy ? startProxy(server, parsed.proxy) : undefined;
  let closing = false;
  const shutdown = (exitCode = 0) => {
    if (closing) return;
    closing = true;
    // close() destroys leftovers after 1 s. Should anything still hold the process, the deadline ends it, and says so.
    setTimeout(() => {
      process.stderr.write(`lab: ${server.transport} server still open ${EXIT_DEADLINE_MS} ms after the signal; exiting\n`);
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
    const proxyClosed = starting?.then(
      (proxy) => proxy.close(),
      () => undefined, // it did not start: reported below
    );
    Promise.all([server.close().then(() => feed?.close()), proxyClosed]).then(
      () => (process.exitCode = exitCode),
      (error: Error) => {
        process.stderr.write(`lab: close failed: ${error.message}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', () => shutdown());
  process.on('SIGINT', () => shutdown());

  let proxy: RunningProxy | undefined;
  try {
    proxy = await starting;
  } catch (error) {
    process.stderr.write(`lab: nginx did not start: ${(error as Error).message}\n`);
    shutdown(1);
    return;
  }
  if (closing) return; // signalled while nginx started: no ready line for a server that is stopping
  const front = proxy ?? server;
  const ready: Record<string, unknown> = { transport: server.transport, url: front.url, stats: front.statsUrl, pid: process.pid };
  // Behind nginx the browser meets nginx's certificate (h2 profile) or none; the server's own is not the one to trust.
  const spki = proxy ? proxy.spki : server.spki;
  if (spki) ready.spki = spki;
  if (proxy) ready.proxy = { kind: proxy.kind, profile: proxy.profile, pid: proxy.pid, upstream: proxy.upstream };
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  // The url printed is nginx's: if nginx dies, this server is unreachable as promised, so it says so and stops.
  proxy?.exited.then((exit) => {
    if (exit.expected) return;
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    process.stderr.write(
      `lab: nginx (pid ${proxy.pid}) exited with ${how}; stopping the server${exit.errorLog ? `\n${exit.errorLog}` : ''}\n`,
    );
    shutdown(1);
  });
}

await main();
