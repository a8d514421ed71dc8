/**
 * The programmatic API of the scenarios: the registry of the scenarios, a run over some of
 * them with one harness, and the writing of results/scenarios.json (merged by scenario, so a
 * partial run keeps the other scenarios' earlier records) and of the claims it decides.
 */
import { readFile } from 'node:fs/promises';
import { writeClaims } from '../scripts/lib/claims.ts';
import { writeJson } from '../scripts/lib/json.ts';
import { runMetadata } from '../scripts/lib/metadata.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { articles } from './articles.ts';
import { binary } from './binary.ts';
import { clusterDeadPeers } from './cluster/dead-peers.ts';
import { clusterNodeDeath } from './cluster/node-death.ts';
import { clusterRestart } from './cluster/restart.ts';
import { clusterRollingRestart } from './cluster/rolling-restart.ts';
import { clusterSticky } from './cluster/sticky.ts';
import { connectionLimit } from './connection-limit.ts';
import { crossOrigin } from './cross-origin.ts';
import { direction } from './direction.ts';
import { Harness, type ScenarioRun, type ScenarioSpec } from './harness.ts';
import { idleHeartbeat } from './idle-heartbeat.ts';
import { lifecycle } from './lifecycle.ts';
import { polyfill } from './polyfill.ts';
import { proxyAuth } from './proxy/auth.ts';
import { proxyBuffering } from './proxy/buffering.ts';
import { proxyCompression } from './proxy/compression.ts';
import { proxyH2 } from './proxy/h2.ts';
import { proxyIdle } from './proxy/idle.ts';
import { proxyWorks } from './proxy/works.ts';
import { reconnect } from './reconnect.ts';
import { selfSigned } from './self-signed.ts';
import { bareVersion, ENGINES, type Engine } from '../scripts/lib/browser.ts';
import {
  type BrowserRun,
  SCENARIO_NAMES,
  type ScenarioName,
  type ScenarioRecord,
  type ScenariosFile,
  type ScenarioSummary,
} from './types.ts';
import { computeVerdicts } from './verdicts/index.ts';

export const SCENARIOS: Record<ScenarioName, ScenarioSpec> = {
  reconnect,
  binary,
  'cross-origin': crossOrigin,
  'self-signed': selfSigned,
  direction,
  polyfill,
  articles,
  'connection-limit': connectionLimit,
  'idle-heartbeat': idleHeartbeat,
  lifecycle,
  'proxy-works': proxyWorks,
  'proxy-buffering': proxyBuffering,
  'proxy-idle': proxyIdle,
  'proxy-compression': proxyCompression,
  'proxy-h2': proxyH2,
  'proxy-auth': proxyAuth,
  'cluster-node-death': clusterNodeDeath,
  'cluster-rolling-restart': clusterRollingRestart,
  'cluster-sticky': clusterSticky,
  'cluster-dead-peers': clusterDeadPeers,
  'cluster-restart': clusterRestart,
};

export const SCENARIOS_PATH = `${ROOT}results/scenarios.json`;

export interface RunOptions {
  /** Launch browsers (default true). */
  browser?: boolean;
  /** The engines browser cases run in (default both). */
  engines?: readonly Engine[];
  /** Called once the harness is up, with what became of each engine. */
  onStart?: (browsers: BrowserRun[]) => void;
  /** Called after each scenario with its summary. */
  onScenario?: (summary: ScenarioSummary) => void;
  /** Stops before the next case when it returns true (Ctrl-C). */
  stopped?: () => boolean;
  /** Cases with a size knob at full size (HarnessOptions.full). */
  full?: boolean;
  /** Cases run at once (Harness.runScenarios). Default 1. */
  parallel?: number;
}

export interface RunResult {
  records: ScenarioRecord[];
  summaries: ScenarioSummary[];
  browsers: BrowserRun[];
}

/** What became of each engine in a harness. */
export function browserRuns(h: Harness): BrowserRun[] {
  return h.engines.map((engine) => {
    const b = h.browsers[engine];
    const note = h.browserNotes[engine];
    return b
      ? { engine, found: true, path: b.path, version: b.version, settings: b.settings }
      : { engine, found: false, settings: [], ...(note ? { note } : {}) };
  });
}

/**
 * Runs the named scenarios with one harness (one browser per engine), `parallel` cases at a time (Harness.runScenarios),
 * always closing it.
 */
