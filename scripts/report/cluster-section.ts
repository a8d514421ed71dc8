/**
 * "Scaling out": the cluster (servers/cluster/) drawn as it runs, its nginx upstream and Redis configs as the lab writes
 * them, and what the five cluster scenarios recorded, one table each, linked to the claims they decide
 * (sse-event-ids-resume, ws-needs-own-resume-protocol, socketio-needs-sticky-sessions) and to the load runner's
 * `--nodes` pass.
 */
import { redisConfig } from '../../servers/cluster/redis.ts';
import { upstreamBlock } from '../../servers/proxy/profiles.ts';
import type { ScenarioRecord, ScenariosFile } from '../../scenarios/types.ts';
import type { Block, Cell, Section } from './blocks.ts';
import type { ChartSpec } from './charts.ts';
import type { ReportInputs } from './inputs.ts';
import { clusterLoadBlocks } from './cluster-load.ts';
import { clientOf, enginesOf } from './engines.ts';

/** The topology, drawn: clients, nginx, the nodes, Redis and the publisher. */
function topology(): string {
  const box = (x: number, y: number, w: number, h: number, title: string, sub: string) =>
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="#f4f6f9" stroke="#44546a"/>` +
    `<text x="${x + w / 2}" y="${y + 20}" text-anchor="middle" font-weight="bold">${title}</text>` +
    `<text x="${x + w / 2}" y="${y + 38}" text-anchor="middle" font-size="11">${sub}</text>`;
  const arrow = (x1: number, y1: number, x2: number, y2: number, label = '') =>
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#44546a" marker-end="url(#head)"/>` +
    (label ? `<text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 5}" text-anchor="middle" font-size="11">${label}</text>` : '');
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 250" width="760" height="250" role="img" ',
    'aria-label="Clients connect to nginx, which balances across the nodes; every node reads the Redis stream the publisher writes">',
    '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">',
    '<path d="M0,0 L10,5 L0,10 z" fill="#44546a"/></marker></defs>',
    '<g font-family="sans-serif" font-size="13" fill="#1b2430">',
    box(10, 95, 130, 50, 'clients', 'browsers, Node'),
    box(190, 95, 140, 50, 'nginx', 'upstream lab_nodes'),
    box(390, 30, 130, 50, 'node 0', 'servers/cli.ts --redis'),
    box(390, 160, 130, 50, 'node 1 …', 'same transport'),
    box(600, 95, 140, 50, 'Redis', 'stream lab:quotes'),
    box(600, 190, 140, 50, 'publisher', 'seeded feed, XADD'),
    arrow(140, 120, 190, 120, 'connect'),
    arrow(330, 112, 390, 60, 'round robin'),
    arrow(330, 128, 390, 180, 'or sticky'),
    arrow(600, 110, 520, 60, 'XREAD'),
    arrow(600, 130, 520, 180, 'XREAD'),
    arrow(670, 190, 670, 145, ''),
    '</g></svg>',
  ].join('');
}

const records = (scenarios: ScenariosFile, scenario: string) => scenarios.records.filter((r) => r.scenario === scenario);
const count = (r: ScenarioRecord, name: string): Cell => (r.status === 'observed' ? (r.observed.counts?.[name] ?? null) : null);
const fact = (r: ScenarioRecord, name: string) => (r.status === 'observed' ? r.observed.facts?.[name] : undefined);
/** A distribution fact (p50 / p99 / max ms) as one cell. */
const spread = (r: ScenarioRecord, name: string): Cell => {
  const d = fact(r, name) as { p50?: number; p99?: number; max?: number } | null | undefined;
  return d ? `${d.p50} / ${d.p99} / ${d.max}` : null;
};
const cell = (value: unknown): Cell => (value === undefined ? null : typeof value === 'object' ? JSON.stringify(value) : (value as Cell));

