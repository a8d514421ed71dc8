/**
 * The proxy contract (servers/proxy/, `--proxy`): a real nginx in front of each transport it can
 * front, started and stopped with the server. The ready line points at nginx and names it; quotes
 * arrive through it in order; SIGTERM stops both; a dead nginx is reported; no nginx, an unknown
 * profile or a transport nginx cannot front is refused with exit code 2.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../clients/index.ts';
import { startServer } from '../servers/index.ts';
import { findNginx, startProxy } from '../servers/proxy/nginx.ts';
import { PROXY_PROFILES, proxiable } from '../servers/proxy/profiles.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { labCertificate } from '../servers/tls.ts';
import { CLIENT_TRANSPORTS } from '../servers/transports.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { SERVER_COMMAND, spawnServer, type SpawnedServer } from '../scripts/lib/spawn-server.ts';
import { alive, collect, waitFor } from './helpers.ts';

const FRONTED = CLIENT_TRANSPORTS.filter(proxiable);
const agents: Agent[] = [];
/** Every server a test spawns, stopped after the file even when an assertion failed first. */
const spawned: SpawnedServer[] = [];
async function spawnProxied(...args: Parameters<typeof spawnServer>): Promise<SpawnedServer> {
  const server = await spawnServer(...args);
  spawned.push(server);
  return server;
}

/** fetch that trusts the lab certificate (nginx serves it with the h2 profile) and speaks HTTP/2 where offered. */
async function labFetch(url: string): Promise<Response> {
  const agent = new Agent({ allowH2: true, connect: { ca: (await labCertificate()).cert } });
  agents.push(agent);
  return (await undiciFetch(url, { dispatcher: agent })) as unknown as Response;
}

