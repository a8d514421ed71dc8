/**
 * What the daemons the lab starts as child processes (nginx, redis-server) share: finding the binary, a free port
 * (neither can take port 0 and report back) and the open-files limit they must fit in.
 */
import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Whether `path` is a file this process may execute. */
export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A program: `env[override]` when set (undefined unless executable), else the first `name` on PATH or in `extraDirs`
 * (the sbin directories are not on every PATH).
 */
export function findProgram(name: string, override: string, env: NodeJS.ProcessEnv, extraDirs: readonly string[]): string | undefined {
  const chosen = env[override];
  if (chosen !== undefined) return executable(chosen) ? chosen : undefined;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  return dirs.map((dir) => join(dir, name)).find(executable);
}

/**
 * A TCP port on 127.0.0.1 that is free right now. Another process can take it before the daemon binds: callers see
 * that as the daemon's bind error and retry with a new port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

let fileLimit: number | undefined;
/** The hard open-files limit a daemon may raise itself to (at most 65536), read once per process. */
export function hardFileLimit(): number {
  if (fileLimit === undefined) {
    try {
      const raw = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
      fileLimit = raw === 'unlimited' ? 65536 : Math.min(Number(raw) || 1024, 65536);
    } catch {
      fileLimit = 1024;
    }
  }
  return fileLimit;
}
