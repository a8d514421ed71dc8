/**
 * The committed example results (test/fixtures/example-scenarios.json and example-claims.json,
 * from a real `npm run scenarios`, events trimmed) checked against the schema in
 * scenarios/types.ts, and the verdicts recomputed from the example records: the same records give
 * the same verdicts, and changing an observed fact changes the verdict (nothing is typed in).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLAIMS, type ClaimsFile } from '../scripts/claims.ts';
import { computeVerdicts, DECIDED_CLAIMS } from '../scenarios/verdicts.ts';
import { SCENARIO_NAMES, SCENARIO_TRANSPORTS, type ScenarioRecord, type ScenariosFile } from '../scenarios/types.ts';

const example = JSON.parse(readFileSync(new URL('fixtures/example-scenarios.json', import.meta.url), 'utf8')) as ScenariosFile;
const claims = JSON.parse(readFileSync(new URL('fixtures/example-claims.json', import.meta.url), 'utf8')) as ClaimsFile;
const CLAIM_IDS = new Set<string>(CLAIMS.map((c) => c.id));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbersOnly = (v: unknown) => isObject(v) && Object.values(v).every((n) => typeof n === 'number');

function checkRecord(r: ScenarioRecord): void {
  expect(r.id).toBe(`${r.scenario}/${r.transport}/${r.case}`);
  expect(SCENARIO_NAMES).toContain(r.scenario);
  expect(SCENARIO_TRANSPORTS).toContain(r.transport);
  expect(r.case).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  expect(['chromium', 'node']).toContain(r.client);
  expect(r.title.length).toBeGreaterThan(10);
  expect(['observed', 'not-run']).toContain(r.status);
  if (r.status === 'not-run') expect(typeof r.reason).toBe('string');
  expect(isObject(r.setup)).toBe(true);
  expect(r.claims.length).toBeGreaterThan(0);
  for (const claim of r.claims) expect(CLAIM_IDS.has(claim)).toBe(true);
  expect(typeof r.durationMs).toBe('number');
  const o = r.observed;
  expect(isObject(o)).toBe(true);
  if (o.counts) expect(numbersOnly(o.counts)).toBe(true);
  if (o.bytes) expect(numbersOnly(o.bytes)).toBe(true);
  if (o.readyState !== undefined) expect(o.readyState === null || typeof o.readyState === 'number').toBe(true);
  for (const e of o.events ?? []) {
    expect(typeof e.t).toBe('number');
    expect(typeof e.source).toBe('string');
    expect(typeof e.type).toBe('string');
  }
  for (const q of o.server?.requests ?? []) {
    expect(typeof q.t).toBe('number');
    expect(q.connection).toBeGreaterThanOrEqual(0);
    expect(q.method).toMatch(/^[A-Z]+$/);
    expect(q.path.startsWith('/')).toBe(true);
    expect(isObject(q.headers)).toBe(true);
  }
  if (o.server?.counters) expect(numbersOnly(o.server.counters)).toBe(true);
}

describe('example-scenarios.json', () => {
  it('carries run metadata and the browser it ran in', () => {
    expect(Date.parse(example.meta.date)).not.toBeNaN();
    expect(example.meta.node).toMatch(/^v\d+/);
    expect(example.meta.versions['playwright-core']).toBeTruthy();
    expect(example.meta.chromium).toBe(example.browser.version);
    expect(example.browser.found).toBe(true);
    expect(example.browser.args.some((a) => a.startsWith('--ignore-certificate-errors-spki-list='))).toBe(true);
  });

  it('has one summary per scenario matching its records', () => {
    expect(example.scenarios.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    for (const s of example.scenarios) {
      const records = example.records.filter((r) => r.scenario === s.name);
      expect(s.observed + s.notRun).toBe(records.length);
      expect(s.observed).toBe(records.filter((r) => r.status === 'observed').length);
    }
  });

  it('every record matches the schema and ids are unique', () => {
    for (const record of example.records) checkRecord(record);
    expect(new Set(example.records.map((r) => r.id)).size).toBe(example.records.length);
  });

  it('covers every transport and every claim the scenarios decide', () => {
    expect(new Set(example.records.map((r) => r.transport))).toEqual(new Set(SCENARIO_TRANSPORTS));
    const borne = new Set(example.records.flatMap((r) => r.claims));
    for (const claim of DECIDED_CLAIMS) expect(borne.has(claim), claim).toBe(true);
    expect(DECIDED_CLAIMS).not.toContain('ws-heavier-than-sse');
    expect(DECIDED_CLAIMS.length).toBe(CLAIMS.length - 1);
  });
});

describe('example-claims.json', () => {
  it('has a verdict with an explanation and existing supporting records for every decided claim', () => {
    const ids = new Set(example.records.map((r) => r.id));
    for (const claim of DECIDED_CLAIMS) {
      const result = claims.claims[claim]!;
      expect(result, claim).toBeDefined();
      expect(['confirmed', 'refuted', 'depends']).toContain(result.verdict);
      expect(result.explanation.length).toBeGreaterThan(100);
      expect(result.decidedBy).toBe('scenarios');
      expect(result.records.length).toBeGreaterThan(0);
      for (const id of result.records) expect(ids.has(id), `${claim} cites ${id}`).toBe(true);
    }
  });

  it('is what the verdict rules compute from the example records', () => {
    const recomputed = computeVerdicts(example.records, 'then');
    for (const result of recomputed) {
      const committed = claims.claims[result.id]!;
      expect({ id: result.id, verdict: result.verdict, explanation: result.explanation, records: result.records }).toEqual({ id: committed.id, verdict: committed.verdict, explanation: committed.explanation, records: committed.records });
    }
  });
});

describe('verdicts follow the observations', () => {
  const withFact = (id: string, name: string, value: unknown): ScenarioRecord[] =>
    example.records.map((r) => (r.id === id ? { ...r, observed: { ...r.observed, facts: { ...r.observed.facts, [name]: value as never } } } : r));
  const verdictOf = (records: ScenarioRecord[], claim: string) => computeVerdicts(records).find((v) => v.id === claim)!.verdict;

  it("article A's wildcard-with-credentials claim would be confirmed if the browser had delivered", () => {
    let records = withFact('cross-origin/sse/acao-star-credentials', 'delivered', true);
    records = records.map((r) => (r.id === 'cross-origin/sse/seed-article-a-polyfill' ? { ...r, observed: { ...r.observed, facts: { ...r.observed.facts, delivered: true } } } : r));
    expect(verdictOf(example.records, 'seed-credentials-with-wildcard-cors')).toBe('refuted');
    expect(verdictOf(records, 'seed-credentials-with-wildcard-cors')).toBe('confirmed');
  });

  it('a setting where only EventSource opened would make the self-signed claim "depends"', () => {
    const records = withFact('self-signed/ws/untrusted-ignore-https-errors', 'opened', false);
    expect(verdictOf(records, 'ws-rejects-self-signed-sse-accepts')).toBe('depends');
  });

  it('a claim whose records are missing is not-run, naming them', () => {
    const records = example.records.filter((r) => r.scenario !== 'connection-limit');
    const result = computeVerdicts(records).find((v) => v.id === 'sse-six-connections-per-origin')!;
    expect(result.verdict).toBe('not-run');
    expect(result.explanation).toContain('connection-limit/sse/http1-eventsources');
  });
});