/** The CLI without npm, its exit code and stderr. */
function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...base] = SERVER_COMMAND;
  const child = spawn(command!, [...base, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Stops the server by SIGTERM and checks nginx went with it: master and workers gone. */
async function stopAndCheck(server: SpawnedServer): Promise<void> {
  const master = server.ready.proxy!.pid;
  const workers = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  // nginx runs with `-p <its temporary directory>/`: that directory must go with it.
  const args = readFileSync(`/proc/${master}/cmdline`, 'utf8').split('\0');
  const dir = args[args.indexOf('-p') + 1]!;
  expect(dir).toMatch(/lab-nginx-/);
  expect(workers.length).toBeGreaterThan(0);
  // Exit code 0: the CLI exits 1 itself should anything still hold it 1.9 s after the signal (the 2 s contract).
  expect(await server.stop('SIGTERM')).toBe(0);
  for (const pid of [master, ...workers]) expect(alive(pid)).toBe(false);
  expect(existsSync(dir)).toBe(false);
}

describe('--proxy: nginx in front of a server', () => {
  afterAll(async () => {
    await Promise.all(spawned.map((server) => server.stop('SIGTERM')));
    await Promise.all(agents.map((a) => a.destroy()));
  });

  it('nginx is on this machine (the lab installs or names it)', () => {
    expect(findNginx()).toBeDefined();
  });

  it.each(FRONTED)('%s through tuned: the ready line points at nginx, quotes arrive in order, SIGTERM stops both', async (transport) => {
    const server = await spawnProxied(transport, ['--rate', '20', '--proxy', 'tuned']);
    const { ready } = server;
    expect(Object.keys(ready).sort()).toEqual(['pid', 'proxy', 'stats', 'transport', 'url']);
    expect(ready.proxy).toMatchObject({ kind: 'nginx', profile: 'tuned' });
    const nginxPort = new URL(ready.url).port;
    const upstreamPort = new URL(ready.proxy!.upstream).port;
    expect(nginxPort).not.toBe(upstreamPort);
    expect(new URL(ready.stats).port).toBe(nginxPort);
    // The url keeps the server's path: only scheme, host and port change.
    expect(ready.url.replace(/:\d+/, '')).toBe(ready.proxy!.upstream.replace(/:\d+/, ''));

    const response = await fetch(ready.stats);
    expect(response.headers.get('server')).toMatch(/^nginx/);
    expect(((await response.json()) as StatsSnapshot).transport).toBe(transport);

    const client = createClient(transport, { url: ready.url, reconnect: false });
    const received = collect(client);
    await client.connect();
    await waitFor(() => received.length >= 10, `10 quotes through nginx on ${transport}`);
    client.close();
    const seqs = received.map((m) => m.quote.seq);
    expect(seqs.slice(1).every((seq, i) => seq === seqs[i]! + 1)).toBe(true);

    await stopAndCheck(server);
  });

  it.each(PROXY_PROFILES)('sse through %s: the stream reaches the client through nginx', async (profile) => {
    const server = await spawnProxied('sse', ['--rate', '20', '--proxy', profile]);
    const { ready } = server;
    expect(ready.proxy!.profile).toBe(profile);
    // Only the h2 profile serves TLS (the lab's certificate, whose SPKI the line carries for browsers).
    expect(ready.url.startsWith('https://')).toBe(profile === 'h2');
    expect(ready.spki !== undefined).toBe(profile === 'h2');
    const response = await labFetch(ready.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    while (!/id: \d+[\s\S]*id: \d+/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toMatch(/data: \{"seq":\d+/);
    await stopAndCheck(server);
  });

  it('--tls behind a plain profile: nginx serves http, so the ready line carries no certificate to trust', async () => {
    const server = await spawnProxied('sse', ['--rate', '0', '--tls', '--proxy', 'tuned']);
    expect(server.ready.url).toMatch(/^http:\/\//);
    expect(server.ready.proxy!.upstream).toMatch(/^https:\/\//);
    expect(server.ready.spki).toBeUndefined();
    expect((await fetch(server.ready.stats)).status).toBe(200); // nginx reaches the TLS server behind it
    await stopAndCheck(server);
  });

  it('--proxy-read-timeout: nginx ends a silent stream (no heartbeat), and the config carries the value', async () => {
    const upstream = await startServer('sse', { rate: 0, heartbeatMs: null });
    const proxy = await startProxy(upstream, { profile: 'tuned', readTimeoutS: 1 });
    try {
      expect(proxy.config).toMatch(/proxy_read_timeout 1s;/);
      expect(proxy.config).not.toMatch(/proxy_read_timeout 1h;/);
      expect(proxy.config).toMatch(/listen 127\.0\.0\.1:\d+;/); // loopback only
      const response = await fetch(proxy.url);
      // nginx cuts the silent stream mid-body: no terminating chunk, so the client sees the connection fail, not an end.
      const read = await response.text().then(
        () => 'ended',
        (error: Error) => `failed: ${error.message}`,
      );
      expect(read).toBe('failed: terminated');
      const log = await proxy.accessLog();
      expect(log.some((line) => line.includes('"GET /sse HTTP/1.1" 200'))).toBe(true);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it('a dead nginx is reported, its worker does not outlive it, and the server stops with exit code 1', async () => {
    const server = await spawnProxied('ws', ['--rate', '0', '--proxy', 'stock']);
    let stderr = '';
    server.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const master = server.ready.proxy!.pid;
    const workers = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
    const exit = new Promise((resolve) => server.child.once('exit', resolve));
    process.kill(master, 'SIGKILL');
    expect(await exit).toBe(1);
    expect(stderr).toMatch(new RegExp(`lab: nginx \\(pid ${master}\\) exited with signal SIGKILL`));
    await waitFor(() => workers.every((pid) => !alive(pid)), 'the orphaned worker to be killed', 2000);
  });

  it('no nginx: exit 2 and one line naming the command that installs it', async () => {
    const { code, stdout, stderr } = await runCli(['sse', '--proxy', 'stock'], { ...process.env, LAB_NGINX: '/nonexistent/nginx' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^lab: LAB_NO_NGINX: .*apt-get install -y nginx/);
    expect(findNginx({ PATH: '' }, [])).toBeUndefined();
  });

  it.each([
    [['sse-h2', '--proxy', 'tuned'], /--proxy with sse-h2 \(nginx speaks HTTP\/1\.x/],
    [['tcp', '--proxy', 'tuned'], /--proxy with tcp/],
    [['sse', '--proxy', 'varnish'], /--proxy is "varnish" \(one of stock, tuned, gzip, h2\)/],
    [['sse', '--proxy-read-timeout', '3'], /--proxy-read-timeout without --proxy/],
    [['sse', '--proxy', 'tuned', '--proxy-read-timeout', '0'], /--proxy-read-timeout is 0/],
    [['ws', '--no-accel-buffering'], /--no-accel-buffering with ws/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('--no-accel-buffering leaves X-Accel-Buffering out of the SSE response; by default it is there', async () => {
    for (const [accelBufferingHeader, expected] of [
      [true, 'no'],
      [false, null],
    ] as const) {
      const server = await startServer('sse', { rate: 0, accelBufferingHeader });
      const controller = new AbortController();
      const response = await fetch(server.url, { signal: controller.signal });
      expect(response.headers.get('x-accel-buffering')).toBe(expected);
      controller.abort();
      await server.close();
    }
  });
});
