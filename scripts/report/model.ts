/**
 * The report's content, independent of its format: sections of blocks built from the results.
 * html.ts and markdown.ts render it. Verdicts and explanations come from claims.json (computed by
 * the scenarios, the load runner); the "why" text and code excerpts come from teaching.ts.
 */
import type { ScenarioRecord } from '../../scenarios/types.ts';
import { CLAIMS, type ClaimResult } from '../lib/claims.ts';
import type { StepResult } from '../load/types.ts';
import type { ChartSpec } from './charts.ts';
import type { ReportInputs } from './inputs.ts';
import { lifecycleTable } from './lifecycle.ts';
import { loadSection } from './load-section.ts';
import { scenarioCharts, scenarioTables } from './scenario-charts.ts';
import { claimTeaching, extraSections } from './teaching.ts';
import { decisionGuide } from './decision-guide.ts';
import { basicsSection } from './basics.ts';
import { handshakesSection } from './sequence.ts';
import { withExercise } from './exercises.ts';
import { articlesSections } from './articles-section.ts';
import { clusterSection } from './cluster-section.ts';
import { proxySection } from './proxy-section.ts';
import { reliabilitySection } from './reliability.ts';
import { runsOf } from './spread.ts';
import { wireSections } from './wire-sections.ts';
import { formatValue, leadSentences, type Block, type Cell, type Section } from './blocks.ts';
import { engineItems, enginesCell, enginesDiffer, evidenceLine, holdsInLine, leadOf, spoken } from './engines.ts';
import { ENGINE_NAME, ENGINES } from '../lib/browser.ts';

type Claim = (typeof CLAIMS)[number];

export interface ReportModel {
  title: string;
  subtitle: string;
  charts: ChartSpec[];
  sections: Section[];
  /** Verdict rows in claim order, for the Markdown and the README. */
  verdicts: { claim: Claim; result: ClaimResult | null; evidence: string; engines: string }[];
}

/** Each engine of the scenarios run: its version, binary and engine-specific settings, or why it did not run. */
function browserRows(inputs: ReportInputs): Cell[][] {
  const runs = inputs.scenarios?.browsers ?? [];
  const rows: Cell[][] = runs.map((b) => [
    ENGINE_NAME[b.engine],
    b.found && b.version
      ? [`${b.version}${b.path ? ` (${b.path})` : ''}`, ...b.settings, ...(b.note ? [b.note] : [])].join('; ')
      : `not run: ${b.note ?? 'not found'}`,
  ]);
  // The wire capture runs in Chromium only (it reads Chromium's TLS key log).
  if (inputs.wire?.meta.chromium) rows.push(['wire capture', `Chromium ${inputs.wire.meta.chromium}`]);
  return rows.length ? rows : [['browsers', 'not used']];
}

