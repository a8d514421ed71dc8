/**
 * The committed example results (test/fixtures/example-scenarios.json and example-claims.json,
 * from a real `npm run scenarios` in both engines, events trimmed) checked against the schema in
 * scenarios/types.ts, and the verdicts recomputed from the example records: the same records give
 * the same verdicts, changing an observed fact changes the verdict (nothing is typed in), and a
 * browser claim is decided in each engine and combined (small record sets built here).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINES, type Engine } from '../scripts/lib/browser.ts';
import { CLAIMS, type ClaimResult, type ClaimsFile } from '../scripts/lib/claims.ts';
import { computeVerdicts, DECIDED_CLAIMS } from '../scenarios/verdicts/index.ts';
import { SCENARIO_NAMES, SCENARIO_TRANSPORTS, type Json, type ScenarioRecord, type ScenariosFile } from '../scenarios/types.ts';

const example = JSON.parse(readFileSync(new URL('fixtures/example-scenarios.json', import.meta.url), 'utf8')) as ScenariosFile;
const claims = JSON.parse(readFileSync(new URL('fixtures/example-claims.json', import.meta.url), 'utf8')) as ClaimsFile;
const CLAIM_IDS = new Set<string>(CLAIMS.map((c) => c.id));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbersOnly = (v: unknown) => isObject(v) && Object.values(v).every((n) => typeof n === 'number');
/** A record's id without its engine: the id a verdict rule reads. */
const base = (id: string) => id.replace(/@[a-z]+$/, '');

