/** Run metadata every results file carries: when, on what machine, with which versions, at which commit. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ROOT } from './paths.ts';

export interface RunMetadata {
  date: string;
  machine: { cpuModel: string; cpus: number; memoryGiB: number; platform: string; release: string; arch: string };
  node: string;
  versions: Record<string, string>;
  /** Chromium's version string, when a browser took part. */
  chromium?: string;
  commit: string;
}

const LIBRARIES = [
  'express',
  'ws',
  'socket.io',
  'socket.io-client',
  'eventsource',
  'event-source-polyfill',
  'puppeteer-core',
  'hdr-histogram-js',
  'autocannon',
  'chart.js',
];

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

export function runMetadata(chromium?: string): RunMetadata {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cpus: cpus.length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: os.platform(),
      release: os.release(),
      arch: os.arch(),
    },
    node: process.version,
    versions: Object.fromEntries(LIBRARIES.map((name) => [name, packageVersion(name)])),
    ...(chromium ? { chromium } : {}),
    commit: gitCommit(),
  };
}