function runSection(inputs: ReportInputs, charts: ChartSpec[]): Section {
  const meta = inputs.scenarios?.meta ?? inputs.load?.meta ?? inputs.wire?.meta;
  const rows: Cell[][] = [];
  if (meta) {
    const m = meta.machine;
    rows.push(['machine', `${m.cpuModel}, ${m.cpus} CPUs, ${m.memoryGiB} GiB, ${m.platform} ${m.release} ${m.arch}`]);
    rows.push(['Node', meta.node]);
    rows.push(...browserRows(inputs));
    rows.push([
      'libraries',
      Object.entries(meta.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
  }
  const sources: [string, { date: string; commit: string } | undefined, string][] = [
    [
      'scenarios',
      inputs.scenarios?.meta,
      inputs.scenarios
        ? `${inputs.scenarios.records.length} records in ` +
          `${(inputs.scenarios.scenarios.reduce((a, s) => a + s.durationMs, 0) / 1000).toFixed(0)} s`
        : '',
    ],
    [
      'load',
      inputs.load?.meta,
      inputs.load
        ? `profile ${inputs.load.profile}, ${inputs.load.steps.length} steps × ${inputs.load.options.repeats ?? 1} run(s) in ` +
          `${inputs.load.elapsedS.toFixed(0)} s` +
          `${inputs.load.aborted ? ' (aborted early)' : ''}`
        : '',
    ],
    ['wire', inputs.wire?.meta, inputs.wire ? `${Object.keys(inputs.wire.transports).length} transports` : ''],
  ];
  for (const [name, m, what] of sources) rows.push([`${name} run`, m ? `${m.date}, commit ${m.commit}: ${what}` : 'not run']);
  const blocks: Block[] = [
    {
      kind: 'p',
      text:
        `${charts.length} charts. Every figure in this report was measured on this machine by the runs listed here; ` +
        'nothing is typed in.',
    },
    { kind: 'table', head: ['', ''], rows },
  ];
  if (inputs.missing.length > 0) blocks.push({ kind: 'p', text: 'Missing from this report:' }, { kind: 'list', items: inputs.missing });
  return { id: 'run', title: 'What was run', blocks };
}

/** A compact view of a scenario record: its key counts and facts. */
function recordSummary(record: ScenarioRecord): string {
  const o = record.observed;
  const pairs = [
    ...Object.entries(o.counts ?? {}),
    ...Object.entries(o.bytes ?? {}),
    ...Object.entries(o.facts ?? {}).filter(([, v]) => typeof v !== 'object' || v === null),
  ];
  if (o.readyState !== undefined) pairs.push(['readyState', o.readyState]);
  return pairs
    .slice(0, 8)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(', ');
}

function recordDetails(record: ScenarioRecord): Block {
  const o = record.observed;
  const blocks: Block[] = [
    {
      kind: 'p',
      text: `Setup: ${
        Object.entries(record.setup)
          .map(([k, v]) => `${k}=${formatValue(v)}`)
          .join(', ') || 'defaults'
      }`,
    },
  ];
  const facts = [...Object.entries(o.counts ?? {}), ...Object.entries(o.bytes ?? {}), ...Object.entries(o.facts ?? {})];
  if (facts.length) blocks.push({ kind: 'table', head: ['observed', 'value'], rows: facts.map(([k, v]) => [k, formatValue(v)]) });
  if (o.server?.requests?.length) {
    blocks.push({
      kind: 'table',
      caption: 'Requests as the server side received them',
      head: ['t (ms)', 'conn', 'request', 'headers'],
      rows: o.server.requests.slice(0, 12).map((r) => [
        r.t.toFixed(0),
        r.connection,
        `${r.method} ${r.path}`,
        Object.entries(r.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; '),
      ]),
    });
  }
  if (o.events?.length) {
    blocks.push({
      kind: 'table',
      caption: 'Events',
      head: ['t (ms)', 'source', 'event', 'detail'],
      rows: o.events.slice(0, 24).map((e) => [e.t.toFixed(0), e.source, e.type, e.detail ? formatValue(e.detail) : null]),
    });
  }
  return { kind: 'details', summary: `\`${record.id}\` — ${record.title}`, blocks };
}

function stepSummary(step: StepResult): string {
  return (
    `${step.transport}, ${step.clients} clients at ${step.rate}/s${step.padding ? ` +${step.padding} B` : ''}` +
    `${runsOf(step) > 1 ? ` (median of ${runsOf(step)} runs)` : ''}: status ${step.status}, ` +
    `p99 ${formatValue(step.delivery.latencyMs.p99)} ms, heap/conn ${formatValue(step.server.perConnection.heapBytes)} B, ` +
    `CPU/1k ${formatValue(step.server.netCpuMsPer1kDeliveries)} ms, lost ${step.delivery.lost}`
  );
}

/** A browser claim's figures, one column per engine that has any. */
function engineFigures(result: ClaimResult): Block[] {
  const engines = ENGINES.filter((e) => Object.keys(result.engines?.[e]?.figures ?? {}).length > 0);
  const names = [...new Set(engines.flatMap((e) => Object.keys(result.engines![e]!.figures!)))];
  if (names.length === 0) return [];
  return [
    {
      kind: 'table',
      caption: `The figures each engine's verdict was computed from (${result.decidedBy}, ${spoken(engines.map((e) => ENGINE_NAME[e]))}):`,
      head: ['figure', ...engines.map((e) => ENGINE_NAME[e])],
      rows: names.map((k) => [
        k,
        ...engines.map((e) => (k in result.engines![e]!.figures! ? formatValue(result.engines![e]!.figures![k]) : null)),
      ]),
    },
  ];
}

/** The last sentence of a verdict's explanation: every rule closes on a plain sentence stating what it found. */
function closingOf(explanation: string): string {
  return (
    explanation
      .trim()
      .split(/(?<=[.!?])\s+/)
      .at(-1) ?? explanation
  );
}

/** The answer in a sentence or two: the rule's closing sentence, each engine's where the engines differ. */
function answerOf(result: ClaimResult): string {
  if (!result.engines) return closingOf(result.explanation);
  const ran = ENGINES.filter((e) => result.engines![e] && result.engines![e]!.verdict !== 'not-run');
  const closings = ran.map((e) => [e, closingOf(result.engines![e]!.explanation)] as const);
  if (new Set(closings.map(([, c]) => c)).size <= 1) return closings[0]?.[1] ?? result.explanation;
  return closings.map(([e, c]) => `${ENGINE_NAME[e]}: ${c}`).join(' ');
}

/** The mechanism in a sentence or two; the rest of the "why" (more mechanism, what was measured here) folds under them. */
function whyInBrief(why: Block[]): Block[] {
  const [first, ...more] = why;
  if (first?.kind !== 'p') return why;
  const [lead, rest] = leadSentences(first.text, 15);
  const folded: Block[] = [...(rest ? [{ kind: 'p' as const, text: rest }] : []), ...more];
  return [
    { kind: 'p', text: `**Why.** ${lead}` },
    ...(folded.length ? [{ kind: 'details' as const, summary: 'More on why', blocks: folded }] : []),
  ];
}

/**
 * A claim as a student reads it: where it comes from, the verdict and the answer, why (the mechanism), what changes
 * in production, the charts; then the evidence, collapsed: each engine's account, the figures, the matrices, the
 * records and the code.
 */
function claimSection(claim: Claim, result: ClaimResult | null, inputs: ReportInputs, charts: ChartSpec[]): Section {
  const blocks: Block[] = [];
  const evidence: Block[] = [];
  blocks.push({
    kind: 'p',
    text:
      `Source: ${claim.source}${'after' in claim ? `, after ${claim.after}` : ''}.` +
      `${'original' in claim && claim.original ? ` Original: “${claim.original}”` : ''}`,
  });
  if (!result) {
    blocks.push({ kind: 'verdict', verdict: 'not-run', text: 'No run in these results decided this claim.' });
  } else if (result.engines) {
    // A browser claim: where it holds (where the engines differ, the verdicts module's lead sentence says how), then the
    // answer; each engine's account goes to the evidence.
    const text = enginesDiffer(result) ? `${holdsInLine(result)} ${leadOf(result)}` : holdsInLine(result);
    blocks.push({ kind: 'verdict', verdict: result.verdict, text }, { kind: 'p', text: `**Answer.** ${answerOf(result)}` });
    evidence.push({ kind: 'list', items: engineItems(result) }, ...engineFigures(result));
  } else {
    blocks.push({ kind: 'verdict', verdict: result.verdict, text: answerOf(result) });
    evidence.push({ kind: 'p', text: result.explanation });
    const figures = Object.entries(result.figures ?? {});
    if (figures.length)
      evidence.push({
        kind: 'table',
        caption: `The figures the verdict was computed from (${result.decidedBy}):`,
        head: ['figure', 'value'],
        rows: figures.map(([k, v]) => [k, formatValue(v)]),
      });
  }
  const teaching = claimTeaching(claim.id, inputs);
  blocks.push(...whyInBrief(teaching.why));
  if (teaching.production) blocks.push({ kind: 'p', text: `**In production.** ${teaching.production}` });
  // A chart is drawn in the first section that uses it; later sections link back to it.
  for (const chart of charts.filter((c) => c.claims.includes(claim.id))) {
    const first = chart.claims[0] === claim.id;
    blocks.push(first ? { kind: 'chart', id: chart.id } : { kind: 'p', text: `Chart: [${chart.title}](#fig-${chart.id}).` });
  }
  for (const table of inputs.scenarios ? scenarioTables(inputs.scenarios) : [])
    if (table.claims[0] === claim.id) evidence.push(table.block);
  // A backgrounded tab and the back/forward cache: reconnection as a user meets it, with no network fault at all.
  const lifecycle = claim.id === 'sse-auto-reconnect' && inputs.scenarios ? lifecycleTable(inputs.scenarios) : null;
  if (lifecycle) evidence.push(lifecycle);
  const records = (result?.records ?? []).map((id) => ({
    id,
    record: inputs.scenarios?.records.find((r) => r.id === id),
    step: inputs.load?.steps.find((s) => s.id === id),
  }));
  if (records.length) {
    evidence.push({
      kind: 'table',
      caption: 'The records this verdict rests on',
      head: ['record', 'status', 'what was observed'],
      rows: records.map(({ id, record, step }) => [
        `\`${id}\``,
        record?.status ?? (step ? step.status : 'not in these results'),
        record ? recordSummary(record) : step ? stepSummary(step) : null,
      ]),
    });
    const details = records.flatMap(({ record }) => (record ? [recordDetails(record)] : []));
    if (details.length) evidence.push({ kind: 'details', summary: 'Each record in full', blocks: details, htmlOnly: true });
  }
  evidence.push(...teaching.code);
  if (evidence.length) blocks.push({ kind: 'details', summary: 'Evidence', blocks: evidence });
  return { id: `claim-${claim.id}`, title: claim.statement, blocks };
}

/**
 * A section as a student first sees it: the first sentence or two of its opening paragraph and of each paragraph that
 * leads with a bold word ("What it means."), its charts and diagrams; the rest collapsed after them, in order.
 */
function collapsed(section: Section): Section {
  const visible: Block[] = [];
  const rest: Block[] = [];
  let paragraphs = 0;
  for (const block of section.blocks) {
    // A paragraph that ends in a colon introduces the block after it: both fold.
    const introduces = block.kind === 'p' && block.text.trimEnd().endsWith(':');
    if (block.kind === 'p' && !introduces && (paragraphs++ === 0 || block.text.startsWith('**'))) {
      // A sentence or two of each in view; the rest of the paragraph opens the details, in order.
      const [lead, more] = leadSentences(block.text, 25);
      visible.push({ kind: 'p', text: lead });
      if (more) rest.push({ kind: 'p', text: more });
    } else (block.kind === 'chart' || block.kind === 'figure' || block.kind === 'verdict' ? visible : rest).push(block);
  }
  if (rest.length === 0) return section;
  return { ...section, blocks: [...visible, { kind: 'details', summary: 'Details', blocks: rest }] };
}

export function buildModel(inputs: ReportInputs): ReportModel {
  const proxy = proxySection(inputs);
  const cluster = clusterSection(inputs);
  const load = loadSection(inputs);
  const charts = [...load.charts, ...(inputs.scenarios ? scenarioCharts(inputs.scenarios) : []), ...proxy.charts, ...cluster.charts];
  const verdicts = CLAIMS.map((claim) => {
    const result = inputs.claims.claims[claim.id] ?? null;
    return { claim, result, evidence: evidenceLine(result), engines: enginesCell(result) };
  });
  const verdictSection: Section = {
    id: 'verdicts',
    title: 'Verdicts',
    blocks: [
      {
        kind: 'table',
        head: ['claim', 'source', 'verdict', 'engines'],
        rows: verdicts.map((v) => [
          `[${v.claim.statement}](#claim-${v.claim.id})`,
          v.claim.source,
          `{${v.result?.verdict ?? 'not-run'}}`,
          v.engines,
        ]),
      },
    ],
  };
  const rest: Section[] = [
    runSection(inputs, charts),
    verdictSection,
    ...verdicts.map((v) => claimSection(v.claim, v.result, inputs, charts)),
    ...articlesSections(inputs),
    ...load.sections,
    proxy.section,
    cluster.section,
    ...(inputs.wire ? wireSections(inputs.wire) : []),
    ...(inputs.abuse || inputs.fuzz ? [reliabilitySection(inputs.abuse, inputs.fuzz)] : []),
    ...extraSections(inputs),
  ];
  // The glossary links only to sections this report has (a run without the wire capture has no "What is on the wire").
  const sections = [
    decisionGuide(inputs),
    basicsSection(new Set(rest.map((s) => s.id))),
    handshakesSection(inputs.wire),
    ...rest.map((s) => (s.id.startsWith('claim-') || s.id === 'verdicts' ? s : collapsed(s))),
  ].map(withExercise);
  const linked = withoutDeadLinks(sections, new Set([...sections.map((s) => s.id), ...charts.map((c) => `fig-${c.id}`)]));
  const ran = (inputs.scenarios?.browsers ?? []).filter((b) => b.found).map((b) => ENGINE_NAME[b.engine]);
  return {
    title: 'SSE vs WebSocket: the claims, tested',
    subtitle:
      'Server-Sent Events, raw WebSocket and socket.io pushing the same deterministic quote feed, tested ' +
      `${ran.length ? `in real ${spoken(ran)} and ` : ''}with Node clients, and measured side by side with a raw-TCP floor.`,
    charts,
    sections: linked,
    verdicts,
  };
}

/**
 * The sections with every link to a section or chart these results lack turned into its plain text: the teaching text
 * links to "Load figures" or "Scaling out" whether or not this run has them.
 */
function withoutDeadLinks(sections: Section[], ids: ReadonlySet<string>): Section[] {
  const text = JSON.stringify(sections).replace(/\[([^\]]*)\]\(#([\w-]+)\)/g, (link, words, id) => (ids.has(id) ? link : words));
  return JSON.parse(text) as Section[];
}
