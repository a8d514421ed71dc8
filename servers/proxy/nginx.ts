/**
 * A real nginx in front of a lab server: Debian's `nginx`, run as a child process with a config
 * the lab writes into a temporary directory (profiles.ts: its own pid file, logs and temp paths,
 * `daemon off`, listening on 127.0.0.1 only), in its own process group, stopped by its pid and the
 * directory removed when done.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, freePort } from '../daemons.ts';
import { LabError } from '../errors.ts';
import { onProcessExit } from '../exit-hooks.ts';
import { labCertificate } from '../tls.ts';
import type { Transport } from '../transports.ts';
import {
  type ProxyOptions,
  type ProxyProfile,
  proxiable,
  proxyServesTls,
  type Rendered,
  renderConfig,
  whyNotProxiable,
} from './profiles.ts';

export const NGINX_INSTALL_HINT = 'apt-get update && apt-get install -y nginx';

/** What is proxied: a running server's addresses (RunningServer fits). */
export interface ProxyTarget {
  transport: Transport;
  url: string;
  statsUrl: string;
  origin: string;
  /** A cluster's node origins, balanced by nginx; default the one `origin`. */
  upstreams?: string[];
}

export interface RunningProxy {
  kind: 'nginx';
  profile: ProxyProfile;
  /** The nginx master's pid (its workers are its children: `processes()`). */
  pid: number;
  /** The same paths as the server's, on nginx's origin (https/wss with the h2 profile). */
  url: string;
  statsUrl: string;
  origin: string;
  /** The server's own url, behind nginx. */
  upstream: string;
  /** SPKI sha256 of the certificate nginx serves (the lab's), with the h2 profile. */
  spki?: string;
  /** The full config nginx runs with (wrapper and profile, placeholders filled in). */
  config: string;
  /** The access log, nginx's `combined` format: one line per request, written when it ends. */
  accessLog(): Promise<string[]>;
  /** The error log (level warn and up): nginx's own account of timeouts and refused upstreams. */
  errorLog(): Promise<string[]>;
  /** [master, ...workers] pids, read from /proc. */
  processes(): number[];
  /** Resolves when nginx exits, however it ends; `expected` is false unless close() asked for it. */
  exited: Promise<NginxExit>;
  /** Fast shutdown (SIGTERM), SIGKILL after a second; removes the temporary directory. */
  close(): Promise<void>;
}

export interface NginxExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  /** The last lines of nginx's error log. */
  errorLog: string;
}

/** The nginx binary: $LAB_NGINX when set, else the first `nginx` on PATH or in the sbin directories. */
export function findNginx(env: NodeJS.ProcessEnv = process.env, extraDirs = ['/usr/sbin', '/usr/local/sbin']): string | undefined {
  return findProgram('nginx', 'LAB_NGINX', env, extraDirs);
}

/** The one line to print when nginx is missing. */
export function nginxMissing(env: NodeJS.ProcessEnv = process.env): LabError {
  const where = env.LAB_NGINX !== undefined ? `LAB_NGINX=${env.LAB_NGINX} is not an executable` : 'nginx is not installed';
  return new LabError('LAB_NO_NGINX', where, `install it with: ${NGINX_INSTALL_HINT}`);
}

/** [master, ...workers]: the master's children from /proc (Linux); [] once the master is gone. */
export function nginxProcessTree(master: number): number[] {
  try {
    const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8');
    return [master, ...children.trim().split(/\s+/).filter(Boolean).map(Number)];
  } catch {
    return [];
  }
}

/**
 * SIGKILLs every process of the nginx whose master had pid `master`: nginx runs in its own process
 * group (the master's pid), and workers stay in it when a killed master leaves them re-parented. A
 * live master must still be nginx (pids are reused); a master gone leaves its pid reserved while its
 * workers keep the group.
 */
export function killNginxGroup(master: number): void {
  if (existsSync(`/proc/${master}`) && !isNginxProcess(master)) return;
  try {
    process.kill(-master, 'SIGKILL');
  } catch {
    // no group left
  }
}

/** Whether nginx is still running as `pid`: an nginx process, and not a zombie (dead, its exit not collected yet). */
export function isNginxRunning(pid: number): boolean {
  if (!isNginxProcess(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Whether `pid` is (still) an nginx process: checked before one is killed by pid, since pids are reused. */
export function isNginxProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nginx';
  } catch {
    return false;
  }
}

const readLines = async (path: string) => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean);

const tail = (text: string, lines = 6) => text.trim().split('\n').slice(-lines).join('\n');

