/**
 * npm run abuse [-- --only 1,5]
 *
 * Runs the attack suite (index.ts), one attack after another, each on its own server process, with a
 * progress line before and a summary line after each; writes results/abuse.json. Exit code 1 when
 * any attack took its server down, any well-behaved client saw a gap, or an attack could not run;
 * 2 on bad arguments (a `lab:` line).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { LabError } from '../../servers/errors.ts';
import { writeJson } from '../lib/json.ts';
import { ROOT } from '../lib/paths.ts';
import { ATTACKS, runAttack, type AbuseFile, type Attack, type AttackRecord } from './index.ts';

const USAGE = 'usage: npm run abuse [-- --only 1,5]   (defect numbers 1..10, as in the README attack table)';
const ABUSE_PATH = `${ROOT}results/abuse.json`;

function parseOnly(raw: string | undefined): Set<number> | null {
  if (raw === undefined) return null;
  const defects = raw.split(',').map((part) => part.trim());
  for (const d of defects) {
    if (!/^(10|[1-9])$/.test(d)) throw new LabError('LAB_BAD_OPTION', `--only has ${JSON.stringify(d)}`, 'defect numbers 1..10');
  }
  return new Set(defects.map(Number));
}

const mib = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / 2 ** 20).toFixed(1)} MiB`;
const growth = (after: number | null, before: number | null) => (after === null || before === null ? 'n/a' : mib(after - before));

function exitText({ shutdown }: AttackRecord): string {
  if (shutdown.exitedBefore) return `had exited (${shutdown.exitCode ?? shutdown.signal})`;
  if (shutdown.killed) return `still running ${shutdown.ms} ms after SIGTERM, killed`;
  return `exit ${shutdown.exitCode ?? shutdown.signal} in ${shutdown.ms} ms`;
}

function summaryLine(r: AttackRecord): string {
  const { baseline, after } = r.memory;
  const c = r.counters;
  return [
    `defect ${String(r.defect).padStart(2)} ${r.transport.padEnd(8)} ${r.id.padEnd(38)}`,
    r.serverUp ? 'up  ' : 'DOWN',
    `gaps ${r.wellBehaved.gaps}, ${r.wellBehaved.afterAttack} after`,
    `heap ${growth(after.heapUsed, baseline.heapUsed)}, rss ${growth(after.rss, baseline.rss)}`,
    `violations ${c.violations ?? 'n/a'} refused ${c.refused ?? 'n/a'} dropped ${c.dropped ?? 'n/a'}`,
    exitText(r),
    ...(r.attackError ? [`attack error: ${r.attackError}`] : []),
  ].join(' | ');
}

async function main(): Promise<void> {
  let only: Set<number> | null;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { only: { type: 'string' } } });
    only = parseOnly(values.only);
  } catch (error) {
    const message = error instanceof LabError ? error.message : `lab: LAB_BAD_OPTION: ${(error as Error).message}`;
    process.stderr.write(`${message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const chosen: Attack[] = ATTACKS.filter((a) => !only || only.has(a.defect));
  const file: AbuseFile = {
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, cpus: os.cpus().length, platform: os.platform() },
    records: [],
    setupErrors: [],
  };
  for (const [i, attack] of chosen.entries()) {
    process.stdout.write(`[${i + 1}/${chosen.length}] defect ${attack.defect} ${attack.transport}: ${attack.title} ...\n`);
    try {
      const record = await runAttack(attack);
      file.records.push(record);
      process.stdout.write(`  ${summaryLine(record)}\n`);
    } catch (error) {
      const message = (error as Error).message;
      file.setupErrors.push({ id: attack.id, defect: attack.defect, transport: attack.transport, error: message });
      process.stdout.write(`  defect ${attack.defect} ${attack.id}: could not run: ${message}\n`);
    }
  }
  await writeJson(ABUSE_PATH, file);
  const down = file.records.filter((r) => !r.serverUp).length;
  const gapped = file.records.filter((r) => r.wellBehaved.gaps > 0).length;
  process.stdout.write(
    `${file.records.length} attacks ran: ${down} took the server down, ${gapped} left a gap at a well-behaved client, ` +
      `${file.setupErrors.length} could not run. Wrote ${ABUSE_PATH}\n`,
  );
  if (down > 0 || gapped > 0 || file.setupErrors.length > 0) process.exitCode = 1;
}

await main();
