/**
 * Starts one transport's server in its own process through the command-line contract
 * (servers/cli.ts) and reads its ready line. Used wherever a server must own its memory and CPU
 * (the load runner), be killed and restarted (scenarios), or be tested exactly as documented.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Transport } from '../../servers/transports.ts';
import { pinned } from '../load/pinning.ts';
import { ROOT } from './paths.ts';

/** How the npm `server` script runs the CLI, without npm in between. */
export const SERVER_COMMAND = [process.execPath, '--expose-gc', '--import', 'tsx', 'servers/cli.ts'];

export interface ReadyLine {
  transport: Transport;
  url: string;
  stats: string;
  pid: number;
  spki?: string;
  /** With --proxy: the nginx in front (`url` and `stats` are then nginx's). */
  proxy?: { kind: 'nginx'; profile: string; pid: number; upstream: string };
}

export interface SpawnedServer {
  ready: ReadyLine;
  child: ChildProcess;
  /** Sends a signal (default SIGTERM) and resolves the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How long a server may take to print its ready line (tsx compiles on first start). */
export const READY_TIMEOUT_MS = 20_000;

/** How the load runner launches a server: on which cores (scripts/load/pinning.ts) and with which extra node flags. */
export interface Launch {
  cores?: readonly number[] | null;
  nodeFlags?: readonly string[];
}

export async function spawnServer(
  transport: Transport,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  launch: Launch = {},
): Promise<SpawnedServer> {
  const [node, ...base] = SERVER_COMMAND;
  const [command, argv] = pinned(node!, [...(launch.nodeFlags ?? []), ...base, transport, ...args], launch.cores ?? null);
  const child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as ReadyLine);
      } catch {
        reject(new Error(`lab: ${transport} server printed ${JSON.stringify(line)} instead of its ready line`));
      }
    });
    exited.then((code) => reject(new Error(`lab: ${transport} server exited (${code}) before it was ready: ${stderr.trim()}`)));
    timer = setTimeout(
      () => reject(new Error(`lab: ${transport} server printed no ready line within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`)),
      READY_TIMEOUT_MS,
    );
  })
    .catch((error: Error) => {
      child.kill('SIGKILL'); // never leave a server behind that we could not use
      throw error;
    })
    .finally(() => clearTimeout(timer));
  return {
    ready,
    child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