/** Resolves once 127.0.0.1:port accepts a connection, rejects when `failed` settles first or after `timeoutMs`. */
async function accepting(port: number, failed: Promise<unknown>, timeoutMs: number): Promise<void> {
  let over = false;
  failed.then(() => (over = true));
  const deadline = Date.now() + timeoutMs;
  while (!over) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`lab: nginx did not accept on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('lab: nginx exited before it accepted a connection');
}

/** The server's url with nginx's scheme, host and port: the path (or its absence) unchanged. */
function proxiedUrl(serverUrl: string, origin: string): string {
  const secure = origin.startsWith('https:');
  return serverUrl.replace(/^(\w+):\/\/[^/]+/, (_, scheme: string) => {
    const web = scheme.startsWith('ws') ? 'ws' : 'http';
    return `${web}${secure ? 's' : ''}://${new URL(origin).host}`;
  });
}

/** Starts nginx in front of `target` with one of the profiles; resolves once it accepts connections. */
export async function startProxy(target: ProxyTarget, options: ProxyOptions): Promise<RunningProxy> {
  if (!proxiable(target.transport))
    throw new LabError('LAB_BAD_OPTION', `--proxy with ${target.transport}`, whyNotProxiable(target.transport));
  const binary = findNginx();
  if (!binary) throw nginxMissing();
  let lastError: Error | undefined;
  // A free port can be taken between the probe and nginx's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(binary, await freePort(), target, options);
    } catch (error) {
      lastError = error as Error;
      if (!/Address already in use/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

async function launch(binary: string, port: number, target: ProxyTarget, options: ProxyOptions): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-nginx-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  let rendered: Rendered;
  let spki: string | undefined;
  try {
    // Run as root, nginx's workers switch to an unprivileged user, which must reach the temp paths nginx makes here.
    await chmod(dir, 0o711);
    // The logs (query tokens end up in the access log) stay private: the master opens them, workers inherit the files.
    await mkdir(`${dir}/logs`, { mode: 0o700 });
    // The h2 profile serves the lab's certificate: made here on first use, so nginx finds its files.
    spki = proxyServesTls(options.profile) ? (await labCertificate()).spki : undefined;
    rendered = await renderConfig(dir, port, target.upstreams ?? [target.origin], options);
    await writeFile(`${dir}/nginx.conf`, rendered.main);
    await writeFile(`${dir}/profile.conf`, rendered.profile);
  } catch (error) {
    removeDir();
    throw error;
  }
  // Its own process group: workers stay in it when a killed master leaves them re-parented, so one
  // signal to the group reaches every nginx process this launch made, and nothing else.
  const child: ChildProcess = spawn(binary, ['-p', `${dir}/`, '-c', `${dir}/nginx.conf`, '-e', `${dir}/logs/error.log`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let expected = false;
  const errorLog = async () => tail(`${stderr}\n${await readFile(`${dir}/logs/error.log`, 'utf8').catch(() => '')}`);
  const running = () => child.exitCode === null && child.signalCode === null;
  const killGroup = () => child.pid !== undefined && killNginxGroup(child.pid);
  // Should this process end without close(), nginx and its directory go with it.
  const forgetExit = onProcessExit(() => {
    killGroup();
    removeDir();
  });
  const exited = new Promise<NginxExit>((resolve) => {
    child.once('exit', async (code, signal) => {
      killGroup(); // a master that dies leaves its workers running
      resolve({ code, signal, expected, errorLog: await errorLog() });
    });
  });
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const ended = Promise.race([exited, spawnFailed]);

  const stop = async () => {
    expected = true;
    if (running() && child.pid !== undefined) {
      child.kill('SIGTERM'); // fast shutdown: connections closed now, workers stopped by the master
      const timer = setTimeout(killGroup, 1000);
      await ended;
      clearTimeout(timer);
    }
    forgetExit();
    await rm(dir, { recursive: true, force: true });
  };

  const processes = () => (child.pid === undefined ? [] : nginxProcessTree(child.pid));
  try {
    await accepting(port, ended, 5000);
    // The master binds before it forks its worker: ready means a worker is there to answer.
    const deadline = Date.now() + 5000;
    while (running() && processes().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    // Something else may have answered on the port (it was taken between the probe and nginx's bind): nginx must be up.
    if (!running() || processes().length < 2) throw new Error('lab: nginx did not start');
  } catch (error) {
    const log = await errorLog();
    await stop();
    throw new Error(`${(error as Error).message}${log ? `:\n${log}` : ''}`);
  }
  const origin = `${proxyServesTls(options.profile) ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    kind: 'nginx',
    profile: options.profile,
    pid: child.pid!,
    url: proxiedUrl(target.url, origin),
    statsUrl: proxiedUrl(target.statsUrl, origin),
    origin,
    upstream: target.url,
    ...(spki ? { spki } : {}),
    config: `${rendered.main}\n# profile.conf\n${rendered.profile}`,
    accessLog: () => readLines(`${dir}/logs/access.log`),
    errorLog: () => readLines(`${dir}/logs/error.log`),
    processes,
    exited,
    close: stop,
  };
}
