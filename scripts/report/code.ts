/**
 * The few lines of code that matter, quoted from the lab's own files at build time, so the
 * report never shows code that has drifted from what ran.
 */
import { readFileSync } from 'node:fs';
import { ROOT } from '../lib/paths.ts';

export interface Excerpt {
  /** Path from the project root. */
  file: string;
  /** 1-based line of the first line shown. */
  line: number;
  code: string;
}

/**
 * The lines from the first one matching `start` through the first later line matching `end`
 * (inclusive), at most `max` lines. Throws when the anchor is gone: a stale excerpt is a bug.
 */
export function excerpt(file: string, start: RegExp, end: RegExp, max = 30): Excerpt {
  const lines = readFileSync(`${ROOT}${file}`, 'utf8').split('\n');
  const from = lines.findIndex((l) => start.test(l));
  if (from === -1) throw new Error(`lab: report excerpt anchor ${start} not found in ${file}`);
  let to = from;
  while (to < lines.length - 1 && to - from < max - 1 && !end.test(lines[to]!)) to++;
  return { file, line: from + 1, code: lines.slice(from, to + 1).join('\n') };
}