/** One table over a scenario's records: a row per record, its client (where browsers took part), its status, and the columns named. */
function recordTable(
  scenarios: ScenariosFile,
  scenario: string,
  caption: string,
  columns: [string, (r: ScenarioRecord) => Cell][],
): Block[] {
  const list = records(scenarios, scenario);
  if (list.length === 0)
    return [{ kind: 'p', text: `No \`${scenario}\` records in these results: run \`npm run scenarios -- ${scenario}\`.` }];
  const browsers = enginesOf(list).length > 0;
  return [
    {
      kind: 'table',
      caption,
      head: ['record', ...(browsers ? ['client'] : []), 'status', ...columns.map(([head]) => head)],
      rows: list.map((r) => [
        `\`${r.id}\``,
        ...(browsers ? [clientOf(r)] : []),
        r.status === 'observed' ? 'observed' : `not-run: ${r.reason ?? ''}`,
        ...columns.map(([, get]) => get(r)),
      ]),
    },
  ];
}

function scenarioTables(scenarios: ScenariosFile): Block[] {
  return [
    ...recordTable(
      scenarios,
      'cluster-node-death',
      'A node killed (SIGKILL) mid-stream, clients on both nodes. Back after: ms from the kill to each moved client’s ' +
        'next quote, p50 / p99 / max.',
      [
        ['clients', (r) => count(r, 'clients')],
        ['moved', (r) => count(r, 'movedClients')],
        ['lost', (r) => count(r, 'lost')],
        ['duplicated', (r) => count(r, 'duplicated')],
        ['out of order', (r) => count(r, 'outOfOrder')],
        ['back after (ms)', (r) => spread(r, 'backAfterMs')],
        ['recovered', (r) => cell(fact(r, 'recoveredClients'))],
      ],
    ),
    ...recordTable(
      scenarios,
      'cluster-rolling-restart',
      'A redeploy: each node stopped (SIGTERM) and started again in turn. Reconnect: ms to the next quote, p50 / p99 / ' +
        'max; storm: most new connections per second a surviving node took.',
      [
        ['clients', (r) => count(r, 'clients')],
        ['delivered', (r) => cell(fact(r, 'deliveryRatio'))],
        ['lost', (r) => count(r, 'lost')],
        ['duplicated', (r) => count(r, 'duplicated')],
        ['reconnect (ms)', (r) => spread(r, 'reconnectMs')],
        ['storm (conn/s)', (r) => cell(fact(r, 'stormPerNode'))],
        ['client loop delay p99 (ms)', (r) => cell((fact(r, 'clientLoopDelayMs') as { p99?: number } | undefined)?.p99)],
      ],
    ),
    ...recordTable(
      scenarios,
      'cluster-sticky',
      'Round robin against sticky (`hash $remote_addr`), clients from distinct 127.0.0.x addresses.',
      [
        ['clients', (r) => count(r, 'clients')],
        ['connected', (r) => count(r, 'connected')],
        ['quotes', (r) => count(r, 'quotes')],
        ['lost', (r) => count(r, 'lost')],
        ['HTTP 400', (r) => count(r, 'http400')],
        ['"Session ID unknown"', (r) => cell(fact(r, 'sessionUnknownErrors'))],
      ],
    ),
    ...recordTable(
      scenarios,
      'cluster-dead-peers',
      'Clients whose network went silent (no FIN, no RST): when the server freed them and when they noticed, ms after the silence began.',
      [
        ['heartbeat (ms)', (r) => cell(fact(r, 'heartbeatMs'))],
        ['freed by server', (r) => count(r, 'freedByServer')],
        ['server freed first / last (ms)', (r) => `${cell(fact(r, 'serverFreedFirstMs'))} / ${cell(fact(r, 'serverFreedLastMs'))}`],
        ['clients noticed', (r) => count(r, 'noticedByClients')],
        ['client noticed (ms)', (r) => spread(r, 'clientNoticedMs')],
        ['freed by', (r) => cell(fact(r, 'noticedBy'))],
        ['heap after GC, before / at the end (bytes)', (r) => `${cell(fact(r, 'heapBeforeBytes'))} / ${cell(fact(r, 'heapAfterBytes'))}`],
        ['slow-consumer bound trips after at least (s)', (r) => cell(fact(r, 'slowConsumerBoundAtLeastS'))],
      ],
    ),
    ...recordTable(
      scenarios,
      'cluster-restart',
      'Every node and the publisher restarted, with Redis kept (the stream survives) or restarted too (the stream gone).',
      [
        ['clients', (r) => count(r, 'clients')],
        ['lost', (r) => count(r, 'lost')],
        ['duplicated', (r) => count(r, 'duplicated')],
        ['resets (ahead)', (r) => count(r, 'resetsAhead')],
        ['silent steps back', (r) => cell(fact(r, 'silentRegressions'))],
        ['publisher resumed after', (r) => cell(fact(r, 'publisherResumedAfter'))],
      ],
    ),
  ];
}

