/**
 * "Reliability under hostile input": what each attack of the adversarial suite got from a real
 * server process (results/abuse.json, `npm run abuse`) and what the fuzzing campaign sent to every
 * input surface (results/fuzz.json, `npm run fuzz`). Figures only; the contract they are held to is
 * the README's "Secure by default".
 */
import type { AbuseFile, AttackRecord } from '../abuse/types.ts';
import type { FuzzResults } from '../fuzz/types.ts';
import { LABELS } from './charts.ts';
import { formatValue, type Block, type Section } from './blocks.ts';

const MiB = 1024 * 1024;
const mib = (bytes: number | null) => (bytes === null ? null : `${(bytes / MiB).toFixed(1)} MiB`);
const growth = (after: number | null, before: number | null) =>
  after === null || before === null ? null : `${after >= before ? '+' : ''}${((after - before) / MiB).toFixed(1)} MiB`;

/** The answer as observed, short enough for a table cell. */
function answer(record: AttackRecord): string {
  const text = Object.entries(record.answer)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(', ');
  return text.length > 220 ? `${text.slice(0, 217)}…` : text;
}

function abuseBlocks(abuse: AbuseFile): Block[] {
  const rows = abuse.records.map((r) => [
    r.defect,
    `${r.title} (\`${r.id}\`)`,
    LABELS[r.transport],
    r.serverUp ? 'yes' : `**no**${r.attackError ? `: ${r.attackError}` : ''}`,
    `${r.wellBehaved.received.join(' / ')} (${r.wellBehaved.gaps} gaps, ${r.wellBehaved.afterAttack} after)`,
    growth(r.memory.after.heapUsed, r.memory.baseline.heapUsed),
    `${growth(r.memory.after.rss, r.memory.baseline.rss) ?? '–'} (bound ${mib(r.memory.boundBytes)})`,
    r.shutdown.exitedBefore ? '**crashed before**' : `exit ${r.shutdown.exitCode ?? r.shutdown.signal} in ${r.shutdown.ms.toFixed(0)} ms`,
  ]);
  const blocks: Block[] = [
    {
      kind: 'p',
      text:
        'Each attack ran against its own server process started through the command-line contract, with two well-behaved clients ' +
        'connected and counting consecutive quotes; memory is heap after a forced GC and RSS from /proc, before the attack and after ' +
        `it with the attacking connections still held. ${abuse.records.length} attacks, ${abuse.environment.cpus} CPUs, ` +
        `Node ${abuse.environment.node}, ${abuse.generatedAt}.`,
    },
    {
      kind: 'table',
      caption:
        'What each abuse left behind ("bound" is what the attacking connections may hold: 1 MiB unsent plus one 64 KiB message each)',
      head: ['defect', 'attack', 'transport', 'server up', 'well-behaved quotes', 'heap after GC', 'RSS', 'SIGTERM'],
      rows,
    },
    {
      kind: 'details',
      summary: 'What each attack sent, and the answer as observed',
      blocks: [{ kind: 'table', head: ['attack', 'sent', 'answer'], rows: abuse.records.map((r) => [`\`${r.id}\``, r.attack, answer(r)]) }],
    },
  ];
  if (abuse.setupErrors.length)
    blocks.push(
      { kind: 'p', text: 'Attacks that could not run:' },
      { kind: 'list', items: abuse.setupErrors.map((e) => `\`${e.id}\`: ${e.error}`) },
    );
  return blocks;
}

function fuzzBlocks(fuzz: FuzzResults): Block[] {
  const failures = fuzz.surfaces.flatMap((s) => s.failures.map((f) => `${s.name}: ${f.error} — replay: \`${f.replay}\``));
  const budget = fuzz.minutes === null ? 'a fixed number of runs per surface' : `${fuzz.minutes} minute${fuzz.minutes === 1 ? '' : 's'}`;
  return [
    {
      kind: 'p',
      text:
        `Property-based fuzzing (fast-check) against live server processes: ${budget}, ${fuzz.seeds.length} seeds, ` +
        `${fuzz.totalInputs} inputs, ${fuzz.crashes} crashes, ${failures.length} inputs answered outside the contract. ` +
        'Each input must get a defined answer (a listed status with a JSON error body, a listed close code, or a closed connection), ' +
        'the server must stay up, and a watching client must keep receiving consecutive quotes.',
    },
    {
      kind: 'table',
      caption: 'Inputs per surface',
      head: ['surface', 'transports', 'inputs', 'runs', 'crashes', 'failures'],
      rows: fuzz.surfaces.map((s) => [
        s.name,
        s.transports.map((t) => LABELS[t]).join(', '),
        s.inputs,
        s.runs,
        s.crashes,
        s.failures.length,
      ]),
    },
    ...(failures.length ? [{ kind: 'list', items: failures } as Block] : []),
  ];
}

export function reliabilitySection(abuse: AbuseFile | null, fuzz: FuzzResults | null): Section {
  const blocks: Block[] = [];
  if (abuse) blocks.push(...abuseBlocks(abuse));
  if (fuzz) blocks.push(...fuzzBlocks(fuzz));
  return { id: 'reliability', title: 'Reliability under hostile input', blocks };
}
