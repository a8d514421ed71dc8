/**
 * Real Chromium for the scenarios and the wire capture: Debian's `chromium` package driven by
 * playwright-core (never a downloaded browser). Playwright adds --headless and --no-sandbox itself
 * and owns --user-data-dir; the rest keep Chromium off the network, which is closed here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_INSTALL_HINT = 'apt-get update && apt-get install -y chromium';

export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium binary: $CHROMIUM_PATH, else Debian's, else undefined. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  try {
    candidates.push(execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim());
  } catch {
    // not on PATH
  }
  return candidates.find((path): path is string => !!path && existsSync(path));
}

export async function launchChromium(extraArgs: string[] = [], options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`lab: no Chromium found; install it with: ${CHROMIUM_INSTALL_HINT}`);
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], ...options });
}
