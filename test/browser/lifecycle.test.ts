/**
 * Scenario `lifecycle` in its quick profile, in real Chromium and real Firefox, through the same harness and case code
 * as `npm run scenarios`: a page frozen and resumed (Chromium only; Firefox records not-run with the reason), and a
 * page that goes to another page and back, with and without `Cache-Control: no-store`. Assertions are on counts and
 * protocol facts (what was held, replayed or lost; who reconnected; whether the page came back from the bfcache, and
 * why not where the engine says), never on how long anything took.
 */
import { describe, expect, it } from 'vitest';
import { spec } from '../../scenarios/capabilities.ts';
import { SCENARIO_TRANSPORTS, type ScenarioRecord } from '../../scenarios/types.ts';
import { ENGINES } from '../../scripts/lib/browser.ts';
import { counts, facts, scenarioCases } from './cases.ts';

const { run, notRun } = scenarioCases();

/** The window's counts add up, and the page got each quote once and in order after the return. */
function addsUp(r: ScenarioRecord): void {
  const c = counts(r);
  expect(c.published, r.id).toBeGreaterThan(c.publishedWhileAway!);
  expect(c.publishedWhileAway, r.id).toBeGreaterThan(0);
  expect(c.received! + c.lost!, r.id).toBe(c.published);
  expect(c.lostWhileAway! + c.deliveredLate!, r.id).toBe(c.publishedWhileAway);
  expect(c.lostWhileAway, r.id).toBeLessThanOrEqual(c.lost!);
  expect(c.duplicated, r.id).toBe(0);
  expect(c.outOfOrderAfterBack, r.id).toBe(0);
  expect(facts(r).lastSeqBeforeAway, r.id).toBeGreaterThanOrEqual(5);
  expect(facts(r).profile).toBe('quick');
}

/** A page that was not restored was loaded anew: the old page's connection is gone and nothing of the absence comes back. */
function loadedAnew(r: ScenarioRecord): void {
  expect(facts(r).reopenedByNewPage, r.id).toBe(true);
  expect(facts(r).reconnectedByItself, r.id).toBe(false);
  expect(facts(r).serverClientsAtBack, r.id).toBe(0);
  expect(counts(r).lostWhileAway, r.id).toBe(counts(r).publishedWhileAway);
  expect(facts(r).seqGapAtSeam, r.id).toBeGreaterThan(0);
  // The new client starts at the live edge: its first quote was published after the return.
  expect(facts(r).firstSeqAfterBack, r.id).toBeGreaterThan(facts(r).seqAtBack as number);
}

/** What each browser API does when its page comes back with the old connection (frozen, or restored from the bfcache). */
function cameBack(r: ScenarioRecord): void {
  const c = counts(r);
  const api = spec(r.transport).browserApi;
  if (api === 'EventSource') {
    // Held open or resumed by Last-Event-ID: nothing lost either way.
    expect(c.lost, r.id).toBe(0);
    // Held open: the stream went on with the next quote; a quote that arrived while the page was leaving (after the last
    // one recorded before it) shows as a gap of 1 at the seam, delivered all the same (lost is 0).
    if (facts(r).reconnectedByItself === false) expect(facts(r).seqGapAtSeam, r.id).toBeLessThanOrEqual(1);
  } else if (api === 'WebSocket') {
    // A raw WebSocket never comes back by itself.
    expect(facts(r).reconnectedByItself, r.id).toBe(false);
    expect(c.tcpConnectionsAfterBack, r.id).toBe(0);
  } else {
    // socket.io: the same connection, or a new one that recovered the missed quotes.
    expect(c.lost, r.id).toBe(0);
    if (c.opensAfterBack! > 0) expect(facts(r).recovered, r.id).toBe(true);
  }
}

describe.each(ENGINES)('%s', (engine) => {
  it('a page frozen and resumed: Chromium through DevTools; Firefox not run, with the reason', async () => {
    for (const transport of SCENARIO_TRANSPORTS) {
      const id = `lifecycle/${transport}/frozen`;
      if (engine === 'firefox') {
        await notRun(id, engine);
        continue;
      }
      const r = await run(id, engine);
      addsUp(r);
      cameBack(r);
      expect(facts(r).frozenEventSeen, r.id).toBe(true);
      // A 5 s freeze is shorter than any heartbeat's limit: the server closed nothing.
      expect(facts(r).tcpClosedByServerWhileAway, r.id).toBe(false);
      expect(facts(r).serverClientsAtLeave, r.id).toBe(1);
    }
  });

  it.each([
    ['bfcache', 'no Cache-Control'],
    ['bfcache-no-store', 'Cache-Control: no-store'],
  ])('a page that goes to another page and back (%s: %s)', async (caseId) => {
    const records = new Map<string, ScenarioRecord>();
    for (const transport of SCENARIO_TRANSPORTS) {
      const r = await run(`lifecycle/${transport}/${caseId}`, engine);
      records.set(transport, r);
      addsUp(r);
      const f = facts(r);
      expect(typeof f.restoredFromBfcache, r.id).toBe('boolean');
      if (f.restoredFromBfcache) cameBack(r);
      else loadedAnew(r);
      if (engine === 'chromium') {
        // DevTools says why a page was not restored, and nothing when it was.
        expect(Array.isArray(f.notRestoredReasons), r.id).toBe(true);
        expect((f.notRestoredReasons as string[]).length > 0, r.id).toBe(!f.restoredFromBfcache);
      } else {
        expect(f.notRestoredReasons, r.id).toBeNull();
      }
    }
    const api = (t: string) => spec(records.get(t)!.transport).browserApi;
    if (engine === 'chromium') {
      // Chromium restores both pages, no-store or not, unless a no-store page used a WebSocket (socket.io's included).
      for (const [transport, r] of records) {
        expect(facts(r).controlPageRestored, r.id).toBe(true);
        const webSocket = api(transport) !== 'EventSource';
        expect(facts(r).restoredFromBfcache, r.id).toBe(!(webSocket && caseId === 'bfcache-no-store'));
        if (webSocket && caseId === 'bfcache-no-store') expect(facts(r).notRestoredReasons, r.id).toContain('WebSocketUsedWithCCNS');
      }
    } else {
      // Firefox restores the page with no connection open (the control) unless it is no-store, and never one with a
      // stream or a socket open.
      for (const r of records.values()) {
        expect(facts(r).controlPageRestored, r.id).toBe(caseId === 'bfcache');
        expect(facts(r).restoredFromBfcache, r.id).toBe(false);
      }
    }
  });
});
