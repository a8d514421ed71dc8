/** Small waits and collectors the tests share. No sleeps-as-assertions: waits end on a condition. */
import { readFileSync } from 'node:fs';
import type { LabClient, Received } from '../clients/index.ts';
import type { Quote } from '../servers/contract.ts';
import { QuoteFeed } from '../servers/feed.ts';
import type { Json, ScenarioName, ScenarioRecord, ScenarioTransport } from '../scenarios/types.ts';
import type { Engine } from '../scripts/lib/browser.ts';
import type { ClaimsFile } from '../scripts/lib/claims.ts';
import type { ReportInputs } from '../scripts/report/inputs.ts';

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every message a client receives, in arrival order. */
export function collect(client: LabClient): Received[] {
  const received: Received[] = [];
  client.on('quote', (message) => received.push(message));
  return received;
}

/** The (seq, symbol, price) a fresh feed with this seed makes first. */
export function reference(seed: number, count: number): [number, string, number][] {
  const feed = new QuoteFeed({ seed, rate: 0 });
  return Array.from({ length: count }, () => key(feed.publish().quote));
}

export function key(quote: Quote): [number, string, number] {
  return [quote.seq, quote.symbol, quote.price];
}

export function publish(feed: QuoteFeed, count: number): void {
  for (let i = 0; i < count; i++) feed.publish();
}

/** Lets the event loop turn so writes, closes and reconnect timers can run. */
export const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** Running, not a zombie (a killed orphan stays in /proc until init reaps it). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A committed example result (test/fixtures/), parsed. */
export const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')) as T;

/** The report's inputs as a test gives them: the example claims, every other results file absent unless given. */
export function reportInputs(given: Partial<ReportInputs> = {}): ReportInputs {
  const none = { scenarios: null, load: null, loadTls: null, loadProxy: null, loadCluster: null, wire: null, abuse: null, fuzz: null };
  return { dir: 'test', claims: fixture<ClaimsFile>('example-claims.json'), ...none, missing: [], ...given };
}

/** One record as the harness writes it: `@engine` on a browser case's id, none on a Node case's. */
export function scenarioRecord(
  scenario: ScenarioName,
  transport: ScenarioTransport,
  kase: string,
  engine: Engine | undefined,
  setup: { [k: string]: Json },
  observed: ScenarioRecord['observed'],
): ScenarioRecord {
  return {
    id: `${scenario}/${transport}/${kase}${engine ? `@${engine}` : ''}`,
    scenario,
    transport,
    case: kase,
    client: engine ? 'browser' : 'node',
    ...(engine ? { engine, browserVersion: engine === 'chromium' ? 'Chrome/156.0' : 'firefox/153.8.0' } : {}),
    title: `${scenario} ${kase} in a test`,
    status: 'observed',
    setup,
    observed,
    claims: ['sse-auto-reconnect'],
    durationMs: 10,
  };
}
