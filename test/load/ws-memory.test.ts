/**
 * The ws server's heap per connection against a minimal `ws` server (WebSocketServer on node:http, no
 * permessage-deflate, one quote to every client once a second), each in its own process. Method: 1 lean reader,
 * then CLIENTS; heapUsed after two forced GCs at each; per connection = delta / (CLIENTS - 1). The ratio is
 * asserted, not bytes, which move with the V8 version. What it guards (issue 13, heap snapshot diff at 2,000
 * clients): per-client closures, a parsed upgrade URL kept alive by a socket listener, and ws's own client set
 * beside the server's took the lab's heap per connection to 1.6x the minimal server's; trimmed, it is 1.25x.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { connect } from '../../clients/lean/ws.ts';
import type { LeanReader } from '../../clients/lean/types.ts';
import { spawnServer } from '../../scripts/lib/spawn-server.ts';
import { ROOT } from '../../scripts/lib/paths.ts';
import { tick } from '../helpers.ts';

const CLIENTS = 500;
/**
 * Lab / minimal heap per connection: 1.23-1.24 measured (3 runs) at 500 clients, 1.57 before the trim; 1.37 once in CI
 * while other suites ran beside it (now it runs in the load project, alone).
 */
const MAX_RATIO = 1.4;

const MINIMAL_SERVER = `
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
const server = createServer((req, res) => {
  gc();
  gc();
  res.end(JSON.stringify({ heapUsed: process.memoryUsage().heapUsed, gc: true }));
});
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
let seq = 0;
setInterval(() => {
  const quote = JSON.stringify({ seq: ++seq, symbol: 'AAPL', price: 189.5, ts: performance.timeOrigin + performance.now() });
  for (const ws of wss.clients) ws.send(quote);
}, 1000);
server.listen(0, '127.0.0.1', () => {
  const origin = '127.0.0.1:' + server.address().port;
  console.log(JSON.stringify({ url: 'ws://' + origin + '/ws', stats: 'http://' + origin + '/stats' }));
});`;

interface Running {
  url: string;
  stats: string;
  stop(): Promise<unknown>;
}

const readers: LeanReader[] = [];
const servers: Running[] = [];
afterEach(async () => {
  for (const reader of readers.splice(0)) reader.close();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function lab(): Promise<Running> {
  const server = await spawnServer('ws', ['--rate', '1', '--heartbeat', '3600000', '--stats-gc']);
  return { url: server.ready.url, stats: server.ready.stats, stop: () => server.stop('SIGTERM') };
}

async function minimal(): Promise<Running> {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', MINIMAL_SERVER], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const ready = JSON.parse(line) as { url: string; stats: string };
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  return { ...ready, stop };
}

/**
 * heapUsed after forced GCs, once the last connections have settled and a quote has gone out: two, a second apart (the
 * lab server allows one a second), as the minimal server runs two, so what the first leaves for a second pass is gone.
 */
async function heapUsed(server: Running): Promise<number> {
  let stats = { heapUsed: 0, gc: false };
  for (const wait of [1500, 1100]) {
    await tick(wait);
    stats = (await (await fetch(`${server.stats}?gc=1`)).json()) as typeof stats;
    expect(stats.gc, 'the figure was read after a forced GC').toBe(true);
  }
  return stats.heapUsed;
}

async function addReaders(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, () => connect({ url, onQuote: () => {} }));
    readers.push(...(await Promise.all(batch)));
  }
}

async function heapPerConnection(start: () => Promise<Running>): Promise<number> {
  const server = await start();
  servers.push(server);
  await addReaders(server.url, 1);
  const one = await heapUsed(server);
  await addReaders(server.url, CLIENTS - 1);
  const many = await heapUsed(server);
  for (const reader of readers.splice(0)) reader.close();
  return (many - one) / (CLIENTS - 1);
}

it(`holds at most ${MAX_RATIO}x the heap per connection of a minimal ws server`, { timeout: 90_000 }, async () => {
  const labBytes = await heapPerConnection(lab);
  const minimalBytes = await heapPerConnection(minimal);
  expect(minimalBytes, 'the minimal server holds something per connection').toBeGreaterThan(1000);
  expect(
    labBytes / minimalBytes,
    `lab ${labBytes.toFixed(0)} B vs minimal ${minimalBytes.toFixed(0)} B per connection`,
  ).toBeLessThanOrEqual(MAX_RATIO);
});
