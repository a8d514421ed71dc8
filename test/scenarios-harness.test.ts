/**
 * The scenario harness without a browser: the wire tap's request parsing and idle cut, the
 * measurements, browser cases recorded as not-run (never observed) in each engine with no browser,
 * a case that cannot run in one engine (notIn) recorded as not-run there only, Node-only cases still
 * observed, cases run in parallel (in order, an `alone` scenario by itself, nothing started once stopped), and the CLI's
 * answers to an unknown scenario name and a bad --parallel.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, type LabBrowser } from '../scripts/lib/browser.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { startTap, type Tap } from '../scenarios/fixtures/tap.ts';
import { startFixtureServer, type FixtureServer } from '../scenarios/fixtures/http-fixtures.ts';
import { Harness, type CaseSpec, type ScenarioSpec } from '../scenarios/harness.ts';
import { SCENARIOS } from '../scenarios/index.ts';
import { between, codeLines, distribution, lossAndDuplicates, packagesImported } from '../scenarios/measure.ts';
import { SCENARIO_NAMES } from '../scenarios/types.ts';
import { waitFor } from './helpers.ts';

describe('measure', () => {
  it('counts lost and duplicated seqs against 1..latest', () => {
    expect(lossAndDuplicates([1, 2, 3, 4, 5], 5)).toEqual({ lost: 0, duplicated: 0 });
    expect(lossAndDuplicates([1, 2, 2, 5], 5)).toEqual({ lost: 2, duplicated: 1 });
  });

  it('takes nearest-rank percentiles', () => {
    const d = distribution(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(d).toMatchObject({ n: 100, min: 1, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('counts code lines outside comments, between markers, and imported packages', () => {
    const text =
      "/**\n * header\n */\nimport x from 'ws';\nimport { y } from './y.ts';\nimport z from 'node:fs';\n" +
      '// note\n\nconst a = 1;\n/* one */\n// BEGIN m\nf();\ng();\n// END m\n';
    expect(codeLines(text)).toBe(6);
    expect(codeLines(between(text, 'm'))).toBe(2);
    expect(packagesImported(text)).toEqual(['ws']);
  });
});

