/**
 * npm run lint's last step: no line of code over 140 characters (Biome's formatter wraps code to
 * that width but leaves long strings and comments alone). Data files are exempt: results, test
 * fixtures, JSON. Lists each offender as path:line and exits 1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ROOT } from './lib/paths.ts';

const MAX_LINE = 140;
const CODE = /\.(ts|js|mjs|html|css)$/;
const DATA = /^(results|test\/fixtures)\//;

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  // A file deleted in the working tree but not yet committed is still in the index: skip it.
  .filter((f) => CODE.test(f) && !DATA.test(f) && existsSync(`${ROOT}${f}`));
const long: string[] = [];
for (const file of files) {
  for (const [i, line] of readFileSync(`${ROOT}${file}`, 'utf8').split('\n').entries()) {
    if (line.length > MAX_LINE) long.push(`${file}:${i + 1}: ${line.length} characters`);
  }
}
if (long.length > 0) {
  process.stderr.write(`${long.join('\n')}\nlint: ${long.length} lines over ${MAX_LINE} characters\n`);
  process.exitCode = 1;
}
