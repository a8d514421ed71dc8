/**
 * vitest global setup: the programs the tests drive for real (Chromium, Firefox, nginx, redis-server, tshark) are found or
 * installed before any test runs (scripts/lib/system-packages.ts). What cannot be installed is named
 * here, one line each, and the tests that need it fail with the same hint — never a silent skip.
 */
import { ensurePrograms } from '../../scripts/lib/system-packages.ts';

export default function setup(): void {
  for (const line of ensurePrograms()) process.stderr.write(`${line}\n`);
}
