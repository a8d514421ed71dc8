/**
 * Reads the results the report is built from: results/claims.json (required) and, when present,
 * scenarios.json, load.json (and load-tls.json, load-proxy.json, load-cluster.json), wire.json, abuse.json and fuzz.json.
 * A missing optional file is not an error; the report says which command makes it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenariosFile } from '../../scenarios/types.ts';
import type { AbuseFile } from '../abuse/types.ts';
import type { ClaimsFile } from '../lib/claims.ts';
import type { FuzzResults } from '../fuzz/types.ts';
import type { ClusterLoadResults, LoadResults } from '../load/types.ts';
import type { WireResults } from '../wire/types.ts';

export interface ReportInputs {
  /** The folder the JSON came from. */
  dir: string;
  claims: ClaimsFile;
  scenarios: ScenariosFile | null;
  load: LoadResults | null;
  /** The TLS pass (npm run load -- --tls), set beside the plain run in the report's TLS charts. */
  loadTls: LoadResults | null;
  /** The run through nginx (npm run load -- --proxy <profile>): each step directly and through nginx. */
  loadProxy: LoadResults | null;
  /** The scale-out run (npm run load -- --nodes N): one server against clusters on Redis. */
  loadCluster: ClusterLoadResults | null;
  wire: WireResults | null;
  abuse: AbuseFile | null;
  fuzz: FuzzResults | null;
  /** One line per missing input, with the command that makes it. */
  missing: string[];
}

const MAKERS = {
  'scenarios.json': 'npm run scenarios',
  'load.json': 'npm run load -- --quick',
  'load-tls.json': 'npm run load -- --quick --tls --clients 1000 --payload none --ramp-clients none --upstream-connections none',
  'load-proxy.json': 'npm run load -- --quick --proxy tuned',
  'load-cluster.json': 'npm run load -- --quick --nodes 2',
  'wire.json': 'npm run wire',
  'abuse.json': 'npm run abuse',
  'fuzz.json': 'npm run fuzz',
  'claims.json': 'npm run scenarios (and npm run load)',
} as const;

async function readJson<T>(dir: string, name: keyof typeof MAKERS, missing: string[]): Promise<T | null> {
  try {
    return JSON.parse(await readFile(join(dir, name), 'utf8')) as T;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `unreadable (${(error as Error).message})`;
    missing.push(`${join(dir, name)} ${why}: run \`${MAKERS[name]}\``);
    return null;
  }
}

export async function readInputs(dir: string): Promise<ReportInputs> {
  const missing: string[] = [];
  const [claims, scenarios, load, loadTls, loadProxy, loadCluster, wire, abuse, fuzz] = await Promise.all([
    readJson<ClaimsFile>(dir, 'claims.json', missing),
    readJson<ScenariosFile>(dir, 'scenarios.json', missing),
    readJson<LoadResults>(dir, 'load.json', missing),
    readJson<LoadResults>(dir, 'load-tls.json', missing),
    readJson<LoadResults>(dir, 'load-proxy.json', missing),
    readJson<ClusterLoadResults>(dir, 'load-cluster.json', missing),
    readJson<WireResults>(dir, 'wire.json', missing),
    readJson<AbuseFile>(dir, 'abuse.json', missing),
    readJson<FuzzResults>(dir, 'fuzz.json', missing),
  ]);
  if (!claims) throw new Error(`lab: no verdicts to report: ${missing.find((m) => m.includes('claims.json'))}`);
  return { dir, claims, scenarios, load, loadTls, loadProxy, loadCluster, wire, abuse, fuzz, missing };
}
