/**
 * Publishes a run as the committed reference: copies results/*.json, report.html, report.md
 * and the chart PNGs into results/reference/, and writes the verdict table and the key charts
 * into the README between its `verdicts` markers.
 */
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenariosFile } from '../scenarios/types.ts';
import { bareVersion, ENGINE_NAME } from './lib/browser.ts';
import { ROOT } from './lib/paths.ts';
import { buildReport } from './report/build.ts';
import { verdictTable } from './report/markdown.ts';

const RESULTS = join(ROOT, 'results');
const REFERENCE = join(RESULTS, 'reference');
/** The charts the README shows, when the run has them. */
const README_CHARTS = [
  'memory-per-connection',
  'cpu-per-1k-deliveries',
  'latency-vs-clients',
  'binary-bytes-per-message',
  'reconnect-timeline',
  'proxy-buffering-arrivals',
  'ramp-highest-deliveries',
];

export async function publishReference(): Promise<void> {
  await mkdir(REFERENCE, { recursive: true });
  const names = [
    'claims.json',
    'scenarios.json',
    'load.json',
    'load-tls.json',
    'load-proxy.json',
    'load-cluster.json',
    'wire.json',
    'abuse.json',
    'fuzz.json',
  ];
  for (const name of names) {
    await copyFile(join(RESULTS, name), join(REFERENCE, name)).catch(() => console.log(`reference: no ${name} to copy`));
  }
  await rm(join(REFERENCE, 'charts'), { recursive: true, force: true }); // no PNG of a chart that no longer exists
  const out = await buildReport({ resultsDir: REFERENCE, outDir: REFERENCE, png: true });
  const meta = JSON.parse(await readFile(join(REFERENCE, 'load.json'), 'utf8').catch(() => '{}')) as {
    meta?: { machine: { cpus: number; cpuModel: string; memoryGiB: number }; node: string; commit: string; date: string };
  };
  const pngs = new Set(await readdir(join(REFERENCE, 'charts')).catch(() => [] as string[]));
  const charts = README_CHARTS.filter((id) => pngs.has(`${id}.png`)).map((id) => {
    const spec = out.model.charts.find((c) => c.id === id)!;
    return `**${spec.title}** — ${spec.caption}\n\n![${spec.title}](results/reference/charts/${id}.png)`;
  });
  const m = meta.meta;
  // Passes run later into the same results (some scenarios, the wire capture, one load file) say so, with their commit.
  const later = m ? await laterPasses(m.commit) : '';
  // The engines the browser verdicts come from, as the scenarios recorded them.
  const scenarios = JSON.parse(await readFile(join(REFERENCE, 'scenarios.json'), 'utf8').catch(() => '{}')) as Partial<ScenariosFile>;
  const engines = (scenarios.browsers ?? []).map((b) =>
    b.found && b.version
      ? `${ENGINE_NAME[b.engine]} ${bareVersion(b.version)}`
      : `${ENGINE_NAME[b.engine]} not run (${b.note ?? 'not found'})`,
  );
  const browsers = engines.length ? ` Browser verdicts from ${engines.join(' and ')}.` : '';
  const block = [
    '<!-- verdicts:start -->',
    '## Verdicts (reference run)',
    '',
    m
      ? `From the committed reference run in [results/reference/](results/reference/): ${m.machine.cpus} × ${m.machine.cpuModel}, ` +
        `${m.machine.memoryGiB} GiB, Node ${m.node}, commit ${m.commit}, ${m.date.slice(0, 10)}. ` +
        'Full report with evidence: [results/reference/report.html](results/reference/report.html) (open it locally; it works offline). ' +
        `Regenerate with \`npm run lab -- --full --reference\`.${browsers}${later}`
      : '',
    '',
    verdictTable(out.model, 'results/reference/report.html'),
    '',
    ...charts.flatMap((c) => [c, '']),
    '<!-- verdicts:end -->',
  ].join('\n');
  const readmePath = join(ROOT, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const updated = readme.replace(/<!-- verdicts:start -->[\s\S]*<!-- verdicts:end -->/, block);
  await writeFile(readmePath, updated);
  console.log(`reference: ${REFERENCE} and the README's verdict table updated`);
}

/** The results files a later pass may have replaced, and what a reader calls them. */
const PASSES: [file: string, what: string][] = [
  ['scenarios.json', 'the scenarios'],
  ['wire.json', 'the wire capture'],
  ['load-cluster.json', 'the scaled-out load pass'],
];

/** One sentence naming the passes whose commit is not the main run's, or '' when every file is the main run's. */
async function laterPasses(mainCommit: string): Promise<string> {
  const passes: string[] = [];
  for (const [file, what] of PASSES) {
    const meta = (
      JSON.parse(await readFile(join(REFERENCE, file), 'utf8').catch(() => '{}')) as { meta?: { commit: string; date: string } }
    ).meta;
    if (meta && meta.commit !== mainCommit) passes.push(`${what} (commit ${meta.commit}, ${meta.date.slice(0, 10)})`);
  }
  return passes.length ? ` Run later on the same machine and merged into these results: ${passes.join('; ')}.` : '';
}
