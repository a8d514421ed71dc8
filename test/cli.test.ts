/**
 * The command-line contract, run exactly as documented: one JSON ready line, the URLs' shapes (TLS
 * always for a transport that requires it), /stats, deterministic seeds across processes, graceful
 * SIGTERM (exit 0, ws close 1001), and bad arguments refused with a `lab:` line and exit code 2.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../clients/index.ts';
import { TRANSPORT_NAMES, TRANSPORTS, type Transport } from '../servers/transports.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { SERVER_COMMAND, spawnServer } from '../scripts/lib/spawn-server.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { collect, key, reference, waitFor } from './helpers.ts';
import { caFor, closeFetches, fetchFor } from './trust.ts';

const URL_SHAPES = {
  sse: /^http:\/\/127\.0\.0\.1:\d+\/sse$/,
  'sse-h2': /^https:\/\/127\.0\.0\.1:\d+\/sse$/,
  ws: /^ws:\/\/127\.0\.0\.1:\d+\/ws$/,
  socketio: /^http:\/\/127\.0\.0\.1:\d+$/,
  tcp: /^tcp:\/\/127\.0\.0\.1:\d+$/,
} satisfies Record<Transport, RegExp>;

describe('npm run --silent server', () => {
  afterAll(closeFetches);

  it('prints exactly one JSON ready line through npm, serves /stats, and exits 0 on SIGTERM', async () => {
    const child = spawn('npm', ['run', '--silent', 'server', '--', 'sse', '--port', '0', '--rate', '5'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const firstLine = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const ready = JSON.parse(firstLine) as Record<string, unknown>;
    expect(Object.keys(ready).sort()).toEqual(['pid', 'stats', 'transport', 'url']);
    expect(ready.transport).toBe('sse');
    expect(ready.url).toMatch(URL_SHAPES.sse);
    expect(ready.stats).toBe(String(ready.url).replace(/\/sse$/, '/stats'));
    const stats = (await (await fetch(String(ready.stats))).json()) as StatsSnapshot;
    expect(stats).toMatchObject({ transport: 'sse', pid: ready.pid, connections: 0 });
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    process.kill(Number(ready.pid), 'SIGTERM'); // the server process; npm passes its exit code on
    expect(await exit).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each(TRANSPORT_NAMES)('%s: the ready line names its url and stats; SIGTERM exits 0 within the contract', async (transport) => {
    const server = await spawnServer(transport, ['--rate', '0']);
    expect(server.ready.url).toMatch(URL_SHAPES[transport]);
    // A transport that requires TLS is TLS without --tls, and says so with its certificate's SPKI hash.
    expect(server.ready.spki !== undefined).toBe(TRANSPORTS[transport].tls === 'required');
    const stats = (await (await (await fetchFor(transport))(server.ready.stats)).json()) as StatsSnapshot;
    expect(stats.transport).toBe(transport);
    const started = Date.now();
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000); // the contract's promise, not a benchmark
  });

  it('closes WebSockets with 1001 on SIGTERM', async () => {
    const server = await spawnServer('ws', ['--rate', '0']);
    const client = createClient('ws', { url: server.ready.url, reconnect: false });
    const closed = new Promise<{ code?: number | string }>((resolve) => client.on('close', resolve));
    await client.connect();
    await server.stop('SIGINT');
    expect((await closed).code).toBe(1001);
  });

  it('three processes with the same seed send the same quotes', async () => {
    const transports = ['sse', 'sse-h2', 'ws'] as const;
    const servers = await Promise.all(transports.map((t) => spawnServer(t, ['--seed', '99', '--rate', '50'])));
    try {
      const clients = await Promise.all(
        transports.map(async (t, i) => createClient(t, { url: servers[i]!.ready.url, ca: await caFor(t), since: 0 })),
      );
      const received = clients.map(collect);
      await Promise.all(clients.map((c) => c.connect()));
      await waitFor(() => received.every((r) => r.length >= 10), '10 quotes from each');
      for (const r of received) expect(r.slice(0, 10).map((m) => key(m.quote))).toEqual(reference(99, 10));
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  it('prints the SPKI hash with --tls', async () => {
    const server = await spawnServer('ws', ['--tls', '--rate', '0']);
    expect(server.ready.url).toMatch(/^wss:/);
    expect(server.ready.spki).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    await server.stop();
  });

  it.each([
    [['smoke'], /transport is "smoke"/],
    [[], /transport is ""/],
    [['sse', '--rate', 'fast'], /--rate is "fast"/],
    [['sse', '--port', '99999'], /port is 99999/],
    [['ws', '--allow-origin', 'http://x.example/path'], /no path or trailing slash/],
    [['sse', '--bogus'], /Unknown option/],
    [['ws', '--express-stream'], /only SSE over HTTP\/1.1 runs on express/],
  ])('refuses %j with a lab: line and exit code 2', async (args, message) => {
    const [command, ...base] = SERVER_COMMAND;
    const child = spawn(command!, [...base, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^lab: LAB_BAD_OPTION/);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: npm run --silent server');
  });
});
