/**
 * The report as ONE self-contained HTML file: chart.js from node_modules inlined, no CDN, no
 * external fonts, no requests. Everything shown is escaped text from the model.
 */
import { readFileSync } from 'node:fs';
import type { ChartSpec } from './charts.ts';
import type { Block } from './blocks.ts';
import type { ReportModel } from './model.ts';
import { ROOT } from '../lib/paths.ts';

const CHART_JS = () => readFileSync(`${ROOT}node_modules/chart.js/dist/chart.umd.min.js`, 'utf8');

export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inline `code`, **bold** and links in otherwise escaped prose (also the Markdown's fold labels: GitHub renders none there). */
export function prose(text: string): string {
  return esc(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(((?:#|\.\/|https:\/\/)[^)\s]*)\)/g, '<a href="$2">$1</a>');
}

const badge = (verdict: string) => `<span class="verdict ${esc(verdict)}">${esc(verdict)}</span>`;

function table(head: string[], rows: (string | number | null)[][]): string {
  // A cell written as {verdict} renders as a badge; everything else is escaped prose.
  const cell = (v: string | number | null) => {
    if (v === null) return '–';
    const match = /^\{(confirmed|refuted|depends|not-run)\}$/.exec(String(v));
    return match ? badge(match[1]!) : prose(String(v));
  };
  const thead = head.some((h) => h !== '') ? `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` : '';
  const body = rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('');
  return `<div class="scroll"><table>${thead}<tbody>${body}</tbody></table></div>`;
}

function chart(spec: ChartSpec): string {
  return (
    `<figure class="chart" id="fig-${esc(spec.id)}"><h4>${esc(spec.title)}</h4>` +
    `<div class="canvas"${spec.height ? ` style="height:${spec.height}px"` : ''}>` +
    `<canvas id="${esc(spec.id)}" role="img" aria-label="${esc(spec.title)}"></canvas></div>` +
    // The title says what is drawn; what to notice, what each point is and how it was measured fold under it.
    `<figcaption><details><summary>What it shows, how it was measured</summary>${prose(spec.caption)}</details></figcaption></figure>`
  );
}

/**
 * A chart is drawn where it first appears; a later block of the same chart links to it (one canvas per id). `drawn` holds
 * the ids drawn so far in this page.
 */
export function renderBlock(block: Block, charts: Map<string, ChartSpec>, drawn = new Set<string>()): string {
  switch (block.kind) {
    case 'p':
      return `<p>${prose(block.text)}</p>`;
    case 'verdict':
      return `<p class="verdict-line">${badge(block.verdict)} ${prose(block.text)}</p>`;
    case 'list':
      return `<ul>${block.items.map((i) => `<li>${prose(i)}</li>`).join('')}</ul>`;
    case 'table':
      return `${block.caption ? `<p class="caption">${prose(block.caption)}</p>` : ''}${table(block.head, block.rows)}`;
    case 'chart': {
      const spec = charts.get(block.id);
      if (!spec) return `<p class="missing">Chart ${esc(block.id)}: no data in this run.</p>`;
      if (drawn.has(spec.id)) return `<p>Chart: <a href="#fig-${esc(spec.id)}">${esc(spec.title)}</a>.</p>`;
      drawn.add(spec.id);
      return chart(spec);
    }
    case 'code':
      return (
        `<figure class="code"><figcaption>${esc(block.file)}:${block.line}</figcaption>` +
        `<pre><code>${esc(block.code)}</code></pre></figure>`
      );
    case 'details': {
      const inner = block.blocks.map((b) => renderBlock(b, charts, drawn)).join('');
      return `<details><summary>${prose(block.summary)}</summary>${inner}</details>`;
    }
    case 'figure':
      return `<figure class="diagram">${block.svg}<figcaption>${prose(block.caption)}</figcaption></figure>`;
    case 'bytes': {
      const caption = block.caption ? `<p class="caption">${prose(block.caption)}</p>` : '';
      const head = '<thead><tr><th>offset</th><th>hex</th><th>text</th><th>meaning</th></tr></thead>';
      const rows = block.rows.map(
        (r) =>
          `<tr><td>${r.offset}</td><td><code>${esc(r.hex)}</code></td><td><code>${esc(r.text)}</code></td>` +
          `<td>${prose(r.meaning)}${r.decoded ? `<br><span class="decoded">${esc(r.decoded)}</span>` : ''}</td></tr>`,
      );
      return `${caption}<div class="scroll"><table class="bytes">${head}<tbody>${rows.join('')}</tbody></table></div>`;
    }
  }
}

/**
 * chart.js has no error bars, and the report loads nothing but its own file: this plugin draws a dataset's `whiskers`
 * ([low, high] per point: a repeated step's min–max, or the bracket a limit lies in) as a capped vertical line through
 * the point, and its `marks` (such as "≥" on a lower bound) as text above the point. Each canvas records how many
 * whiskers it drew in data-whiskers, for the tests.
 */
const MARKS_PLUGIN = `const labMarks = {
  id: 'labMarks',
  afterDatasetsDraw(chart) {
    const { ctx, chartArea } = chart;
    const clamp = (y) => Math.min(chartArea.bottom, Math.max(chartArea.top, y));
    let whiskers = 0;
    ctx.save();
    chart.data.datasets.forEach((dataset, i) => {
      if (!chart.isDatasetVisible(i)) return;
      const meta = chart.getDatasetMeta(i);
      const scale = chart.scales[meta.yAxisID];
      const line = meta.type === 'line';
      meta.data.forEach((point, j) => {
        if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) return;
        const range = dataset.whiskers && dataset.whiskers[j];
        if (range) {
          const [low, high] = range.map((v) => clamp(scale.getPixelForValue(v)));
          ctx.strokeStyle = line && typeof dataset.borderColor === 'string' ? dataset.borderColor : '#1d2330';
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(point.x, low);
          ctx.lineTo(point.x, high);
          for (const y of [low, high]) {
            ctx.moveTo(point.x - 4, y);
            ctx.lineTo(point.x + 4, y);
          }
          ctx.stroke();
          whiskers++;
        }
        const mark = dataset.marks && dataset.marks[j];
        if (mark) {
          ctx.fillStyle = '#1d2330';
          ctx.font = 'bold 12px system-ui, sans-serif';
          ctx.textAlign = 'center';
          ctx.textBaseline = 'bottom';
          ctx.fillText(mark, point.x, Math.max(chartArea.top + 12, point.y - 4));
        }
      });
    });
    ctx.restore();
    chart.canvas.dataset.whiskers = String(whiskers);
  },
};`;

const STYLE = `
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
color:#1d2330;background:#fafbfc;margin:0}
main{max-width:62rem;margin:0 auto;padding:1.5rem 1.2rem 4rem}
h1{font-size:1.8rem;margin:.2rem 0 .3rem}h2{margin-top:2.6rem;border-bottom:1px solid #dde1e7;padding-bottom:.2rem}
h3{margin-top:1.6rem}h4{margin:.2rem 0 .4rem;font-size:1rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem;width:100%}
th,td{border:1px solid #dde1e7;padding:.25rem .45rem;text-align:left;vertical-align:top}td{overflow-wrap:anywhere}
th{background:#eef1f5}td{font-variant-numeric:tabular-nums}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f5;padding:0 .2em;border-radius:3px}
pre{background:#1d2330;color:#e8ebf0;padding:.8rem;border-radius:6px;overflow:auto;font-size:.82rem}
pre code{background:none;color:inherit;padding:0}
.verdict{display:inline-block;white-space:nowrap;padding:0 .5em;border-radius:99px;font-size:.85em;font-weight:600}
.confirmed{background:#c9f2d3;color:#0b5d23}.refuted{background:#f8c9c9;color:#8a1c14}
.depends{background:#fff1b8;color:#6b5300}.not-run{background:#e3e6ea;color:#4a5263}
.source{color:#5b6475;font-size:.9rem}.original{color:#5b6475;font-style:italic}
figure{margin:1rem 0}.chart .canvas{position:relative;height:320px;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.4rem}
figcaption{font-size:.88rem;color:#4a5263;margin-top:.3rem}.caption{font-size:.9rem;color:#4a5263;margin-bottom:.2rem}
.code figcaption{font-family:ui-monospace,monospace;margin:0 0 .2rem}
details{margin:.4rem 0}summary{cursor:pointer;color:#234}table.bytes td:nth-child(2){white-space:nowrap}
.decoded{color:#5b6475;font-size:.85em}.missing{color:#8a1c14}.meta td:first-child{width:14rem;color:#4a5263}
nav ol{columns:2;font-size:.92rem}
p,li,summary,figcaption,h2,h3,h4{overflow-wrap:anywhere}.scroll{overflow-x:auto;max-width:100%}
figure.diagram{overflow-x:auto;max-width:100%}
@media (max-width:40rem){main{padding:1rem .7rem 3rem}nav ol{columns:1}.meta td:first-child{width:auto}}
`;

export function renderHtml(model: ReportModel): string {
  const charts = new Map(model.charts.map((c) => [c.id, c]));
  const drawn = new Set<string>();
  const sections = model.sections
    .map(
      (s) =>
        `<section id="${esc(s.id)}"><h2>${prose(s.title)}</h2>${s.blocks.map((b) => renderBlock(b, charts, drawn)).join('\n')}</section>`,
    )
    .join('\n');
  const toc = model.sections.map((s) => `<li><a href="#${esc(s.id)}">${prose(s.title)}</a></li>`).join('');
  const configs = JSON.stringify(Object.fromEntries(model.charts.map((c) => [c.id, c.config]))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(model.title)}</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><main>
<h1>${esc(model.title)}</h1>
<p>${prose(model.subtitle)}</p>
<details class="toc"><summary>Contents: ${model.sections.length} sections</summary><nav><ol>${toc}</ol></nav></details>
${sections}
</main>
<script>${CHART_JS()}</script>
<script>
${MARKS_PLUGIN}
const configs = ${configs};
Chart.register(labMarks);
// Every chart drawn at once, whatever its options: a PNG or a reader must never catch one mid-animation.
Chart.defaults.animation = false;
for (const [id, config] of Object.entries(configs)) {
  // An axis with ticks named by the report (labTicks: a log axis's values, a lane chart's lanes): those ticks only, with their labels.
  for (const scale of Object.values(config.options?.scales ?? {})) {
    const ticks = scale.labTicks;
    if (!ticks) continue;
    scale.afterBuildTicks = (axis) => { axis.ticks = ticks.map((t) => ({ value: t.value })); };
    scale.ticks = { ...scale.ticks, callback: (value) => ticks.find((t) => Math.abs(t.value - value) < 1e-9)?.label ?? value };
  }
  const canvas = document.getElementById(id);
  if (canvas) new Chart(canvas, config);
}
document.documentElement.dataset.chartsDrawn = String(Object.keys(configs).length);
</script>
</body></html>
`;
}
