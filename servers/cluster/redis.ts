/**
 * The cluster's shared bus: Debian's `redis-server`, run as a child process with a config the lab
 * writes into a temporary directory (loopback only, no persistence, its log there), in its own
 * process group, stopped by its pid and the directory removed when done. servers/proxy/nginx.ts
 * starts nginx the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../errors.ts';
import { onProcessExit } from '../exit-hooks.ts';
import { findProgram, freePort, hardFileLimit } from '../daemons.ts';

export const REDIS_INSTALL_HINT = 'apt-get update && apt-get install -y redis-server';

export interface RunningRedis {
  pid: number;
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** The config redis-server runs with, comments and all. */
  config: string;
  /** Its temporary directory (config, log), removed by close(). */
  dir: string;
  /** Resolves when redis-server exits, however it ends; `expected` is false unless close() asked for it. */
  exited: Promise<RedisExit>;
  /** Its stderr and log file as they are now. */
  log(): Promise<string>;
  /** SIGTERM, SIGKILL after a second; removes the directory. Calling it again waits for the first call. */
  close(): Promise<void>;
}

export interface RedisExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  /** The last lines of its stderr and log file. */
  log: string;
}

export interface RedisOptions {
  /** The port to listen on; defaults to a free one. A scenario passes the old port to restart Redis where clients expect it. */
  port?: number;
}

/** The redis-server binary: $LAB_REDIS when set, else the first `redis-server` on PATH or in the usual directories. */
export function findRedis(
  env: NodeJS.ProcessEnv = process.env,
  extraDirs = ['/usr/bin', '/usr/sbin', '/usr/local/bin'],
): string | undefined {
  return findProgram('redis-server', 'LAB_REDIS', env, extraDirs);
}

/** The one line to print when redis-server is missing. */
export function redisMissing(env: NodeJS.ProcessEnv = process.env): LabError {
  const where = env.LAB_REDIS !== undefined ? `LAB_REDIS=${env.LAB_REDIS} is not an executable` : 'redis-server is not installed';
  return new LabError('LAB_NO_REDIS', where, `install it with: ${REDIS_INSTALL_HINT}`);
}

/** Redis keeps 32 descriptors for itself beyond maxclients (CONFIG_MIN_RESERVED_FDS). */
const RESERVED_FDS = 32;

/** Clients Redis accepts: 10000, or fewer when the hard open-files limit (which Redis cannot raise) is lower. */
function maxClients(): number {
  return Math.max(1, Math.min(10_000, hardFileLimit() - RESERVED_FDS));
}

/** The config text: every group says why it is there, since the report quotes it. */
export function redisConfig(dir: string, port: number | string): string {
  return [
    "# The lab's Redis: the cluster's shared bus (a stream of quotes, socket.io's redis-streams adapter).",
    '# Written by servers/cluster/redis.ts for one run, in a directory removed when the lab stops it.',
    '',
    '# Loopback only. protected-mode stays on: it refuses clients from other hosts unless a password is',
    '# set, and the lab sets none; clients on 127.0.0.1 need none.',
    'bind 127.0.0.1',
    `port ${port}`,
    'protected-mode yes',
    '',
    '# No persistence: nothing reaches the disk, so a restarted Redis starts empty and the stream is gone.',
    "# The lab's restart scenarios rely on that.",
    'save ""',
    'appendonly no',
    '',
    "# In the foreground, as the lab's child (stopped by its pid); its files in its temporary directory.",
    'daemonize no',
    `dir "${dir}"`,
    `logfile "${dir}/redis.log"`,
    '',
    '# One database (the lab uses db 0). maxclients: each node of the cluster and each test holds a few',
    `# connections; capped so Redis fits in the hard open-files limit with its ${RESERVED_FDS} reserved descriptors.`,
    'databases 1',
    `maxclients ${maxClients()}`,
    '',
  ].join('\n');
}

const tail = (text: string, lines = 6) => text.trim().split('\n').slice(-lines).join('\n');

/** One PING on a fresh connection: whether 127.0.0.1:port answered +PONG. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    // A listener that accepts but never answers must not hold the poll.
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG\r\n'));
    });
    socket.once('error', () => done(false));
    socket.once('end', () => done(false));
  });
}

/** Resolves once Redis answers PING, rejects when `failed` settles first or after `timeoutMs`. */
async function answering(port: number, failed: Promise<unknown>, timeoutMs: number): Promise<void> {
  let over = false;
  failed.then(() => (over = true));
  const deadline = Date.now() + timeoutMs;
  while (!over) {
    if (await pong(port)) return;
    if (Date.now() > deadline) throw new Error(`lab: redis-server did not answer PING on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('lab: redis-server exited before it answered PING');
}

/** Starts redis-server on 127.0.0.1 (a free port unless `options.port`); resolves once it answers PING. */
export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  const binary = findRedis();
  if (!binary) throw redisMissing();
  if (options.port !== undefined) return launch(binary, options.port);
  let lastError: Error | undefined;
  // A free port can be taken between the probe and Redis's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(binary, await freePort());
    } catch (error) {
      lastError = error as Error;
      if (!/Address already in use/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

async function launch(binary: string, port: number): Promise<RunningRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-redis-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const config = redisConfig(dir, port);
  try {
    await chmod(dir, 0o700);
    await writeFile(`${dir}/redis.conf`, config);
  } catch (error) {
    removeDir();
    throw error;
  }
  // Its own process group, as with nginx: one signal to the group reaches whatever it may fork.
  const child: ChildProcess = spawn(binary, [`${dir}/redis.conf`], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let expected = false;
  // Config errors go to stderr, everything after start-up (a refused bind included) to the log file.
  const log = async () => `${stderr}${await readFile(`${dir}/redis.log`, 'utf8').catch(() => '')}`;
  // Until node has collected its exit, the pid is still this child's: no other process can have it.
  const running = () => child.exitCode === null && child.signalCode === null;
  const killGroup = () => {
    if (running() && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  // Should this process end without close(), Redis and its directory go with it.
  const forgetExit = onProcessExit(() => {
    killGroup();
    removeDir();
  });
  const exited = new Promise<RedisExit>((resolve) => {
    child.once('exit', async (code, signal) => resolve({ code, signal, expected, log: tail(await log()) }));
  });
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const ended = Promise.race([exited, spawnFailed]);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      expected = true;
      if (running() && child.pid !== undefined) {
        child.kill('SIGTERM'); // with `save ""` Redis writes nothing and exits at once
        const timer = setTimeout(killGroup, 1000);
        await ended;
        clearTimeout(timer);
      }
      forgetExit();
      await rm(dir, { recursive: true, force: true });
    })();
    return closing;
  };

  try {
    await answering(port, ended, 5000);
    // Another Redis may have answered on the port (taken between the probe and this one's bind): ours must be up.
    if (!running()) throw new Error('lab: redis-server did not start');
  } catch (error) {
    const text = tail(await log());
    await close();
    throw new Error(`${(error as Error).message}${text ? `:\n${text}` : ''}`);
  }
  return {
    pid: child.pid!,
    port,
    url: `redis://127.0.0.1:${port}`,
    config,
    dir,
    exited,
    log,
    close,
  };
}
