/**
 * npm run --silent server -- <transport> [--port 0] [--host 127.0.0.1] [--tls]
 *   [--seed 42] [--rate 10] [--padding 0] [--allow-origin URL ...] [--max-connections N]
 *   [--heartbeat MS|off] [--retry MS|off] [--express-stream] [--stats-gc]
 *
 * <transport> is a name from the registry (servers/transports.ts). Starts one transport alone in
 * this process and prints exactly one JSON line on stdout once listening:
 * {"transport","url","stats","pid"}, plus "spki" when it serves TLS: with --tls, and always for a
 * transport whose registry entry says `tls: 'required'` (sse-h2: browsers speak HTTP/2 only over
 * TLS). SIGTERM/SIGINT close it gracefully, exit code 0. Bad arguments: a `lab:` line on stderr,
 * exit code 2.
 */
import { parseArgs } from 'node:util';
import { isTransport, spec, startServer, TRANSPORT_NAMES, type Transport } from './transports.ts';
import { LabError } from './errors.ts';
import type { RunningServer } from './listen.ts';
import { numberFlag, SERVER_DEFAULTS, type ServerOptions } from './options.ts';

const TLS_ALWAYS = TRANSPORT_NAMES.filter((t) => spec(t).tls === 'required');
const USAGE = [
  `usage: npm run --silent server -- <${TRANSPORT_NAMES.join('|')}> [--port 0] [--host 127.0.0.1] [--tls] [--seed 42] [--rate 10]`,
  '  [--padding 0] [--allow-origin URL ...] [--max-connections N] [--heartbeat MS|off] [--retry MS|off] [--express-stream] [--stats-gc]',
  `  ${TLS_ALWAYS.join(', ')}: TLS with or without --tls (HTTP/2 in browsers is TLS only)`,
].join('\n');

/** The contract's promise: exit within 2 s of SIGTERM. close() takes about 1 s; past this, something hung. */
const EXIT_DEADLINE_MS = 1900;

/** --heartbeat / --retry take milliseconds or `off` (null: no heartbeat, no retry line). */
function msOrOff(name: string, raw: string | undefined): number | null | undefined {
  return raw === 'off' ? null : numberFlag(name, raw);
}

export function parseServerArgs(argv: string[]): { transport: Transport; options: Partial<ServerOptions> } {
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
      'stats-gc': { type: 'boolean' },
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
    statsGc: values['stats-gc'],
  };
  // --allow-origin adds to the defaults (the demo page's origin) rather than replacing them.
  if (values['allow-origin']) options.allowOrigins = [...SERVER_DEFAULTS.allowOrigins, ...values['allow-origin']];
  for (const key of Object.keys(options) as (keyof ServerOptions)[]) if (options[key] === undefined) delete options[key];
  return { transport, options };
}

async function main(): Promise<void> {
  let server: RunningServer;
  try {
    const parsed = parseServerArgs(process.argv.slice(2));
    server = await startServer(parsed.transport, parsed.options);
  } catch (error) {
    // Bad input (ours or node:util's parser): a lab: line and exit 2. Anything else (port in use...) is a crash.
    const bad = error instanceof LabError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!bad) throw error;
    process.stderr.write(`${error instanceof LabError ? error.message : `lab: LAB_BAD_OPTION: ${(error as Error).message}`}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const ready: Record<string, unknown> = { transport: server.transport, url: server.url, stats: server.statsUrl, pid: process.pid };
  if (server.spki) ready.spki = server.spki;
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    // close() destroys leftovers after 1 s. Should anything still hold the process, the deadline ends it, and says so.
    setTimeout(() => {
      process.stderr.write(`lab: ${server.transport} server still open ${EXIT_DEADLINE_MS} ms after the signal; exiting\n`);
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
    server.close().then(
      () => (process.exitCode = 0),
      (error: Error) => {
        process.stderr.write(`lab: close failed: ${error.message}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

await main();
