/**
 * The Debian programs the lab drives for real — Chromium, nginx, tshark — found, installed where
 * the machine allows it (Debian or Ubuntu, as root: `apt-get install -y`), or named in one clear
 * line each. Never a silent skip: whatever is still missing is listed, and the tests or stages that
 * need it fail saying so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { findChromium } from './browser.ts';
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
];

/** Where Debian's nginx service keeps its pid: the package starts the service on install where policy allows it. */
const NGINX_SERVICE_PID = '/run/nginx.pid';

/** The lab runs its own nginx on loopback; a system service the install started (listening on port 80) is stopped again. */
function stopPackagedNginx(log: (line: string) => void): void {
  if (!existsSync(NGINX_SERVICE_PID)) return;
  const pid = Number(readFileSync(NGINX_SERVICE_PID, 'utf8').trim());
  try {
    process.kill(pid, 'SIGQUIT');
    log(`lab: stopped the nginx service the package started (pid ${pid}); the lab starts its own nginx when it needs one`);
  } catch {
    // not running after all
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
      const serviceBefore = existsSync(NGINX_SERVICE_PID);
      execFileSync('apt-get', ['install', '-y', '-qq', ...names], { env, stdio: 'inherit' });
      if (!serviceBefore) stopPackagedNginx(log);
    } catch (error) {
      log(`lab: apt-get failed: ${(error as Error).message}`);
    }
  }
  const still = programs.filter((p) => !p.found());
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return still.map((p) => `lab: ${p.package} is missing (${p.usedFor}); install it with: ${sudo}apt-get install -y ${p.package}`);
}
