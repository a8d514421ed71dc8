/** results/report.md: the verdict table and the key figures, in Markdown (the README embeds the table). */
import type { LoadResults } from '../load/types.ts';
import { LABELS } from './charts.ts';
import { formatValue } from './blocks.ts';
import type { ReportModel } from './model.ts';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** One table row: `| a | b | … |`. */
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** The verdicts, one row per claim; "engines" says where a browser claim's verdict holds ("—": no browser record bears on it). */
export function verdictTable(model: ReportModel, link = './report.html'): string {
  const rows = model.verdicts.map((v) =>
    row([
      `[${cell(v.claim.statement)}](${link}#claim-${v.claim.id})`,
      v.claim.source,
      `**${v.result?.verdict ?? 'not-run'}**`,
      cell(v.engines),
      cell(v.evidence),
    ]),
  );
  return ['| claim | source | verdict | engines | evidence |', '|---|---|---|---|---|', ...rows].join('\n');
}

function keyFigures(load: LoadResults): string {
  const largest = Math.max(...load.steps.filter((s) => s.phase === 'clients').map((s) => s.clients));
  const rows = load.steps
    .filter((s) => s.phase === 'clients' && s.clients === largest)
    .map((s) =>
      row([
        LABELS[s.transport],
        s.clients,
        s.status,
        `${formatValue(s.delivery.latencyMs.p50)} / ${formatValue(s.delivery.latencyMs.p99)}`,
        formatValue(s.server.perConnection.heapBytes),
        formatValue(s.server.netCpuMsPer1kDeliveries),
        formatValue(s.server.bytesPerDelivery),
        s.delivery.lost,
      ]),
    );
  const ramp = load.ramp.map((r) =>
    row([
      LABELS[r.transport],
      `${formatValue(r.highestDeliveriesPerSecond)}${r.limitFound ? '' : ' (lower bound)'}`,
      formatValue(r.serverCoresAtHighest),
      formatValue(r.ratioToTcp),
      cell(r.stoppedBy),
    ]),
  );
  return [
    `Largest step of the client sweep (${largest} clients, ${load.options.rate} quote/s, ${load.options.duration} s window):`,
    '',
    row([
      'transport',
      'clients',
      'status',
      'latency p50 / p99 (ms)',
      'heap per connection (B)',
      'CPU ms per 1k deliveries',
      'bytes per delivery',
      'lost',
    ]),
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Rate ramp:',
    '',
    '| transport | highest deliveries/s | server cores there | ratio to TCP floor (where both limits were found) | stopped by |',
    '|---|---|---|---|---|',
    ...ramp,
  ].join('\n');
}

export function renderMarkdown(model: ReportModel, load: LoadResults | null, runLine: string): string {
  return [
    `# ${model.title}`,
    '',
    runLine,
    '',
    '## Verdicts',
    '',
    verdictTable(model),
    '',
    ...(load ? ['## Key figures', '', keyFigures(load), ''] : []),
    'Every claim with its evidence, charts and the code that matters: [report.html](./report.html).',
    '',
  ].join('\n');
}
