/**
 * What the browser test files share: one harness per file with a browser of each engine (Chromium and Firefox), and a
 * case run by its id without the engine (`scenario/transport/case`) in one engine, exactly as `npm run scenarios`
 * runs it. A browser case must come back observed, or, where the case says it cannot be driven in that engine
 * (`notIn`), not-run with that reason.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { type CaseSpec, Harness, recordId } from '../../scenarios/harness.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import type { ScenarioName, ScenarioRecord } from '../../scenarios/types.ts';
import { ENGINE_NAME, ENGINES, type Engine } from '../../scripts/lib/browser.ts';

function find(id: string): [ScenarioName, CaseSpec] {
  const [scenario, transport, name] = id.split('/') as [ScenarioName, string, string];
  const caseSpec = SCENARIOS[scenario].cases.find((c) => c.transport === transport && c.case === name);
  if (!caseSpec) throw new Error(`no case ${id}`);
  return [scenario, caseSpec];
}

/** Starts the harness before the file's tests and closes it after; returns the case runners and the harness. */
export function scenarioCases(): {
  /** Runs a case (a browser case in `engine`); it must be observed. */
  run(id: string, engine?: Engine): Promise<ScenarioRecord>;
  /** Runs a browser case that cannot be driven in `engine`; it must be not-run with the case's own reason. */
  notRun(id: string, engine: Engine): Promise<ScenarioRecord>;
  harness(): Harness;
} {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ engines: ENGINES });
    const missing = ENGINES.filter((e) => !h.browsers[e]);
    if (missing.length) throw new Error(`these tests need ${missing.map((e) => `${ENGINE_NAME[e]}: ${h.browserNotes[e]}`).join('; ')}`);
  });
  afterAll(() => h?.close());
  return {
    harness: () => h,
    async run(id, engine) {
      const [scenario, caseSpec] = find(id);
      expect(caseSpec.client === 'browser', `${id}: an engine for a browser case, none for a Node case`).toBe(engine !== undefined);
      const record = await h.runCase(scenario, caseSpec, engine, caseSpec.timeoutMs);
      expect(record.id).toBe(recordId(scenario, caseSpec.transport, caseSpec.case, engine));
      expect(record.reason, record.reason).toBeUndefined();
      expect(record.status).toBe('observed');
      if (engine) expect(record.engine).toBe(engine);
      return record;
    },
    async notRun(id, engine) {
      const [scenario, caseSpec] = find(id);
      const reason = caseSpec.notIn?.[engine];
      expect(reason, `${id} says why it cannot run in ${ENGINE_NAME[engine]}`).toBeDefined();
      const record = await h.runCase(scenario, caseSpec, engine);
      expect(record).toMatchObject({ status: 'not-run', engine, reason: `lab: not run in ${ENGINE_NAME[engine]}: ${reason}` });
      return record;
    },
  };
}

export const facts = (r: ScenarioRecord) => r.observed.facts!;
export const counts = (r: ScenarioRecord) => r.observed.counts!;
export const bytes = (r: ScenarioRecord) => r.observed.bytes!;
