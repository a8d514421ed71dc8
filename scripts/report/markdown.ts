/**
 * results/report.md: the HTML report's sections in the same order with the same blocks, in Markdown: each chart as a
 * table of its figures, each sequence diagram as its arrows in text, each fold as a <details> block; plus the verdict
 * table with its evidence column and the key load figures after the verdicts. The README embeds the verdict table.
 */
import type { LoadResults } from '../load/types.ts';
import { type Block, type Cell, formatValue, type Section } from './blocks.ts';
import { type ChartSpec, type Dataset, LABELS } from './charts.ts';
import { prose } from './html.ts';
import type { ReportModel } from './model.ts';
import { cpuJudged, runsCount, spreadOf, withRange } from './spread.ts';

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
  const sweep = load.steps.filter((s) => s.phase === 'clients' && !s.proxy);
  const largest = Math.max(...sweep.map((s) => s.clients));
  const rows = sweep
    .filter((s) => s.clients === largest)
    .map((s) =>
      row([
        LABELS[s.transport],
        s.clients,
        s.status,
        `${withRange(s.delivery.latencyMs.p50, spreadOf(s, 'p50Ms'))} / ${withRange(s.delivery.latencyMs.p99, spreadOf(s, 'p99Ms'))}`,
        withRange(s.server.perConnection.heapBytes, spreadOf(s, 'heapPerConnectionBytes'), 0),
        cpuJudged(s) ? withRange(s.server.netCpuMsPer1kDeliveries, spreadOf(s, 'netCpuMsPer1kDeliveries'), 3) : 'not judged',
        formatValue(s.server.bytesPerDelivery),
        s.delivery.lost,
      ]),
    );
  return [
    `Largest step of the client sweep (${largest} clients, ${load.options.rate} quote/s, ${load.options.duration} s window; ` +
      `${runsCount(sweep) ? `each figure the median of ${runsCount(sweep)} runs, min–max in brackets` : 'one run each, not repeated'}):`,
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
  ].join('\n');
}

/** A table cell: a `{verdict}` cell in bold, everything else as is, pipes escaped. */
const tableCell = (value: Cell) => {
  if (value === null) return '–';
  const verdict = /^\{(confirmed|refuted|depends|not-run)\}$/.exec(String(value));
  return cell(verdict ? `**${verdict[1]}**` : String(value));
};

function table(head: string[], rows: Cell[][]): string {
  return [row(head.map(cell)), row(head.map(() => '---')), ...rows.map((r) => row(r.map(tableCell)))].join('\n');
}

/** A chart in Markdown: its title and caption, then its figures as a table, a whisker's range in brackets. */
function chartTable(spec: ChartSpec): string {
  const { labels, datasets } = spec.config.data;
  // Three significant digits, whole numbers from 100 up: a chart's figure, not a measurement's full precision.
  const num = (v: number) => String(Math.abs(v) >= 100 ? Math.round(v) : Number(v.toPrecision(3)));
  const value = (ds: Dataset, i: number): Cell => {
    const v = ds.data[i];
    if (typeof v !== 'number') return null;
    const range = ds.whiskers?.[i];
    return `${ds.marks?.[i] ?? num(v)}${range ? ` (${num(range[0])}–${num(range[1])})` : ''}`;
  };
  const flat = datasets.every((ds) => ds.data.every((v) => v === null || typeof v === 'number'));
  return [
    `<a id="fig-${spec.id}"></a>**Figure: ${spec.title}.** ${spec.caption}`,
    ...(flat
      ? [
          '',
          table(
            ['', ...datasets.map((d) => d.label)],
            labels.map((l, i) => [String(l), ...datasets.map((d) => value(d, i))]),
          ),
        ]
      : []),
  ].join('\n');
}

/**
 * What rendering one report needs: the charts by id, those drawn so far (a chart is drawn where it first appears, as in
 * the HTML; later uses link to it), and the section being rendered (for links into the HTML).
 */
interface Context {
  charts: Map<string, ChartSpec>;
  drawn: Set<string>;
  section: string;
}

/** One block of the model in Markdown: the same content as the HTML, charts as tables of their figures. */
function blockMarkdown(block: Block, context: Context): string {
  switch (block.kind) {
    case 'p':
      return block.text;
    case 'verdict':
      return `**${block.verdict}** ${block.text}`;
    case 'list':
      return block.items.map((i) => `- ${i.replace(/\n/g, ' ')}`).join('\n');
    case 'table':
      return [...(block.caption ? [block.caption, ''] : []), table(block.head, block.rows)].join('\n');
    case 'chart': {
      const spec = context.charts.get(block.id);
      if (!spec) return `Chart ${block.id}: no data in this run.`;
      if (context.drawn.has(spec.id)) return `Chart: [${spec.title}](#fig-${spec.id}).`;
      context.drawn.add(spec.id);
      return chartTable(spec);
    }
    case 'code':
      return `${block.file}:${block.line}\n\n\`\`\`\n${block.code}\n\`\`\``;
    case 'details':
      if (block.htmlOnly) return `${block.summary}: in [report.html](./report.html#${context.section}).`;
      // GitHub renders Markdown inside <details> when blank lines set it apart.
      return [
        // GitHub renders no Markdown inside <summary>: its label goes as HTML.
        `<details><summary>${prose(block.summary)}</summary>`,
        ...block.blocks.map((b) => blockMarkdown(b, context)),
        '</details>',
      ].join('\n\n');
    case 'figure':
      return [block.caption, ...(block.text ? ['```', block.text, '```'] : [])].join('\n');
    case 'bytes':
      return table(
        ['offset', 'hex', 'text', 'meaning'],
        block.rows.map((r) => [r.offset, `\`${r.hex}\``, `\`${r.text}\``, r.meaning]),
      );
  }
}

function sectionMarkdown(section: Section, context: Omit<Context, 'section'>): string {
  return [
    `<a id="${section.id}"></a>`,
    '',
    `## ${section.title}`,
    '',
    section.blocks.map((b) => blockMarkdown(b, { ...context, section: section.id })).join('\n\n'),
    '',
  ].join('\n');
}

export function renderMarkdown(model: ReportModel, load: LoadResults | null, runLine: string): string {
  const context = { charts: new Map(model.charts.map((c) => [c.id, c])), drawn: new Set<string>() };
  return [
    `# ${model.title}`,
    '',
    model.subtitle,
    '',
    runLine,
    '',
    `<details><summary>Contents: ${model.sections.length} sections</summary>`,
    '',
    ...model.sections.map((s, i) => `${i + 1}. [${cell(s.title)}](#${s.id})`),
    '',
    '</details>',
    '',
    ...model.sections.map((s) =>
      s.id === 'verdicts'
        ? // The verdict table in Markdown names each verdict's evidence too (the README embeds it); the key load figures follow.
          sectionMarkdown({ ...s, blocks: [{ kind: 'p', text: verdictTable(model, '') }] }, context) +
          (load ? ['', '**Key figures**', '', keyFigures(load), ''].join('\n') : '')
        : sectionMarkdown(s, context),
    ),
  ].join('\n');
}
