/**
 * The report's programmatic API: read results -> build the model -> write report.html and
 * report.md (and chart PNGs on request).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html.ts';
import { readInputs } from './inputs.ts';
import { renderMarkdown } from './markdown.ts';
import { buildModel, type ReportModel } from './model.ts';
import { renderPngs } from './png.ts';

export interface ReportOptions {
  /** Folder with claims.json, scenarios.json, load.json, wire.json. Default `results`. */
  resultsDir: string;
  /** Where report.html, report.md and charts/ go. Default: the results folder. */
  outDir: string;
  /** Also render each chart to charts/<id>.png in a headless browser (png.ts: Chromium if there is one, else Firefox). Default `false`. */
  png: boolean;
}

export interface ReportOutput {
  html: string;
  markdown: string;
  pngs: string[];
  model: ReportModel;
  missing: string[];
}

export async function buildReport(options: ReportOptions): Promise<ReportOutput> {
  const inputs = await readInputs(options.resultsDir);
  const model = buildModel(inputs);
  const html = join(options.outDir, 'report.html');
  const markdown = join(options.outDir, 'report.md');
  const meta = inputs.scenarios?.meta ?? inputs.load?.meta;
  const runLine = meta
    ? `Measured on ${meta.machine.cpus} × ${meta.machine.cpuModel}, ${meta.machine.memoryGiB} GiB, ` +
      `Node ${meta.node}, commit ${meta.commit}, ${meta.date}.`
    : '';
  await mkdir(options.outDir, { recursive: true }); // `npm run report -- --out DIR` may name a new folder
  await writeFile(html, renderHtml(model));
  await writeFile(markdown, renderMarkdown(model, inputs.load, runLine));
  const pngs = options.png
    ? await renderPngs(
        html,
        join(options.outDir, 'charts'),
        model.charts.map((c) => c.id),
      )
    : [];
  return { html, markdown, pngs, model, missing: inputs.missing };
}
