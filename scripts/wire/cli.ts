/**
 * `npm run wire -- [options]`: a thin shell over runWire(). Validates options eagerly, prints
 * progress to stderr and a short overhead summary to stdout; results go to results/wire.json.
 * Ctrl-C stops the run at the next step and still closes the browser, servers and relay.
 */
import { parseArgs } from 'node:util';
import { runWire, WIRE_DEFAULTS, type WireRunOptions } from './run.ts';
import { isWireTransport, WIRE_TRANSPORTS, type OverheadRow, type WireResults, type WireTransport } from './types.ts';

const HELP = `usage: npm run wire -- [options]

Drives one short session per transport in Chromium through a recording relay and writes the
decoded, annotated bytes to results/wire.json (transcripts and pcapng files in results/wire/).

  --transports LIST   comma-separated, from ${WIRE_TRANSPORTS.join(',')} (default: all)
  --out PATH          results file (default results/wire.json)
  --seed N            feed seed (default ${WIRE_DEFAULTS.seed})
  --padding N         filler bytes per quote (default ${WIRE_DEFAULTS.padding})
  --heartbeat MS      SSE comment / ws ping / engine.io pingInterval (default ${WIRE_DEFAULTS.heartbeatMs})
  --retry MS          SSE retry and socket.io reconnection delay (default ${WIRE_DEFAULTS.retryMs})
  --watch MS          how long to watch for a ws reconnect that does not come (default ${WIRE_DEFAULTS.reconnectWatchMs})
  --pcap auto|off     pcapng via tshark when installed (default auto); HTTP/2 over TLS is read only
                      from a decrypted tshark capture, so without tshark or with off it is not run
`;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        transports: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        padding: { type: 'string' },
        heartbeat: { type: 'string' },
        retry: { type: 'string' },
        watch: { type: 'string' },
        pcap: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new Error(`lab: ${(error as Error).message} (see npm run wire -- --help)`);
  }
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`lab: --${name} is ${JSON.stringify(raw)} (use a whole number ${min}..${max})`);
  return value;
}

function parseOptions(argv: string[]): Partial<WireRunOptions> | 'help' {
  const { values } = parse(argv);
  if (values.help) return 'help';
  const transports = (values.transports?.split(',').map((t) => t.trim()) ?? WIRE_DEFAULTS.transports) as WireTransport[];
  for (const t of transports)
    if (!isWireTransport(t)) throw new Error(`lab: --transports has ${JSON.stringify(t)} (use ${WIRE_TRANSPORTS.join(', ')})`);
  const pcap = values.pcap ?? 'auto';
  if (pcap !== 'auto' && pcap !== 'off') throw new Error(`lab: --pcap is ${JSON.stringify(pcap)} (use auto or off)`);
  return {
    transports,
    ...(values.out ? { out: values.out } : {}),
    seed: integer('seed', values.seed, WIRE_DEFAULTS.seed, 0, 2 ** 32 - 1),
    padding: integer('padding', values.padding, WIRE_DEFAULTS.padding, 0, 65536),
    heartbeatMs: integer('heartbeat', values.heartbeat, WIRE_DEFAULTS.heartbeatMs, 10, 5000),
    retryMs: integer('retry', values.retry, WIRE_DEFAULTS.retryMs, 0, 5000),
    reconnectWatchMs: integer('watch', values.watch, WIRE_DEFAULTS.reconnectWatchMs, 0, 10000),
    pcap,
  };
}

function cell(row: OverheadRow | undefined): string {
  if (!row) return '-';
  const share = row.overheadShare === null ? '' : ` (+${Math.round(row.overheadShare * 100)}%)`;
  return row.payloadBytes === null
    ? `→${row.c2sBytes} ←${row.s2cBytes}`
    : `${row.c2sBytes + row.s2cBytes} B for ${row.payloadBytes}${share}`;
}

function summary(results: WireResults): string {
  const items = [
    'handshake',
    'TLS handshake',
    'quote (JSON)',
    'quote (binary)',
    'CORS preflight (once, then cached)',
    'ping round trip',
    'heartbeat',
  ];
  const lines = [
    'bytes on the wire (→ browser to server, ← server to browser; "N B for P": N wire bytes carrying P payload bytes)',
    ['transport', ...items].join(' | '),
  ];
  for (const [transport, wire] of Object.entries(results.transports)) {
    lines.push([transport, ...items.map((item) => cell(wire!.overhead.find((r) => r.item === item)))].join(' | '));
  }
  for (const [transport, wire] of Object.entries(results.transports)) {
    lines.push(
      `${transport}: ${wire!.stats.connections} connections, ${wire!.stats.decodedQuotes} quotes decoded from the bytes, ` +
        `${wire!.stats.undecodedBytes} undecoded bytes; pcap: ${wire!.pcap.path ?? wire!.pcap.note}`,
    );
  }
  for (const [transport, reason] of Object.entries(results.notRun ?? {})) lines.push(`${transport}: not run: ${reason}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const controller = new AbortController();
  const interrupt = () => {
    process.stderr.write('wire: interrupted, cleaning up\n');
    controller.abort();
    process.exitCode = 130;
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const results = await runWire({ ...parsed, signal: controller.signal, onProgress: (line) => process.stderr.write(`wire ${line}\n`) });
  process.stdout.write(`${summary(results)}\nwrote ${parsed.out ?? 'results/wire.json'}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode ||= 1;
});