export async function runScenarios(names: readonly ScenarioName[], options: RunOptions = {}, harness?: Harness): Promise<RunResult> {
  const h = harness ?? (await Harness.start({ browser: options.browser, full: options.full, engines: options.engines }));
  const browsers = browserRuns(h);
  try {
    options.onStart?.(browsers);
    const summaries: ScenarioSummary[] = [];
    const runs = await h.runScenarios(
      names.map((name) => SCENARIOS[name]),
      {
        parallel: options.parallel,
        stopped: options.stopped,
        // Called for exactly the runs returned, in their order.
        onScenario: (run) => {
          const summary = summaryOf(run, h.engines);
          summaries.push(summary);
          options.onScenario?.(summary);
        },
      },
    );
    return { records: runs.flatMap((r) => r.records), summaries, browsers };
  } finally {
    if (!harness) await h.close();
  }
}

function summaryOf(run: ScenarioRun, engines: readonly Engine[]): ScenarioSummary {
  return {
    name: run.spec.name,
    date: new Date(run.startedAt).toISOString(),
    durationMs: run.durationMs,
    engines: [...engines],
    observed: run.records.filter((r) => r.status === 'observed').length,
    notRun: run.records.filter((r) => r.status === 'not-run').length,
  };
}

/** The earlier results to merge into: none if the file is absent; a file that is not JSON is replaced, with a warning. */
async function readPrevious(path: string): Promise<ScenariosFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return upgraded(JSON.parse(text) as ScenariosFile);
  } catch (error) {
    process.stderr.write(
      `lab: ${path} is not valid JSON (${(error as Error).message}); ` +
        'its earlier records are dropped and the file is rewritten from this run\n',
    );
    return undefined;
  }
}

/**
 * A file written before the two engines: its browser records were Chromium's (`client: 'chromium'`, no engine in the
 * id), and its summaries name no engines.
 */
function upgraded(file: ScenariosFile): ScenariosFile {
  for (const s of file.scenarios) s.engines ??= [];
  for (const r of file.records) {
    if ((r.client as string) !== 'chromium') continue;
    Object.assign(r, { client: 'browser', engine: 'chromium', browserVersion: null, id: `${r.id}@chromium` });
  }
  return file;
}

/**
 * Merges this run into the results file and returns the file written: a scenario run now replaces its earlier Node
 * records and its browser records of the engines it ran in (a Firefox-only run keeps the Chromium records).
 */
export async function writeScenarios(run: RunResult, path = SCENARIOS_PATH): Promise<ScenariosFile> {
  const previous = await readPrevious(path);
  const ran = new Map(run.summaries.map((s) => [s.name, s.engines]));
  const replaced = (r: ScenarioRecord) => ran.has(r.scenario) && (r.engine === undefined || ran.get(r.scenario)!.includes(r.engine));
  const keptRecords = (previous?.records ?? []).filter((r) => !replaced(r));
  const keptSummaries = (previous?.scenarios ?? []).filter((s) => !ran.has(s.name));
  const engines = new Set(run.browsers.map((b) => b.engine));
  const order = (name: ScenarioName) => SCENARIO_NAMES.indexOf(name);
  const records = [...keptRecords, ...run.records].sort((a, b) => order(a.scenario) - order(b.scenario));
  // A scenario run in one engine keeps the other's records: its summary counts both and names every engine in it.
  const summaries = run.summaries.map((s) => {
    const mine = records.filter((r) => r.scenario === s.name);
    const inFile = new Set([...s.engines, ...mine.flatMap((r) => (r.engine ? [r.engine] : []))]);
    return {
      ...s,
      engines: ENGINES.filter((e) => inFile.has(e)),
      observed: mine.filter((r) => r.status === 'observed').length,
      notRun: mine.filter((r) => r.status === 'not-run').length,
    };
  });
  const browsers = [...(previous?.browsers ?? []).filter((b) => !engines.has(b.engine)), ...run.browsers].sort(
    (a, b) => ENGINES.indexOf(a.engine) - ENGINES.indexOf(b.engine),
  );
  const chromium = browsers.find((b) => b.engine === 'chromium')?.version;
  const file: ScenariosFile = {
    meta: runMetadata(chromium ? bareVersion(chromium) : undefined),
    browsers,
    scenarios: [...keptSummaries, ...summaries].sort((a, b) => order(a.name) - order(b.name)),
    records,
  };
  await writeJson(path, file);
  return file;
}

/** Computes the verdicts from every record in the file and merges them into results/claims.json. */
export async function writeVerdicts(file: ScenariosFile, claimsPath?: string): Promise<number> {
  const verdicts = computeVerdicts(file.records, file.meta.date);
  await writeClaims(verdicts, claimsPath);
  return verdicts.length;
}
