/**
 * The Debian programs the lab drives for real — Chromium, nginx, tshark, redis-server — found, installed where
 * the machine allows it (Debian or Ubuntu, as root: `apt-get install -y`), or named in one clear
 * line each. Never a silent skip: whatever is still missing is listed, and the tests or stages that
 * need it fail saying so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { findChromium } from './browser.ts';
import { findRedis } from '../../servers/cluster/redis.ts';
import { findNginx } from '../../servers/proxy/nginx.ts';
import { tsharkPath } from '../wire/tshark.ts';

interface Program {
  /** The Debian package that provides it. */
  package: string;
  /** What the lab uses it for, in a few words. */
  usedFor: string;
  found(): boolean;
}

export const PROGRAMS: Program[] = [
  { package: 'chromium', usedFor: 'browser scenarios, wire capture, report PNGs', found: () => findChromium() !== undefined },
  { package: 'nginx', usedFor: 'the reverse-proxy scenarios and load', found: () => findNginx() !== undefined },
  { package: 'tshark', usedFor: 'decoding the HTTP/2 wire capture', found: () => tsharkPath() !== null },
  { package: 'redis-server', usedFor: 'the scale-out cluster (shared stream)', found: () => findRedis() !== undefined },
];

/**
 * Debian's invoke-rc.d asks this script whether a package may start its service; exit code 101 says
 * no. Installed only for the lab's own apt-get run (when the machine has none), so the nginx and
 * redis-server packages start no system service (nginx on port 80 of every interface, Redis on 6379);
 * the lab runs its own.
 */
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

function withServicesHeld<T>(install: () => T): T {
  if (existsSync(POLICY_RC_D)) return install();
  writeFileSync(POLICY_RC_D, '#!/bin/sh\n# written by the lab for one apt-get run: packages start no services\nexit 101\n', {
    mode: 0o755,
  });
  try {
    return install();
  } finally {
    rmSync(POLICY_RC_D, { force: true });
  }
}

const hasAptGet = () => spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;

/**
 * Installs the missing programs when root on a machine with apt-get; returns one line per program
 * still missing afterwards (empty when all are there).
 */
export function ensurePrograms(programs = PROGRAMS, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string[] {
  const missing = programs.filter((p) => !p.found());
  if (missing.length === 0) return [];
  const names = missing.map((p) => p.package);
  if (process.getuid?.() === 0 && hasAptGet()) {
    log(`lab: installing Debian packages: ${names.join(' ')} (apt-get, as root)`);
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
      withServicesHeld(() => execFileSync('apt-get', ['install', '-y', '-qq', ...names], { env, stdio: 'inherit' }));
    } catch (error) {
      log(`lab: apt-get failed: ${(error as Error).message}`);
    }
  }
  const still = programs.filter((p) => !p.found());
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return still.map((p) => `lab: ${p.package} is missing (${p.usedFor}); install it with: ${sudo}apt-get install -y ${p.package}`);
}
