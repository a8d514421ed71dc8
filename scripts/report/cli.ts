/**
 * npm run report [-- --results results] [--out DIR] [--png]
 * Turns results/*.json into results/report.html (self-contained, offline) and results/report.md.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib/paths.ts';
import { buildReport } from './build.ts';

const { values } = parseArgs({
  options: { results: { type: 'string', default: 'results' }, out: { type: 'string' }, png: { type: 'boolean', default: false } },
});
const resultsDir = resolve(ROOT, values.results);
try {
  const out = await buildReport({ resultsDir, outDir: resolve(ROOT, values.out ?? values.results), png: values.png });
  for (const line of out.missing) console.log(`note: ${line}`);
  console.log(
    `${out.model.verdicts.filter((v) => v.result).length}/${out.model.verdicts.length} claims with a verdict, ` +
      `${out.model.charts.length} charts`,
  );
  if (out.pngs.length) console.log(`${out.pngs.length} chart PNGs in ${resolve(out.pngs[0]!, '..')}`);
  console.log(`report: ${out.html}`);
  console.log(`markdown: ${out.markdown}`);
} catch (error) {
  console.error((error as Error).message.startsWith('lab:') ? (error as Error).message : error);
  process.exitCode = 1;
}
