/**
 * The Debian programs the lab drives for real — Chromium and Firefox, nginx, tshark, redis-server — and the CJK fonts
 * its report PNGs need for the articles' Chinese quotes, found, installed
 * where the machine allows it (Debian or Ubuntu, as root: `apt-get install -y`, each command printed as it runs), or
 * named in one clear line each. Never a silent skip: whatever is still missing is listed, and the tests or stages that
 * need it fail saying so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { BROWSER_PACKAGE, ENGINE_NAME, ENGINES, findBrowser, installHint } from './browser.ts';
import { findRedis } from '../../servers/cluster/redis.ts';
import { findNginx } from '../../servers/proxy/nginx.ts';
import { tsharkPath } from '../wire/tshark.ts';

interface Program {
  /** The Debian package that provides it. */
  package: string;
  /** What the lab uses it for, in a few words. */
  usedFor: string;
  found(): boolean;
  /** How to get it, without sudo (a browser can also be pointed at with an environment variable). */
  hint: string;
}

const apt = (pkg: string) => ({ package: pkg, hint: `apt-get install -y ${pkg}` });

export const PROGRAMS: Program[] = [
  ...ENGINES.map((engine) => ({
    package: BROWSER_PACKAGE[engine],
    usedFor: `${ENGINE_NAME[engine]}: the browser scenarios${engine === 'chromium' ? ', the wire capture, the report PNGs' : ''}`,
    found: () => findBrowser(engine) !== undefined,
    hint: installHint(engine),
  })),
  { ...apt('nginx'), usedFor: 'the reverse-proxy scenarios and load', found: () => findNginx() !== undefined },
  { ...apt('tshark'), usedFor: 'decoding the HTTP/2 wire capture', found: () => tsharkPath() !== null },
  { ...apt('redis-server'), usedFor: 'the scale-out cluster (shared stream)', found: () => findRedis() !== undefined },
  { ...apt('fonts-noto-cjk'), usedFor: "the articles' Chinese quotes in the report, in the browser that renders it", found: hasCjkFont },
];

/** Whether fontconfig knows a font that covers Chinese (without one, the browser draws the quotes as boxes). */
function hasCjkFont(): boolean {
  const list = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return list.status === 0 && list.stdout.trim().length > 0;
}

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
 * Installs the missing programs when root on a machine with apt-get, printing each command it runs; returns one line
 * per program still missing afterwards (empty when all are there), each naming the command that installs it.
 */
export function ensurePrograms(programs = PROGRAMS, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string[] {
  const missing = programs.filter((p) => !p.found());
  if (missing.length === 0) return [];
  if (process.getuid?.() === 0 && hasAptGet()) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (args: string[]) => {
      log(`lab: running: apt-get ${args.join(' ')}`);
      execFileSync('apt-get', args, { env, stdio: 'inherit' });
    };
    const attempt = (step: () => void) => {
      try {
        step();
        return true;
      } catch (error) {
        log(`lab: apt-get failed: ${(error as Error).message.split('\n')[0]}`);
        return false;
      }
    };
    const names = missing.map((p) => p.package);
    // One install for all; if it fails (a package this distribution lacks, such as firefox-esr on Ubuntu, fails them
    // all), one at a time, so each program that can be installed is.
    const install = (packages: string[]) => attempt(() => withServicesHeld(() => run(['install', '-y', '-qq', ...packages])));
    if (attempt(() => run(['update', '-qq'])) && !install(names) && names.length > 1) for (const name of names) install([name]);
  }
  const still = programs.filter((p) => !p.found());
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return still.map((p) => `lab: ${p.package} is missing (${p.usedFor}); install it with: ${sudo}${p.hint}`);
}