describe('wire tap', () => {
  let tap: Tap | undefined;
  let fixture: FixtureServer | undefined;
  afterEach(async () => {
    await tap?.close();
    await fixture?.close();
  });

  it('records each request head on a kept-alive connection, and the first response', async () => {
    fixture = await startFixtureServer();
    tap = await startTap({ target: { host: '127.0.0.1', port: fixture.port } });
    const socket = net.connect(tap.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const body = '{"a":1}';
    socket.write(`POST /ping HTTP/1.1\r\nHost: x\r\nOrigin: http://o.test\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    socket.write('GET /ping HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\n\r\n');
    await waitFor(() => (received.match(/\{"ok":true\}/g) ?? []).length === 2, 'two answers');
    socket.destroy();
    const [connection] = tap.connections;
    expect(tap.connections).toHaveLength(1);
    expect(connection!.requestCount).toBe(2);
    expect(connection!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /ping', 'GET /ping']);
    expect(connection!.requests[0]!.headers.origin).toBe('http://o.test');
    expect(connection!.requests[1]!.headers['last-event-id']).toBe('7');
    expect(connection!.response?.status).toBe(200);
    expect(connection!.bytesUp).toBe(connection!.requestHeadBytes + body.length);
  });

  it('cuts a connection idle longer than its idle timeout', async () => {
    fixture = await startFixtureServer();
    tap = await startTap({ target: { host: '127.0.0.1', port: fixture.port }, idleTimeoutMs: 100 });
    const socket = net.connect(tap.port, '127.0.0.1');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.resume(); // read to the end, so the tap's close reaches us
    socket.write('GET /stream?events=1 HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    expect(tap.idleCuts).toBe(1);
    expect(tap.connections[0]!.endedBy).toBe('idle');
  });
});

/** A Node case of the reconnect claim that runs `run`. */
function nodeCase(id: string, run: CaseSpec['run']): CaseSpec {
  return { transport: 'sse', case: id, client: 'node', title: `case ${id}`, claims: ['sse-auto-reconnect'], setup: {}, run };
}

/** A harness without a browser for `body`, closed after it whatever happens. */
async function withHarness(body: (h: Harness) => Promise<void>): Promise<void> {
  const h = await Harness.start({ browser: false });
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

describe('harness without a browser', () => {
  it('records browser cases as not-run with the reason, and still observes Node cases', () =>
    withHarness(async (h) => {
      const browserCase = SCENARIOS.reconnect.cases.find((c) => c.client === 'browser')!;
      const nodeCase = SCENARIOS.reconnect.cases.find((c) => c.client === 'node' && c.case === 'node-destroy' && c.transport === 'ws')!;
      const notRun = await h.runCase('reconnect', browserCase, 'firefox');
      expect(notRun.status).toBe('not-run');
      expect(notRun.reason).toBe('browser cases skipped on request');
      expect(notRun.observed).toEqual({});
      expect(notRun).toMatchObject({ id: `reconnect/${browserCase.transport}/${browserCase.case}@firefox`, engine: 'firefox' });
      expect(notRun.browserVersion).toBeNull();
      const observed = await h.runCase('reconnect', nodeCase);
      expect(observed.status).toBe('observed');
      expect(observed.id).toBe('reconnect/ws/node-destroy');
      expect(observed).not.toHaveProperty('engine');
      expect(observed).not.toHaveProperty('browserVersion');
      expect(observed.observed.counts).toMatchObject({ quotes: 15, lost: 0, duplicated: 0, reconnects: 1 });
    }));

  it('runs a browser case once per engine, and a case that cannot run in Firefox is not-run there only, with the reason', async () => {
    const h = await Harness.start({ browser: false });
    // Stand-ins for launched browsers: the case below opens no page, so only the engine and its version are read.
    for (const engine of ENGINES) {
      h.browsers[engine] = { engine, version: `${engine}/test`, close: async () => undefined } as unknown as LabBrowser;
    }
    try {
      const scenario: ScenarioSpec = {
        name: 'reconnect',
        title: 'engines',
        cases: [
          {
            transport: 'sse',
            case: 'both',
            client: 'browser',
            title: 'a browser case every engine runs',
            claims: ['sse-auto-reconnect'],
            setup: {},
            run: async (c) => ({ facts: { engine: c.engine ?? null, browser: c.browserName } }),
          },
          {
            transport: 'sse',
            case: 'not-in-firefox',
            client: 'browser',
            title: 'a browser case Firefox cannot drive',
            claims: ['sse-auto-reconnect'],
            setup: {},
            notIn: { firefox: 'it needs a DevTools session' },
            run: async (c) => ({ facts: { engine: c.engine ?? null } }),
          },
          {
            transport: 'ws',
            case: 'node',
            client: 'node',
            title: 'a Node case, run once',
            claims: ['sse-auto-reconnect'],
            setup: {},
            run: async (c) => ({ facts: { engine: c.engine ?? null, browser: c.browserName } }),
          },
        ],
      };
      const records = await h.runScenario(scenario);
      expect(records.map((r) => `${r.id} ${r.status}`)).toEqual([
        'reconnect/sse/both@chromium observed',
        'reconnect/sse/both@firefox observed',
        'reconnect/sse/not-in-firefox@chromium observed',
        'reconnect/sse/not-in-firefox@firefox not-run',
        'reconnect/ws/node observed',
      ]);
      for (const r of records.filter((r) => r.client === 'browser')) {
        expect(r.id.endsWith(`@${r.engine}`)).toBe(true);
        expect(r.browserVersion).toBe(`${r.engine}/test`);
      }
      expect(records[1]!.observed.facts).toEqual({ engine: 'firefox', browser: 'Firefox' });
      expect(records[3]!.reason).toBe('lab: not run in Firefox: it needs a DevTools session');
      expect(records[3]!.observed).toEqual({});
      expect(records[4]!.observed.facts).toEqual({ engine: null, browser: 'Node' });
      expect(records[4]).not.toHaveProperty('engine');
      expect(records[4]).not.toHaveProperty('browserVersion');
    } finally {
      await h.close();
    }
  });

  it('a case that outlives its time limit becomes a not-run record, and its cleanups run', () =>
    withHarness(async (h) => {
      let cleaned = false;
      const stuck = nodeCase('stuck', (c) => {
        c.defer(() => (cleaned = true));
        return new Promise(() => undefined);
      });
      const record = await h.runCase('reconnect', stuck, undefined, 200);
      expect(record.status).toBe('not-run');
      expect(record.reason).toBe('lab: case timed out after 0.2 s');
      expect(cleaned).toBe(true);
    }));

  it('runs cases `parallel` at a time, an `alone` scenario with none beside it, and reports scenarios in order', () =>
    withHarness(async (h) => {
      let running = 0;
      const log: string[] = [];
      const waits = (id: string, ms: number) =>
        nodeCase(id, async () => {
          running++;
          log.push(`${id} starts beside ${running - 1}`);
          await new Promise((resolve) => setTimeout(resolve, ms));
          running--;
          return { counts: { ms } };
        });
      const specs: ScenarioSpec[] = [
        { name: 'reconnect', title: 'two slow cases', cases: [waits('a', 150), waits('b', 150)] },
        { name: 'binary', title: 'one alone', cases: [waits('c', 20)], alone: 'it needs the machine to itself' },
        { name: 'direction', title: 'three quick cases', cases: [waits('d', 10), waits('e', 10), waits('f', 10)] },
      ];
      const reported: string[] = [];
      const runs = await h.runScenarios(specs, { parallel: 2, onScenario: (run) => reported.push(run.spec.name) });
      expect(reported).toEqual(['reconnect', 'binary', 'direction']);
      expect(runs.map((r) => r.records.map((x) => x.case))).toEqual([['a', 'b'], ['c'], ['d', 'e', 'f']]);
      expect(runs.flatMap((r) => r.records.map((x) => x.status))).toEqual(Array(6).fill('observed'));
      // a and b overlap; c waits for both and runs alone; d and e overlap, f after one of them.
      expect(log.slice(0, 3)).toEqual(['a starts beside 0', 'b starts beside 1', 'c starts beside 0']);
      expect(log.slice(3, 5)).toEqual(['d starts beside 0', 'e starts beside 1']);
      expect(Math.max(...log.map((l) => Number(l.split(' ').at(-1))))).toBe(1);
      expect(runs[0]!.durationMs).toBeGreaterThanOrEqual(140); // a 150-ms timer, by Date.now
    }));

  it('once stopped, starts no case and returns only the scenarios whose every case ran', () =>
    withHarness(async (h) => {
      let stop = false;
      const quick = (id: string) =>
        nodeCase(id, async () => {
          stop = true;
          return {};
        });
      const specs: ScenarioSpec[] = [
        { name: 'reconnect', title: 'one case', cases: [quick('a')] },
        { name: 'binary', title: 'never started', cases: [quick('b')] },
      ];
      const runs = await h.runScenarios(specs, { parallel: 1, stopped: () => stop });
      expect(runs.map((r) => r.spec.name)).toEqual(['reconnect']);
    }));

  it('stopped with two cases running, lets both finish and drops the scenario they left incomplete', () =>
    withHarness(async (h) => {
      let stop = false;
      const finished: string[] = [];
      const slow = (id: string, ms: number) =>
        nodeCase(id, async () => {
          stop = true;
          await new Promise((resolve) => setTimeout(resolve, ms));
          finished.push(id);
          return {};
        });
      const specs: ScenarioSpec[] = [
        { name: 'reconnect', title: 'one case', cases: [slow('a', 50)] },
        { name: 'binary', title: 'two cases, one never started', cases: [slow('b', 100), slow('c', 10)] },
      ];
      const runs = await h.runScenarios(specs, { parallel: 2, stopped: () => stop });
      expect(finished).toEqual(['a', 'b']);
      expect(runs.map((r) => r.spec.name)).toEqual(['reconnect']);
    }));

  it('every scenario has cases with unique ids', () => {
    for (const name of SCENARIO_NAMES) {
      const ids = SCENARIOS[name].cases.map((c) => `${c.transport}/${c.case}`);
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});

/** `npm run scenarios -- <args>` expected to fail: its exit code and stderr. */
function scenariosFailing(...args: string[]): Promise<{ code: number; stderr: string } | undefined> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'scenarios/cli.ts', ...args], { cwd: ROOT, timeout: 30_000 }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
}

describe('npm run scenarios', () => {
  it('rejects an unknown scenario name with the valid names and exit code 2', async () => {
    const error = await scenariosFailing('reconect');
    expect(error?.code).toBe(2);
    expect(error?.stderr).toContain('lab: unknown scenario "reconect"');
    for (const name of SCENARIO_NAMES) expect(error?.stderr).toContain(name);
  });

  it('rejects a --parallel that is not a whole number of cases, with exit code 2', async () => {
    const error = await scenariosFailing('--parallel', '0');
    expect(error?.code).toBe(2);
    expect(error?.stderr).toContain('lab: --parallel takes a whole number of cases at once, 1..16 (got "0")');
  });
});
