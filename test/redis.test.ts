/**
 * The cluster's Redis (servers/cluster/redis.ts): a real redis-server the lab starts and stops. It
 * listens on 127.0.0.1 only with protected-mode on; a stream round-trips; it keeps nothing, so a
 * restart on the same port starts empty; close() and the lab's own exit leave no process and no
 * directory; a port already taken and a bad $LAB_REDIS are refused saying why.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { findRedis, type RunningRedis, redisMissing, startRedis } from '../servers/cluster/redis.ts';
import { LabError } from '../servers/errors.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { waitFor } from './helpers.ts';

/** Every Redis and client a test starts, stopped after the file even when an assertion failed first. */
const started: RunningRedis[] = [];
const clients: Redis[] = [];

async function redis(port?: number): Promise<RunningRedis> {
  const running = await startRedis(port === undefined ? {} : { port });
  started.push(running);
  return running;
}

function client(running: RunningRedis): Redis {
  const c = new Redis(running.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  clients.push(c);
  return c;
}

/** Running, not a zombie (a killed orphan stays in /proc until something reaps it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The local addresses (hex, as /proc/net/tcp{,6} writes them) listening on `port`. */
function listeners(port: number, table: 'tcp' | 'tcp6'): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync(`/proc/net/${table}`, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') // 0A: LISTEN
    .map((fields) => fields[1]!.split(':')[0]!);
}

describe('redis-server for the cluster', () => {
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await Promise.all(started.map((r) => r.close()));
  });

  it('redis-server is on this machine (the lab installs or names it)', () => {
    expect(findRedis(), redisMissing().message).toBeDefined();
  });

  it('listens on 127.0.0.1 only, protected-mode on, no persistence', async () => {
    const running = await redis();
    expect(running.url).toBe(`redis://127.0.0.1:${running.port}`);
    expect(running.config).toContain(`port ${running.port}\n`);
    const c = client(running);
    expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    expect(await c.config('GET', 'protected-mode')).toEqual(['protected-mode', 'yes']);
    expect(await c.config('GET', 'save')).toEqual(['save', '']);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(await c.config('GET', 'databases')).toEqual(['databases', '1']);
    // The kernel's view: one listening socket on the port, at 127.0.0.1 (0100007F), none over IPv6.
    expect(listeners(running.port, 'tcp')).toEqual(['0100007F']);
    if (existsSync('/proc/net/tcp6')) expect(listeners(running.port, 'tcp6')).toEqual([]);
  });

  it('a stream round-trips: XADD then XRANGE gives the entries back in order', async () => {
    const c = client(await redis());
    const ids: string[] = [];
    for (let seq = 1; seq <= 3; seq++) ids.push((await c.xadd('quotes', '*', 'seq', String(seq), 'symbol', 'ACME'))!);
    const entries = await c.xrange('quotes', '-', '+');
    expect(entries).toEqual(ids.map((id, i) => [id, ['seq', String(i + 1), 'symbol', 'ACME']]));
    expect(await c.xlen('quotes')).toBe(3);
  });

  it('close() leaves no process and no directory, and a restart on the same port starts empty', async () => {
    const first = await redis();
    const c = client(first);
    await c.xadd('quotes', '*', 'seq', '1');
    expect(await c.xlen('quotes')).toBe(1);
    c.disconnect();

    expect(alive(first.pid)).toBe(true);
    expect(existsSync(`${first.dir}/redis.conf`)).toBe(true);
    await first.close();
    await first.close(); // idempotent
    expect(existsSync(`/proc/${first.pid}`)).toBe(false);
    expect(existsSync(first.dir)).toBe(false);
    expect(await first.exited).toMatchObject({ expected: true, code: 0 });

    const second = await redis(first.port);
    expect(second.port).toBe(first.port);
    expect(second.pid).not.toBe(first.pid);
    const again = client(second);
    expect(await again.exists('quotes')).toBe(0);
    expect(await again.xrange('quotes', '-', '+')).toEqual([]);
    expect(await again.dbsize()).toBe(0);
  });

  it('a Redis the lab never closed goes when the lab process exits', async () => {
    // A separate node process starts Redis and exits without close(): its exit hook (servers/exit-hooks.ts) must stop it.
    const code = [
      "import { startRedis } from './servers/cluster/redis.ts';",
      'const r = await startRedis();',
      'process.stdout.write(JSON.stringify({ pid: r.pid, dir: r.dir }));',
      'process.exit(0);',
    ].join('\n');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    const { pid, dir } = JSON.parse(stdout) as { pid: number; dir: string };
    expect(pid).toBeGreaterThan(0);
    expect(dir).toMatch(/lab-redis-/);
    // SIGKILL is sent as the lab exits; the kernel ends the process a moment later.
    await waitFor(() => !alive(pid), `redis-server ${pid} to end`);
    expect(existsSync(dir)).toBe(false);
  });

  it('a port already taken is refused with the bind error from its log', async () => {
    // It hangs up on whoever connects (the lab's PING probe among them), so it can close afterwards.
    const holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      await expect(startRedis({ port })).rejects.toThrow(/exited before it answered PING:[\s\S]*Address already in use/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('a bad $LAB_REDIS is LAB_NO_REDIS, with the install hint', async () => {
    vi.stubEnv('LAB_REDIS', '/nonexistent/redis-server');
    try {
      expect(findRedis()).toBeUndefined();
      const error = await startRedis().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LabError);
      expect((error as LabError).code).toBe('LAB_NO_REDIS');
      expect((error as LabError).message).toBe(
        'lab: LAB_NO_REDIS: LAB_REDIS=/nonexistent/redis-server is not an executable ' +
          '(install it with: apt-get update && apt-get install -y redis-server)',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