function checkRecord(r: ScenarioRecord): void {
  expect(SCENARIO_NAMES).toContain(r.scenario);
  expect(SCENARIO_TRANSPORTS).toContain(r.transport);
  expect(r.case).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  expect(['browser', 'node']).toContain(r.client);
  if (r.client === 'browser') {
    // A browser record names its engine in the id and carries the browser's version (null only if it did not start).
    expect(ENGINES).toContain(r.engine);
    expect(r.id).toBe(`${r.scenario}/${r.transport}/${r.case}@${r.engine}`);
    expect(r.browserVersion).toBe(example.browsers.find((b) => b.engine === r.engine)!.version);
  } else {
    expect(r.id).toBe(`${r.scenario}/${r.transport}/${r.case}`);
    expect(r).not.toHaveProperty('engine');
    expect(r).not.toHaveProperty('browserVersion');
  }
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
  it('carries run metadata and each engine it ran in', () => {
    expect(Date.parse(example.meta.date)).not.toBeNaN();
    expect(example.meta.node).toMatch(/^v\d+/);
    expect(example.meta.versions['puppeteer-core']).toMatch(/^\d+\./);
    expect(example.browsers.map((b) => b.engine)).toEqual([...ENGINES]);
    for (const b of example.browsers) {
      expect(b.found, b.engine).toBe(true);
      expect(b.version, b.engine).toBeTruthy();
    }
    const chromium = example.browsers.find((b) => b.engine === 'chromium')!;
    expect(example.meta.chromium).toBe(chromium.version);
    expect(chromium.settings.some((a) => a.startsWith('--ignore-certificate-errors-spki-list='))).toBe(true);
  });

  it('has one summary per scenario matching its records', () => {
    expect(example.scenarios.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    for (const s of example.scenarios) {
      const records = example.records.filter((r) => r.scenario === s.name);
      // A scenario with browser cases ran in both engines; a Node-only one kept from an earlier run may name none.
      if (records.some((r) => r.client === 'browser')) expect(s.engines).toEqual([...ENGINES]);
      else expect(Array.isArray(s.engines)).toBe(true);
      expect(s.observed + s.notRun).toBe(records.length);
      expect(s.observed).toBe(records.filter((r) => r.status === 'observed').length);
    }
  });

  it('every record matches the schema and ids are unique', () => {
    for (const record of example.records) checkRecord(record);
    expect(new Set(example.records.map((r) => r.id)).size).toBe(example.records.length);
  });

  it('has each browser case once per engine, and a case one engine cannot run as not-run there with the reason', () => {
    const browser = example.records.filter((r) => r.client === 'browser');
    const byCase = new Map<string, ScenarioRecord[]>();
    for (const r of browser) byCase.set(base(r.id), [...(byCase.get(base(r.id)) ?? []), r]);
    for (const [id, records] of byCase) expect(records.map((r) => r.engine).sort(), id).toEqual([...ENGINES].sort());
    const notIn = browser.filter((r) => r.status === 'not-run' && r.reason?.startsWith('lab: not run in '));
    expect(notIn.length).toBeGreaterThan(0);
    for (const r of notIn) {
      expect(r.engine).toBe('firefox');
      expect(r.reason).toMatch(/^lab: not run in Firefox: .{20,}/);
      expect(byCase.get(base(r.id))!.find((x) => x.engine === 'chromium')!.status, r.id).toBe('observed');
    }
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
      // What a deciding engine cites exists (an engine that did not run names the records it lacked instead).
      const decided = result.engines ? ENGINES.map((e) => result.engines![e]!).filter((v) => v.verdict !== 'not-run') : [result];
      for (const v of decided) {
        for (const id of v.records) {
          expect(ids.has(id), `${claim} cites ${id}`).toBe(true);
          expect(result.records).toContain(id);
        }
      }
    }
  });

  it('a claim decided from browser records has a verdict per engine and the engines it holds in; a Node-only claim has neither', () => {
    for (const claim of DECIDED_CLAIMS) {
      const result = claims.claims[claim]!;
      if (!result.records.some((id) => id.includes('@'))) {
        expect(result, claim).not.toHaveProperty('engines');
        expect(result, claim).not.toHaveProperty('holdsIn');
        continue;
      }
      expect(Object.keys(result.engines ?? {}), claim).toEqual([...ENGINES]);
      const ran = ENGINES.filter((e) => result.engines![e]!.verdict !== 'not-run');
      expect(result.holdsIn, claim).toEqual(ran.filter((e) => result.engines![e]!.verdict === result.verdict));
      for (const e of ENGINES) {
        const own = result.engines![e]!;
        // Each engine's verdict rests on its own browser records (and Node records), never the other engine's.
        for (const id of own.records) expect(id.includes('@') ? id.endsWith(`@${e}`) : true, `${claim} ${e} cites ${id}`).toBe(true);
        expect(result.explanation, claim).toContain(`${e === 'chromium' ? 'Chromium' : 'Firefox'}: ${own.explanation}`);
      }
      for (const key of Object.keys(result.figures ?? {})) expect(key, claim).toMatch(/^(chromium|firefox)\./);
    }
  });

  it('is what the verdict rules compute from the example records', () => {
    const recomputed = computeVerdicts(example.records, 'then');
    for (const result of recomputed) {
      const committed = claims.claims[result.id]!;
      const { date: _, ...now } = result;
      const { date: __, ...then } = committed;
      expect(now).toEqual(then);
    }
  });
});

