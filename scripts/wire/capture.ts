/**
 * A real packet capture of a session: when `tshark` (Debian package `tshark`) is on PATH, it
 * records the loopback interface, filtered to the relay's port — the browser's leg, where the
 * browser's own TCP segments go — into a pcapng file. tshark runs in a process group of its own
 * and is stopped as a group: the capturing is done by its dumpcap child, which a kill of tshark
 * alone would leave running. For a plain transport it is optional, for a reader to open in
 * Wireshark: without tshark (or without the right to capture) the run goes on and says why there
 * is no file; the relay's transcripts hold the same TCP payload either way. For HTTP/2 it is the
 * only way to the frames (the relay sees TLS).
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { onProcessExit } from '../../servers/exit-hooks.ts';
import { ROOT } from '../lib/paths.ts';
import { capturedBytes, tsharkPath } from './tshark.ts';
import type { ConnectionTranscript, PcapInfo } from './types.ts';

export interface Capture {
  /** tshark is capturing (false: `stop()` says why not). */
  running: boolean;
  /**
   * Stops the capture (SIGTERM to tshark and dumpcap, so dumpcap finishes the file; SIGKILL after a bound) and says
   * what was made. Given the relay's transcripts, it first waits (bounded) until the file holds every byte they hold:
   * the last packets reach the file a little after the relay saw them, and stopping then would leave them out.
   */
  stop(relayed?: ConnectionTranscript[]): Promise<PcapInfo>;
}

const STARTUP_LIMIT_MS = 10_000;
const STOP_LIMIT_MS = 5_000;
const SETTLE_LIMIT_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `signal` to every process of the group `pid` leads (0: none, only asks); false when none is left. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the whole group has exited
  }
}

/** Stops tshark's group (tshark and its dumpcap): SIGTERM, then SIGKILL to whatever is left after STOP_LIMIT_MS. */
async function stopGroup(pid: number): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_LIMIT_MS;
  while (Date.now() < deadline && signalGroup(pid, 0)) await sleep(20);
  signalGroup(pid, 'SIGKILL');
}

/** Bytes the relay carried and the capture does not hold yet, summed over connections and directions. */
async function missing(tshark: string, path: string, port: number, relayed: ConnectionTranscript[]): Promise<number> {
  const captured = await capturedBytes(tshark, path, port);
  let short = 0;
  for (const conn of relayed)
    for (const dir of ['c2s', 's2c'] as const) {
      const carried = conn.chunks.filter((c) => c.dir === dir).reduce((n, c) => n + Buffer.byteLength(c.data, 'base64'), 0);
      short += Math.max(0, carried - (captured.get(conn.clientPort)?.[dir] ?? 0));
    }
  return short;
}

const none = (note: string): Capture => ({ running: false, stop: async () => ({ path: null, tool: null, note }) });

/** Starts capturing `tcp port <port>` on loopback into `path`, when tshark exists and `mode` is 'auto'. */
export async function startCapture(path: string, port: number, mode: 'auto' | 'off'): Promise<Capture> {
  if (mode === 'off') return none('pcap capture turned off (--pcap off)');
  const tshark = tsharkPath();
  if (!tshark)
    return none('tshark is not installed (apt-get install tshark), so no pcapng; the relay transcript holds the same TCP payload');
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  const filter = `tcp port ${port}`;
  // Detached: a process group of its own, which the stop signals whole. Ctrl-C in a terminal reaches neither; the CLI stops the run.
  const child = spawn(tshark, ['-i', 'lo', '-f', filter, '-w', path, '-q'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      stderr += error.message;
      resolve(); // no process was made
    });
  });
  const pid = child.pid;
  // Whatever ends this process, a capture must not outlive it.
  const forgetExit = onProcessExit(() => {
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  });
  const stop = async () => {
    if (pid !== undefined) await stopGroup(pid);
    await exited;
    forgetExit();
  };
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), STARTUP_LIMIT_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Capturing on')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!started) {
    await stop();
    return none(`tshark did not start capturing: ${stderr.trim().split('\n').at(-1) ?? 'no message'}`);
  }
  return {
    running: true,
    async stop(relayed) {
      let short = 0;
      if (relayed) {
        const deadline = Date.now() + SETTLE_LIMIT_MS;
        while ((short = await missing(tshark, path, port, relayed)) > 0 && Date.now() < deadline) await sleep(100);
      }
      await stop();
      if (!existsSync(path) || statSync(path).size === 0)
        return { path: null, tool: null, note: `tshark wrote no file: ${stderr.trim().split('\n').at(-1) ?? ''}` };
      await chmod(path, 0o644); // dumpcap creates it 0600; a reader opening it in Wireshark is usually someone else
      const gap = short > 0 ? `; it lacks ${short} bytes the relay carried` : '';
      return { path: relative(ROOT, path), tool: 'tshark', note: `tshark -i lo -f '${filter}': the browser <-> relay leg${gap}` };
    },
  };
}
