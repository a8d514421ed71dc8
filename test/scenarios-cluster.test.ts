/**
 * The cluster scenarios' records, one Node case each, run through the harness without a browser (real Redis, nodes and
 * nginx): what a record says about delivery across a node's death and a restart that loses Redis. Protocol facts only:
 * counts of lost, duplicated, resets and silent regressions, never how long anything took.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterNodeDeath } from '../scenarios/cluster/node-death.ts';
import { clusterRestart } from '../scenarios/cluster/restart.ts';
import { Harness, type ScenarioSpec } from '../scenarios/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ browser: false });
});
afterAll(() => h?.close());

const run = (scenario: ScenarioSpec, id: string) =>
  h.runCase(scenario.name, scenario.cases.find((c) => `${c.transport}/${c.case}` === id)!);

describe('cluster-node-death', () => {
  it('sse/node: clients of the killed node resume on the other one, nothing lost or repeated', { timeout: 120_000 }, async () => {
    const record = await run(clusterNodeDeath, 'sse/node');
    expect(record.status, record.reason).toBe('observed');
    const { counts, facts } = record.observed;
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, resetsExpired: 0, resetsAhead: 0 });
    expect(counts!.movedClients).toBeGreaterThanOrEqual(1);
    expect(facts!.nodeExit).toEqual({ signal: 'SIGKILL' });
    expect((facts!.connectionsPerNodeBeforeKill as number[]).every((n) => n >= 1)).toBe(true);
  });
});

describe('cluster-restart', () => {
  it('ws/redis-lost: every client told of the new numbering (reset ahead), none goes back in silence', { timeout: 120_000 }, async () => {
    const record = await run(clusterRestart, 'ws/redis-lost');
    expect(record.status, record.reason).toBe('observed');
    const { counts, facts } = record.observed;
    expect(facts).toMatchObject({ numberingRestarted: true, publisherResumedAfter: 0, silentRegressions: 0 });
    expect(counts!.resetsAhead).toBeGreaterThanOrEqual(1);
    expect(counts).toMatchObject({ duplicated: 0, outOfOrder: 0 });
  });
});