export function clusterSection(inputs: ReportInputs): { section: Section; charts: ChartSpec[] } {
  const load = clusterLoadBlocks(inputs);
  const nodes = ['http://127.0.0.1:40001', 'http://127.0.0.1:40002'];
  const section: Section = {
    id: 'scaling-out',
    title: 'Scaling out: several processes, one Redis',
    blocks: [
      {
        kind: 'p',
        text:
          'One process is where these transports stop being alike. `npm run --silent cluster -- <sse|ws|socketio> --nodes N ' +
          '[--balance round-robin|sticky]` starts one Redis (Debian’s `redis-server`), one publisher, N server processes of ' +
          'the transport and nginx balancing across them. The publisher appends each quote to a Redis Stream whose entry ids ' +
          'are the quotes’ seqs, capped at the replay window; every node copies the stream at start-up and follows it, so a ' +
          'Last-Event-ID or `?since=` means the same on every node. socket.io nodes use `@socket.io/redis-streams-adapter`: the ' +
          'publisher broadcasts through it and recovery sessions live in Redis.',
      },
      {
        kind: 'figure',
        svg: topology(),
        caption: 'The cluster as the lab runs it: every box is a process the lab starts and stops by its pid.',
        text: [
          'clients (browsers, Node) → nginx (upstream lab_nodes: round robin, or sticky) → node 0, node 1 … (same transport)',
          'publisher (seeded feed) → XADD → Redis stream lab:quotes → XREAD → every node',
        ].join('\n'),
      },
      {
        kind: 'details',
        summary: 'nginx’s upstream, round robin and sticky (servers/proxy/profiles.ts, ahead of the `tuned` profile)',
        blocks: [
          { kind: 'code', file: 'servers/proxy/profiles.ts (round-robin)', line: 1, code: upstreamBlock(nodes, 'round-robin').trimEnd() },
          { kind: 'code', file: 'servers/proxy/profiles.ts (sticky)', line: 1, code: upstreamBlock(nodes, 'sticky').trimEnd() },
        ],
      },
      {
        kind: 'details',
        summary: 'Redis’s config (servers/cluster/redis.ts)',
        blocks: [
          { kind: 'code', file: 'servers/cluster/redis.ts', line: 1, code: redisConfig('<temporary directory>', '<free port>').trimEnd() },
        ],
      },
      ...(inputs.scenarios ? scenarioTables(inputs.scenarios) : [{ kind: 'p', text: 'No scenario results in this run.' } as Block]),
      {
        kind: 'p',
        text:
          'Verdicts these records decide: [SSE resumes by event id](#claim-sse-event-ids-resume), ' +
          '[a raw WebSocket needs its own resume protocol](#claim-ws-needs-own-resume-protocol), ' +
          '[socket.io needs sticky sessions](#claim-socketio-needs-sticky-sessions).',
      },
      ...load.blocks,
    ],
  };
  return { section, charts: load.charts };
}