describe('verdicts follow the observations', () => {
  type Part = 'facts' | 'counts' | 'bytes' | 'counters' | 'setup';
  /**
   * The example records with one value of one record changed (`undefined` removes the key): the Node record of that id,
   * or its Chromium record. The verdicts below are Chromium's (a Node-only claim's verdict is every client's).
   */
  const change = (records: ScenarioRecord[], id: string, part: Part, name: string, value: unknown): ScenarioRecord[] => {
    const set = (values: Record<string, unknown> | undefined) => {
      const next: Record<string, unknown> = { ...values, [name]: value };
      if (value === undefined) delete next[name];
      return next as never;
    };
    const target = (r: ScenarioRecord) => r.id === id || r.id === `${id}@chromium`;
    expect(records.some(target), id).toBe(true);
    return records.map((r) => {
      if (!target(r)) return r;
      if (part === 'setup') return { ...r, setup: set(r.setup) };
      if (part === 'counters')
        return { ...r, observed: { ...r.observed, server: { ...r.observed.server, counters: set(r.observed.server?.counters) } } };
      return { ...r, observed: { ...r.observed, [part]: set(r.observed[part] as Record<string, unknown>) } };
    });
  };
  const withChanges = (...changes: [string, Part, string, unknown][]) =>
    changes.reduce((records, [id, part, name, value]) => change(records, id, part, name, value), example.records);
  const inChromium = (result: ClaimResult) => result.engines?.chromium ?? result;
  const combined = (records: ScenarioRecord[], claim: string) => computeVerdicts(records).find((v) => v.id === claim)!;
  const decide = (records: ScenarioRecord[], claim: string) => inChromium(combined(records, claim));
  const baseline = (claim: string) => decide(example.records, claim);

  /** One changed input per rule: the verdict moves, and the explanation says what changed and closes on the new verdict. */
  const cases: { claim: string; changes: [string, Part, string, unknown][]; verdict: string; says: string[]; saysNot?: string[] }[] = [
    {
      claim: 'ws-tcp-sse-http',
      changes: [['direction/ws/round-trips', 'facts', 'responseStatusLine', 'HTTP/1.1 200 OK']],
      verdict: 'refuted',
      says: ['answered "HTTP/1.1 200 OK"', 'refuted.'],
      saysNot: ['the bytes were WebSocket frames'],
    },
    {
      claim: 'sse-one-way',
      changes: [['direction/sse/round-trips', 'facts', 'streamBytesFromClientAfterRequest', 12]],
      verdict: 'refuted',
      says: ['the page sent 12 bytes', 'refuted.'],
      saysNot: ['The stream is one-way'],
    },
    {
      claim: 'sse-text-only',
      changes: [['binary/sse/raw-text-4096', 'facts', 'intact', true]],
      verdict: 'refuted',
      says: ['(hash equal: yes)', 'refuted.'],
      saysNot: ['SSE carries binary only'],
    },
    {
      claim: 'sse-simpler',
      changes: ['serverLines', 'clientLines', 'browserReconnectLines'].map(
        (name) => ['reconnect/sse/code-size', 'counts', name, 1000] as [string, Part, string, unknown],
      ),
      verdict: 'refuted',
      says: ['SSE is smaller on 0 of 3 counts and larger on 3', 'Every count is larger for SSE: refuted'],
    },
    {
      claim: 'sse-auto-reconnect',
      changes: [['reconnect/sse/retry-100-destroy', 'counts', 'opens', 1]],
      verdict: 'depends',
      says: ['reconnected by itself in 4 of 5 drops', 'depends.'],
      saysNot: ['confirmed'],
    },
    {
      claim: 'ws-needs-library-to-reconnect',
      changes: [['reconnect/ws/destroy', 'counts', 'connectionsAfterDrop', 1]],
      verdict: 'refuted',
      says: ['the server saw 1 new connection within', '(1 of 2 stayed down)', 'refuted.'],
    },
    {
      claim: 'sse-event-ids-resume',
      changes: [
        ['reconnect/sse/restart', 'counters', 'resumedAfterRestart', 1],
        ['reconnect/sse-h2/restart', 'counters', 'resumedAfterRestart', 1],
      ],
      verdict: 'confirmed',
      says: ['the new process resumed from it: yes', 'confirmed.'],
      saysNot: ['which the restarted process did not'],
    },
    {
      claim: 'socketio-needs-sticky-sessions',
      changes: [
        ['cluster-sticky/socketio/polling-round-robin', 'counts', 'connected', 10],
        ['cluster-sticky/socketio/polling-round-robin', 'counts', 'quotes', 600],
        ['cluster-sticky/socketio/polling-round-robin', 'counts', 'http400', 0],
      ],
      verdict: 'refuted',
      says: ['through round robin: 10 of 10 clients connected, 600 quotes', 'refuted.'],
    },
    {
      claim: 'socketio-needs-sticky-sessions',
      changes: [['cluster-sticky/socketio/websocket-round-robin', 'counts', 'connected', 0]],
      verdict: 'confirmed',
      says: ['WebSocket only, through round robin: 0 of 10 clients connected', 'confirmed.'],
    },
    {
      claim: 'ws-needs-own-resume-protocol',
      changes: [['cluster-node-death/ws/node', 'counts', 'lost', 4]],
      verdict: 'depends',
      says: ['moved, 4 lost', "fell short in a node's death (Node clients)", 'depends.'],
    },
    {
      claim: 'ws-needs-own-resume-protocol',
      changes: [['reconnect/ws/destroy', 'counts', 'connectionsAfterDrop', 1]],
      verdict: 'refuted',
      says: ['opened 1 connection afterwards by itself', 'refuted.'],
    },
    {
      claim: 'ws-ignores-cross-origin',
      changes: [['cross-origin/ws/origin-unchecked', 'facts', 'opened', false]],
      verdict: 'refuted',
      says: ['Chromium did not open a WebSocket', 'refuted.'],
      saysNot: ['is true'],
    },
    {
      claim: 'sse-needs-cors-headers',
      changes: [['cross-origin/sse/no-cors-header', 'facts', 'delivered', true]],
      verdict: 'refuted',
      says: ['an EventSource delivered a message: yes', 'refuted.'],
      saysNot: ['confirmed'],
    },
    {
      claim: 'ws-rejects-self-signed-sse-accepts',
      changes: [['self-signed/sse/untrusted-default', 'facts', 'opened', true]],
      verdict: 'confirmed',
      says: [
        'untrusted-default: SSE open, ws refused',
        'In 1 of the 5 settings EventSource got through where WebSocket was refused',
        'confirmed.',
      ],
    },
    {
      claim: 'ws-rejects-self-signed-sse-accepts',
      changes: [
        ['self-signed/ws/accepted-later', 'facts', 'openedWithoutNewCode', true],
        ['self-signed/ws/accepted-later', 'facts', 'openedAfterAcceptMs', 900],
      ],
      verdict: 'refuted',
      says: [
        'the WebSocket opened by itself 900 ms after it',
        'EventSource got through alone in 0 of the 5 settings and WebSocket alone in 0',
        'refuted.',
      ],
      saysNot: ['stayed closed'],
    },
    {
      claim: 'sse-heartbeat-comments-needed',
      changes: [['idle-heartbeat/sse/relay-heartbeat', 'counts', 'idleCuts', 3]],
      verdict: 'refuted',
      says: ['the relay cut it 3 times', 'refuted.'],
      saysNot: ['never cut it'],
    },
    {
      claim: 'sse-heartbeat-comments-needed',
      changes: [['polyfill/sse/native-silent', 'counts', 'reopened', 2]],
      verdict: 'confirmed',
      says: ['reopened a silent stream 2 times', 'confirmed.'],
    },
    {
      claim: 'seed-credentials-with-wildcard-cors',
      changes: [
        ['articles/sse/article-a-as-written', 'facts', 'delivered', true],
        ['articles/sse/article-a-polyfill', 'facts', 'delivered', true],
      ],
      verdict: 'confirmed',
      says: ['picked EventSource in Chromium, which received a message', 'confirmed.'],
      saysNot: ['can only have worked same-origin'],
    },
    {
      claim: 'sse-base64-costs-bandwidth',
      changes: example.records
        .filter((r) => r.id.startsWith('binary/ws/binary-') && r.engine === 'chromium')
        .map((r) => [base(r.id), 'facts', 'wireToPayloadRatio', 9] as [string, Part, string, unknown]),
      verdict: 'refuted',
      says: ['SSE cost more than WebSocket at 0 of', 'refuted.'],
    },
    {
      claim: 'sse-six-connections-per-origin',
      changes: [
        ['connection-limit/sse/http1-eventsources', 'counts', 'opened', 5],
        ['connection-limit/sse/http1-eventsources', 'counts', 'serverStreams', 5],
      ],
      verdict: 'depends',
      says: [
        'opened 5 of 8 EventSources',
        "Through nginx's `h2` profile (HTTP/2 to the browser, HTTP/1.1 to the server behind it), 8 of 8 opened on 1 connection",
        'capped the origin at 5 EventSources, not the claimed 6',
        'depends.',
      ],
    },
    {
      claim: 'sse-six-connections-per-origin',
      changes: [['connection-limit/sse/http1-eventsources', 'counts', 'serverStreams', 8]],
      verdict: 'refuted',
      says: ['the server held 8 streams', 'refuted.'],
    },
    {
      claim: 'sse-named-events-need-listener',
      changes: [['articles/sse/article-b-as-written', 'counts', 'onmessage', 3]],
      verdict: 'refuted',
      says: ['onmessage fired 3 times', 'refuted.'],
    },
    {
      claim: 'sse-heartbeat-comments-needed',
      changes: [['proxy-idle/sse/heartbeat-shorter', 'facts', 'cut', true]],
      verdict: 'refuted',
      says: ['nginx (read timeout 3 s): cut silence, cut it despite comments every 1000 ms', 'refuted.'],
    },
    {
      // nginx also kept the stream with comments less often than its timeout: the interval decided nothing.
      claim: 'sse-heartbeat-comments-needed',
      changes: [['proxy-idle/sse/heartbeat-longer', 'facts', 'cut', false]],
      verdict: 'refuted',
      says: ['every 1000 ms and every 5000 ms both kept it: the interval made no difference', 'refuted.'],
      saysNot: ['every 5000 ms did not'],
    },
    {
      claim: 'sse-needs-no-special-server',
      changes: [
        ['proxy-works/sse/stock-no-header', 'facts', 'opened', true],
        ['proxy-works/sse/stock-no-header', 'facts', 'inOrder', true],
        ['proxy-works/sse/stock-no-header', 'counts', 'quotes', 10],
        ['proxy-works/sse/stock-no-header', 'counts', 'lost', 0],
      ],
      verdict: 'confirmed',
      says: ['as a server that never heard of nginx sends it, it opened: yes and received 10 of 10 quotes in order', 'confirmed.'],
      saysNot: ['only when the server'],
    },
    {
      claim: 'sse-needs-no-special-server',
      changes: [
        ['proxy-works/sse/stock', 'counts', 'quotes', 0],
        ['proxy-works/ws/stock', 'facts', 'opened', true],
        ['proxy-works/ws/stock', 'counts', 'quotes', 10],
        ['proxy-works/ws/stock', 'counts', 'lost', 0],
      ],
      verdict: 'refuted',
      says: ['a raw WebSocket opened: yes', 'refuted.'],
    },
    {
      claim: 'proxies-buffer-sse',
      changes: [
        ['proxy-buffering/sse/stock-no-header', 'counts', 'quotes', 120],
        ['proxy-buffering/sse/stock-no-header', 'counts', 'bursts', 120],
        ['proxy-buffering/sse/stock-no-header', 'counts', 'notArrivedInWatch', 0],
      ],
      verdict: 'refuted',
      says: ['stock, no X-Accel-Buffering: passed on event by event', 'refuted.'],
    },
    {
      claim: 'proxies-buffer-sse',
      changes: [['proxy-buffering/sse/stock-no-header', 'counts', 'quotes', 0]],
      verdict: 'depends',
      says: ['stock, no X-Accel-Buffering: nothing arrived', 'shows no buffering to weigh: depends.'],
      saysNot: ['stock, no X-Accel-Buffering: held back'],
    },
    {
      claim: 'gzip-undoes-base64-overhead',
      changes: [['proxy-compression/sse/base64-random-gzip', 'facts', 'wireToPayloadRatio', 1.3]],
      verdict: 'depends',
      says: ['they cost 1.3', 'depends on the payload.'],
    },
    {
      claim: 'polyfill-sends-last-id-as-query',
      changes: [['polyfill/sse/polyfill-reconnect', 'facts', 'lastEventIdHeader', '5']],
      verdict: 'refuted',
      says: ['with Last-Event-ID header 5', 'refuted.'],
      saysNot: ['confirmed'],
    },
  ];

  it('covers every rule', () => {
    expect(new Set(cases.map((c) => c.claim))).toEqual(new Set(DECIDED_CLAIMS));
  });

  it.each(cases.map((c, i) => [`${c.claim} #${i}`, c] as const))(
    '%s: a changed observation changes the verdict and its explanation',
    (_, c) => {
      const before = baseline(c.claim);
      const after = decide(withChanges(...c.changes), c.claim);
      expect(before.verdict).not.toBe(c.verdict);
      expect(after.verdict).toBe(c.verdict);
      for (const text of c.says) expect(after.explanation, text).toContain(text);
      for (const text of c.saysNot ?? []) expect(after.explanation, text).not.toContain(text);
    },
  );

  it('a gave-up answer counts only when the reconnect reached it (a second request)', () => {
    const records = withChanges(['reconnect/sse/ends-204', 'counts', 'requests', 1]);
    expect(baseline('sse-auto-reconnect').explanation).toContain('(3 of 3 gave up for good)');
    expect(decide(records, 'sse-auto-reconnect').explanation).toContain('(2 of 3 gave up for good)');
  });

  it('a key missing from an existing record makes the claim not-run in that engine, naming record and key', () => {
    const records = withChanges(['reconnect/sse/retry-100-destroy', 'facts', 'lastEventIdSent', undefined]);
    const result = combined(records, 'sse-event-ids-resume');
    expect(inChromium(result).verdict).toBe('not-run');
    expect(inChromium(result).explanation).toContain('reconnect/sse/retry-100-destroy#lastEventIdSent');
    expect(result.verdict).toBe(result.engines!.firefox!.verdict);
    expect(result.holdsIn).toEqual(['firefox']);
    expect(result.explanation).toMatch(/^Decided in Firefox only \(Chromium did not run\)\./);
    const polyfill = decide(
      withChanges(['polyfill/sse/polyfill-reconnect', 'facts', 'lastEventIdHeader', undefined]),
      'polyfill-sends-last-id-as-query',
    );
    expect(polyfill.verdict).toBe('not-run');
  });

  it('a claim whose records are missing is not-run, naming them', () => {
    const records = example.records.filter((r) => r.scenario !== 'connection-limit');
    const result = computeVerdicts(records).find((v) => v.id === 'sse-six-connections-per-origin')!;
    expect(result.verdict).toBe('not-run');
    expect(result.holdsIn).toEqual([]);
    expect(result.explanation).toContain('Not decided in any engine.');
    expect(result.explanation).toContain('connection-limit/sse/http1-eventsources');
  });
});

