/**
 * What the browser test files share: one Chromium per file through the scenarios' own harness, and
 * a case run by its record id (`scenario/transport/case`) exactly as `npm run scenarios` runs it,
 * which must come back observed.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { Harness } from '../../scenarios/harness.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import type { ScenarioName, ScenarioRecord } from '../../scenarios/types.ts';

/** Starts the harness before the file's tests and closes it after; returns the case runner and the harness. */
export function scenarioCases(): { run(id: string): Promise<ScenarioRecord>; harness(): Harness } {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    if (!h.browser) throw new Error(`these tests need Chromium: ${h.browserNote}`);
  });
  afterAll(() => h?.close());
  return {
    harness: () => h,
    async run(id) {
      const [scenario, transport, name] = id.split('/') as [ScenarioName, string, string];
      const caseSpec = SCENARIOS[scenario].cases.find((c) => c.transport === transport && c.case === name);
      if (!caseSpec) throw new Error(`no case ${id}`);
      const record = await h.runCase(scenario, caseSpec);
      expect(record.id).toBe(id);
      expect(record.reason, record.reason).toBeUndefined();
      expect(record.status).toBe('observed');
      return record;
    },
  };
}

export const facts = (r: ScenarioRecord) => r.observed.facts!;
export const counts = (r: ScenarioRecord) => r.observed.counts!;
export const bytes = (r: ScenarioRecord) => r.observed.bytes!;
