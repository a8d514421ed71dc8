/**
 * The scenario harness without a browser: the wire tap's request parsing and idle cut, the
 * measurements, browser cases recorded as not-run (never observed) when there is no Chromium,
 * Node-only cases still observed, and the CLI's answer to an unknown scenario name.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/lib/paths.ts';
import { startTap, type Tap } from '../scenarios/fixtures/tap.ts';
import { startFixtureServer, type FixtureServer } from '../scenarios/fixtures/http-fixtures.ts';
import { Harness, type CaseSpec } from '../scenarios/harness.ts';
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

describe('harness without a browser', () => {
  it('records browser cases as not-run with the reason, and still observes Node cases', async () => {
    const h = await Harness.start({ browser: false });
    try {
      const browserCase = SCENARIOS.reconnect.cases.find((c) => c.client === 'chromium')!;
      const nodeCase = SCENARIOS.reconnect.cases.find((c) => c.client === 'node' && c.case === 'node-destroy' && c.transport === 'ws')!;
      const notRun = await h.runCase('reconnect', browserCase);
      expect(notRun.status).toBe('not-run');
      expect(notRun.reason).toBeTruthy();
      expect(notRun.observed).toEqual({});
      const observed = await h.runCase('reconnect', nodeCase);
      expect(observed.status).toBe('observed');
      expect(observed.observed.counts).toMatchObject({ quotes: 15, lost: 0, duplicated: 0, reconnects: 1 });
    } finally {
      await h.close();
    }
  });

  it('a case that outlives its time limit becomes a not-run record, and its cleanups run', async () => {
    const h = await Harness.start({ browser: false });
    try {
      let cleaned = false;
      const stuck = {
        transport: 'sse',
        case: 'stuck',
        client: 'node',
        title: 'a case that never finishes',
        claims: ['sse-auto-reconnect'],
        setup: {},
        run: (c) => {
          c.defer(() => (cleaned = true));
          return new Promise(() => undefined);
        },
      } satisfies CaseSpec;
      const record = await h.runCase('reconnect', stuck, 200);
      expect(record.status).toBe('not-run');
      expect(record.reason).toBe('lab: case timed out after 0.2 s');
      expect(cleaned).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('every scenario has cases with unique ids', () => {
    for (const name of SCENARIO_NAMES) {
      const ids = SCENARIOS[name].cases.map((c) => `${c.transport}/${c.case}`);
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});

describe('npm run scenarios', () => {
  it('rejects an unknown scenario name with the valid names and exit code 2', async () => {
    const error = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scenarios/cli.ts', 'reconect'], {
      cwd: ROOT,
      timeout: 30_000,
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(error?.code).toBe(2);
    expect(error?.stderr).toContain('lab: unknown scenario "reconect"');
    for (const name of SCENARIO_NAMES) expect(error?.stderr).toContain(name);
  });
});