describe('a browser claim decided in each engine', () => {
  /** A small record set: article B's server, with native EventSource and the polyfill, in the given engines, and its wire. */
  const namedEvents = (onmessage: Partial<Record<Engine, number>>): ScenarioRecord[] =>
    Object.entries(onmessage)
      .flatMap(([engine, count]) =>
        ['article-b-as-written', 'article-b-polyfill'].map(
          (caseId): ScenarioRecord => ({
            id: `articles/sse/${caseId}@${engine}`,
            scenario: 'articles',
            transport: 'sse',
            case: caseId,
            client: 'browser',
            engine: engine as Engine,
            browserVersion: `${engine}/test`,
            title: 'named events against onmessage and a listener',
            status: 'observed',
            setup: { eventName: 'server-time', retryMs: 2000 } as Record<string, Json>,
            observed: {
              counts: { onmessage: count!, serverTimeListener: 3 },
              facts: { reconnectDelayMs: 2001, lastEventIdSent: '3', firstIdAfterReconnect: '1' },
            },
            claims: ['sse-named-events-need-listener'],
            durationMs: 1,
          }),
        ),
      )
      .concat({
        id: 'articles/sse/article-b-wire',
        scenario: 'articles',
        transport: 'sse',
        case: 'article-b-wire',
        client: 'node',
        title: "article B's first bytes on a raw socket",
        status: 'observed',
        setup: {},
        observed: { facts: { firstWrite: ':ok\n\n' } },
        claims: ['sse-named-events-need-listener'],
        durationMs: 1,
      });
  const verdict = (records: ScenarioRecord[]) => computeVerdicts(records, 'then').find((v) => v.id === 'sse-named-events-need-listener')!;

  it('agreeing engines give their verdict, held in both', () => {
    const result = verdict(namedEvents({ chromium: 0, firefox: 0 }));
    expect(result.verdict).toBe('confirmed');
    expect(result.holdsIn).toEqual(['chromium', 'firefox']);
    expect(result.explanation).toMatch(/^Confirmed in Chromium and Firefox alike\. Chromium: .+ Firefox: /);
    expect(result.records).toEqual([
      'articles/sse/article-b-as-written@chromium',
      'articles/sse/article-b-polyfill@chromium',
      'articles/sse/article-b-wire',
      'articles/sse/article-b-as-written@firefox',
      'articles/sse/article-b-polyfill@firefox',
    ]);
    expect(result.figures).toMatchObject({
      'chromium.articles/sse/article-b-as-written onmessage': 0,
      'firefox.articles/sse/article-b-as-written onmessage': 0,
    });
  });

  it("engines that disagree make it depends, and the explanation names each engine's verdict", () => {
    const result = verdict(namedEvents({ chromium: 0, firefox: 3 }));
    expect(result.engines!.chromium!.verdict).toBe('confirmed');
    expect(result.engines!.firefox!.verdict).toBe('refuted');
    expect(result.verdict).toBe('depends');
    expect(result.holdsIn).toEqual([]);
    expect(result.explanation).toMatch(/^The engines differ: confirmed in Chromium, refuted in Firefox\. Chromium: /);
    expect(result.explanation).toContain("Firefox: Article B's own server");
    expect(result.explanation).toContain('onmessage fired 3 times');
    expect(result.figures).toMatchObject({ 'firefox.articles/sse/article-b-as-written onmessage': 3 });
  });

  it("an engine that did not run leaves the other engine's verdict, said to be its alone", () => {
    const result = verdict(namedEvents({ chromium: 0 }));
    expect(result.verdict).toBe('confirmed');
    expect(result.holdsIn).toEqual(['chromium']);
    expect(result.engines!.firefox!.verdict).toBe('not-run');
    expect(result.explanation).toMatch(/^Decided in Chromium only \(Firefox did not run\)\./);
    expect(result.explanation).toContain('articles/sse/article-b-as-written');
    expect(Object.keys(result.figures!).every((k) => k.startsWith('chromium.'))).toBe(true);
  });

  it('a claim no browser record bears on has one verdict for every client', () => {
    const result = computeVerdicts(example.records, 'then').find((v) => v.id === 'socketio-needs-sticky-sessions')!;
    expect(result.records.every((id) => !id.includes('@'))).toBe(true);
    expect(result).not.toHaveProperty('engines');
    expect(result).not.toHaveProperty('holdsIn');
    expect(Object.keys(result.figures!).some((k) => k.includes('.'))).toBe(false);
  });
});
