/**
 * The shared harness: one browser per engine per run (Chromium and Firefox, scripts/lib/browser.ts), a page server on
 * its own origin, servers on port 0, and a runner that turns each case into a ScenarioRecord: a Node case once, a
 * browser case once per engine (its record carries the engine and the browser's version, its id ends in `@<engine>`).
 *
 * Origins: test pages come from http://127.0.0.1:<page port> (and https:// on a second port, for
 * the self-signed scenario and the HTTP/2 server); every server is addressed as localhost:<port>, so a page
 * and a server are always different origins, the way a site and its API usually are. Lab
 * servers get the page origins on their allowlist.
 *
 * Each browser is launched once, told to trust the lab's self-signed certificate (Chromium: the SPKI list naming it;
 * Firefox: see the driver): servers started with `tls: true` are trusted, and the self-signed scenario uses a second,
 * per-run certificate that nothing trusts. Each case gets a fresh browser context (its own cookies, cache and
 * connection pool), closed when the case ends. Each case runs under a time limit (CASE_TIMEOUT_MS): a case
 * that outlives it, throws, or loses its nginx (CaseContext.proxy) becomes a not-run record with the
 * reason, and its cleanups run.
 *
 * Events are collected in the page (scenarios/page/lab-page.js pushes into `lab.log` with epoch-ms
 * times from performance.timeOrigin + performance.now()) and read with page.evaluate; the Node side
 * converts every time to ms since the case started. Both clocks are this host's wall clock.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Page } from 'puppeteer-core';
import { now } from '../servers/contract.ts';
import { spec, type Transport } from '../servers/transports.ts';
import { startServer, type RunningServer, type ServerOptions } from '../servers/index.ts';
import { labCertificate } from '../servers/tls.ts';
import { isNginxRunning, type NginxExit, type ProxyTarget, type RunningProxy, startProxy } from '../servers/proxy/nginx.ts';
import type { ProxyOptions } from '../servers/proxy/profiles.ts';
import { type ClusterOptions, type RunningCluster, startCluster } from '../servers/cluster/cluster.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import {
  type CertificateTrust,
  consoleType,
  ENGINE_NAME,
  ENGINES,
  type Engine,
  findBrowser,
  installHint,
  LabBrowser,
  type LabContext,
} from '../scripts/lib/browser.ts';
import { startFixtureServer, type FixtureServer } from './fixtures/http-fixtures.ts';
import { startTap, type Tap, type TapOptions } from './fixtures/tap.ts';
import type { ClaimId } from '../scripts/lib/claims.ts';
import { round } from './measure.ts';
import type { ClientKind, Json, Observed, ScenarioName, ScenarioRecord, ScenarioTransport, TimedEvent } from './types.ts';

/** Files the page server serves: the page helpers, the two client libraries from node_modules as installed, the articles' clients. */
const STATIC: Record<string, string> = {
  '/lab-page.js': `${ROOT}scenarios/page/lab-page.js`,
  '/vendor/eventsource.js': `${ROOT}node_modules/event-source-polyfill/src/eventsource.js`,
  '/vendor/socket.io.min.js': `${ROOT}node_modules/socket.io-client/dist/socket.io.min.js`,
  '/articles/article-clients.js': `${ROOT}scenarios/articles/article-clients.js`,
};
const PAGE_HTML =
  '<!doctype html><meta charset="utf-8"><title>lab scenario</title>' +
  '<script src="/vendor/socket.io.min.js"></script><script src="/vendor/eventsource.js"></script>' +
  '<script src="/articles/article-clients.js"></script><script src="/lab-page.js"></script>';

/** Records keep at most this many events and requests, so one noisy case cannot bloat the results file. */
const MAX_EVENTS = 200;
const MAX_REQUESTS = 50;
/** A case that runs longer than this becomes a not-run record (the longest cases take about 15 s). */
export const CASE_TIMEOUT_MS = 60_000;

export interface CaseSpec {
  transport: ScenarioTransport;
  /** Stable kebab-case id. */
  case: string;
  client: ClientKind;
  /** One line: what the case does. */
  title: string;
  claims: ClaimId[];
  /** The knobs, recorded as given (also on not-run records). */
  setup: { [name: string]: Json };
  /** Its own time limit, for a case that must watch longer than CASE_TIMEOUT_MS (a default heartbeat noticing a dead peer). */
  timeoutMs?: number;
  /** Engines the case cannot be driven in, with the reason (it becomes that engine's not-run record). */
  notIn?: Partial<Record<Engine, string>>;
  run(c: CaseContext): Promise<Observed>;
}

export interface ScenarioSpec {
  name: ScenarioName;
  title: string;
  cases: CaseSpec[];
  /**
   * Why this scenario's cases run with no other case beside them when cases run in parallel (Harness.runScenarios): one
   * whose load would slow the cases beside it, or be slowed by them, enough to change what it observes.
   */
  alone?: string;
}

/**
 * A scenario's records in case order (each browser case once per engine), when its first case started and how long until
 * its last ended.
 */
export interface ScenarioRun {
  spec: ScenarioSpec;
  records: ScenarioRecord[];
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
}

/** Resolves true once `condition` holds, false after `timeoutMs`: observations wait, they never throw on a timeout. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same server as the browser should address it: `localhost`, a different origin from the 127.0.0.1 page. */
export function viaLocalhost(url: string): string {
  return url.replace('//127.0.0.1:', '//localhost:');
}

/** A page in a fresh context, with the helpers of lab-page.js loaded. */
export class LabPage {
  /** Console errors and warnings (CORS refusals, mixed content, the polyfill's messages), with times. */
  readonly console: TimedEvent[] = [];

  constructor(
    readonly page: Page,
    readonly context: LabContext,
    readonly t0: number,
  ) {
    page.on('console', (message) => {
      const type = consoleType(message.type());
      if ((type === 'error' || type === 'warning') && this.console.length < 50) {
        const detail = { text: message.text().slice(0, 300) };
        this.console.push({ t: now() - t0, source: 'console', type, detail });
        // Firefox (BiDi) renders an object argument as `JSHandle@error`: read the values themselves instead.
        if (detail.text.includes('JSHandle@'))
          void Promise.all(message.args().map((arg) => arg.evaluate((v) => (v instanceof Error ? v.message : String(v)))))
            .then((texts) => (detail.text = texts.join(' ').slice(0, 300)))
            .catch(() => undefined);
      }
    });
  }

  get engine(): Engine {
    return this.context.engine;
  }

  /** Another page (tab) in the same context, with the helpers loaded from `url`. */
  async tab(url: string): Promise<LabPage> {
    const tab = new LabPage(await this.context.newPage(), this.context, this.t0);
    await tab.page.goto(url);
    return tab;
  }

  /** Calls lab.<method>(...args) in the page and returns its (awaited) result. */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(
      ([m, a]) => (window as unknown as { lab: Record<string, (...x: unknown[]) => unknown> }).lab[m as string]!(...(a as unknown[])),
      [method, args] as const,
    ) as Promise<T>;
  }

  /** The page's log, times converted to ms since the case start; optionally one source only. */
  async events(source?: string): Promise<TimedEvent[]> {
    const log = (await this.page.evaluate(() => (window as unknown as { lab: { log: TimedEvent[] } }).lab.log)) as TimedEvent[];
    return log.filter((e) => source === undefined || e.source === source).map((e) => ({ ...e, t: round(e.t - this.t0) }));
  }

  /** Waits until `source` has logged `n` events of `type`; returns whether it did. */
  async waitForEvents(source: string, type: string, n: number, timeoutMs: number): Promise<boolean> {
    return until(async () => (await this.events(source)).filter((e) => e.type === type).length >= n, timeoutMs);
  }

  readyState(name: string): Promise<number | null> {
    return this.call<number | null>('readyState', name);
  }

  /**
   * Opens `transport`'s browser client as `name` at `url` by its browser API: EventSource, WebSocket,
   * or socket.io's client (with `socketIo` options; its URL without a trailing slash).
   */
  async openClient(transport: Transport, name: string, url: string, socketIo: Record<string, Json> = {}): Promise<void> {
    const api = spec(transport).browserApi;
    if (api === 'EventSource') await this.call('eventSource', name, url);
    else if (api === 'WebSocket') await this.call('webSocket', name, url);
    else await this.call('socketIo', name, url.replace(/\/$/, ''), socketIo);
  }
}

/** What a case runs with: its start time, cleanups, and constructors that clean up after themselves. */
export class CaseContext {
  readonly t0 = now();
  readonly #cleanups: (() => unknown)[] = [];
  /** Checks run once the case returns, for a death not reported yet (an exit event still on its way). */
  readonly #checks: (() => Promise<void>)[] = [];
  #fail: (error: Error) => void = () => undefined;
  /** Rejects when something the case runs on dies under it (an nginx that exits on its own): runCase races it with the case. */
  readonly failed = new Promise<never>((_, reject) => {
    this.#fail = reject;
  });

  constructor(
    readonly h: Harness,
    /** The engine a browser case runs in (undefined for a Node case). */
    readonly engine?: Engine,
  ) {
    this.failed.catch(() => undefined); // nobody races it once the case is over
  }

  /** Throws if something the case ran on died under it, even if its exit has not been reported yet. */
  async check(): Promise<void> {
    for (const check of this.#checks) await check();
  }

  /** ms since the case started. */
  elapsed(): number {
    return round(now() - this.t0);
  }

  defer(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.#cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // best effort: one failed cleanup must not leave the others undone
      }
    }
  }

  /** The browser of this case's engine. */
  get browser(): LabBrowser {
    const browser = this.engine && this.h.browsers[this.engine];
    if (!browser) throw new Error('lab: this case needs a browser');
    return browser;
  }

  /** The engine's display name, for facts and wording ("Chromium", "Firefox"). */
  get browserName(): string {
    return this.engine ? ENGINE_NAME[this.engine] : 'Node';
  }

  /**
   * A fresh browser context and page. `certificates`: which certificates the context trusts (default: the lab's).
   * Default origin http://127.0.0.1:<page port> (cross-site to
   * the servers on localhost); `https` for the page server's TLS origin; `same-site` for
   * http://localhost:<page port> (cross-origin but same-site, so SameSite=Lax cookies go along);
   * `https-same-site` for https://localhost:<https page port> (the same, for servers on https:
   * since Chromium counts the scheme in the site, http://localhost is cross-site to them).
   */
  async page(options: { certificates?: CertificateTrust; origin?: PageOrigin; url?: string } = {}): Promise<LabPage> {
    const context = await this.browser.newContext(options.certificates);
    this.defer(() => context.close());
    const page = await context.newPage();
    const labPage = new LabPage(page, context, this.t0);
    await page.goto(options.url ?? `${this.h.origin(options.origin)}/`);
    return labPage;
  }

  /** A lab server in this process: feed paused (publish by hand), no heartbeat, page origins allowed, unless overridden. */
  async lab(transport: Transport, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
    const server = await startServer(transport, { rate: 0, heartbeatMs: null, allowOrigins: this.h.pageOrigins, ...options });
    this.defer(() => server.close());
    return server;
  }

  /**
   * A real nginx in front of a lab server (or a tap in front of one), stopped when the case ends. An nginx that
   * exits during the case fails it (a not-run record with nginx's reason): what the page saw then is no observation.
   */
  async proxy(target: ProxyTarget, options: ProxyOptions): Promise<RunningProxy> {
    const proxy = await startProxy(target, options);
    this.defer(() => proxy.close());
    const died = (exit: NginxExit) => {
      const last = exit.errorLog.trim().split('\n').at(-1)?.slice(0, 200);
      return new Error(`lab: nginx exited during the case (${exit.signal ?? `code ${exit.code}`})${last ? `: ${last}` : ''}`);
    };
    void proxy.exited.then((exit) => {
      if (!exit.expected) this.#fail(died(exit));
    });
    this.#checks.push(async () => {
      if (isNginxRunning(proxy.pid)) return;
      const exit = await proxy.exited;
      if (!exit.expected) throw died(exit);
    });
    return proxy;
  }

  /**
   * A scaled-out lab (servers/cluster/): Redis, a publisher, `nodes` server processes with the page origins allowed,
   * and nginx balancing them, all stopped when the case ends. Nodes the case kills or stops are expected; a node,
   * or nginx, that exits on its own fails the case.
   */
  async cluster(options: Partial<ClusterOptions> & { transport: Transport }): Promise<RunningCluster> {
    const origins = this.h.pageOrigins.flatMap((origin) => ['--allow-origin', origin]);
    const cluster = await startCluster({
      ...options,
      nodeArgs: [...origins, ...(options.nodeArgs ?? [])],
      onNodeExit: (node) => this.#fail(new Error(`lab: cluster node ${node.index} (pid ${node.pid}) exited during the case`)),
    });
    this.defer(() => cluster.close());
    void cluster.proxy.exited.then((exit) => {
      if (!exit.expected) this.#fail(new Error(`lab: the cluster's nginx exited during the case (${exit.signal ?? `code ${exit.code}`})`));
    });
    return cluster;
  }

  async tap(options: Omit<TapOptions, 't0'>): Promise<Tap> {
    const tap = await startTap({ ...options, t0: this.t0 });
    this.defer(() => tap.close());
    return tap;
  }

  async fixture(): Promise<FixtureServer> {
    const fixture = await startFixtureServer();
    fixture.setT0(this.t0);
    this.defer(() => fixture.close());
    return fixture;
  }
}

/** Which page server and host name a test page comes from (see CaseContext.page). */
export type PageOrigin = 'http' | 'https' | 'same-site' | 'https-same-site';

export interface HarnessOptions {
  /** Launch browsers (default true); false runs Node cases only. */
  browser?: boolean;
  /** The engines browser cases run in (default both). */
  engines?: readonly Engine[];
  /** The full profile (npm run lab -- --full): cases with a size knob (the cluster's thousands of clients) run at full size. */
  full?: boolean;
}

export class Harness {
  /** The engines browser cases run in, launched or not. */
  engines: readonly Engine[] = ENGINES;
  browsers: Partial<Record<Engine, LabBrowser>> = {};
  /** Why an engine has no browser, when it has none. */
  browserNotes: Partial<Record<Engine, string>> = {};
  /** Full size for the cases that have one (HarnessOptions.full); quick otherwise. */
  full = false;
  pageOrigin = '';
  httpsPageOrigin = '';
  sameSitePageOrigin = '';
  httpsSameSitePageOrigin = '';
  #pageServers: Server[] = [];

  /** Every origin a test page can have: the lab servers' allowlist in the scenarios. */
  get pageOrigins(): string[] {
    return [this.pageOrigin, this.httpsPageOrigin, this.sameSitePageOrigin, this.httpsSameSitePageOrigin];
  }

  /** The page origin of that kind (default: http://127.0.0.1:<page port>). */
  origin(kind: PageOrigin = 'http'): string {
    return {
      http: this.pageOrigin,
      https: this.httpsPageOrigin,
      'same-site': this.sameSitePageOrigin,
      'https-same-site': this.httpsSameSitePageOrigin,
    }[kind];
  }

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const h = new Harness();
    h.full = options.full ?? false;
    h.engines = options.engines ?? ENGINES;
    try {
      await h.#startPageServers();
      for (const engine of h.engines) {
        if (options.browser !== false) await h.#launch(engine);
        else h.browserNotes[engine] = 'browser cases skipped on request';
      }
    } catch (error) {
      await h.close();
      throw error;
    }
    return h;
  }

  async #launch(engine: Engine): Promise<void> {
    const path = findBrowser(engine);
    if (!path) {
      this.browserNotes[engine] = `no ${ENGINE_NAME[engine]} found; install it with: ${installHint(engine)}`;
      return;
    }
    try {
      // The CLI handles Ctrl-C itself: finish the case, clean up, then close the browser.
      this.browsers[engine] = await LabBrowser.launch(engine, { labSpki: (await labCertificate()).spki, handleSIGINT: false });
    } catch (error) {
      this.browserNotes[engine] =
        `${ENGINE_NAME[engine]} at ${path} did not start (${(error as Error).message.split('\n')[0]}); ` +
        `reinstall it with: ${installHint(engine)}`;
    }
  }

  async #startPageServers(): Promise<void> {
    const cert = await labCertificate();
    const http = createHttpServer(pageHandler);
    const https = createHttpsServer({ cert: cert.cert, key: cert.key }, pageHandler);
    for (const server of [http, https]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      this.#pageServers.push(server);
    }
    this.pageOrigin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    this.sameSitePageOrigin = `http://localhost:${(http.address() as AddressInfo).port}`;
    this.httpsPageOrigin = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    this.httpsSameSitePageOrigin = `https://localhost:${(https.address() as AddressInfo).port}`;
  }

  /**
   * Runs the cases of these scenarios, each browser case once per engine, `parallel` at a time: the cases mostly wait (on
   * retry delays, heartbeats, a frozen page), each with its own servers on port 0 and its own browser context, so they
   * can overlap; a scenario marked `alone` runs with nothing beside it. Cases start in the registry's order, and
   * `onScenario` gets each scenario's run in that order once its last case is done. Once `stopped()` is true (Ctrl-C) no
   * case starts; the ones running finish, and the scenarios returned are those reported: the complete ones up to the
   * first that is not (a complete one after it is dropped, as a stopped run is not written anyway).
   */
  async runScenarios(
    specs: readonly ScenarioSpec[],
    options: { parallel?: number; stopped?: () => boolean; onScenario?: (run: ScenarioRun) => void } = {},
  ): Promise<ScenarioRun[]> {
    const { parallel = 1, stopped = () => false, onScenario } = options;
    const jobs = specs.flatMap((spec, s) =>
      spec.cases.flatMap((caseSpec) =>
        (caseSpec.client === 'browser' ? this.engines : [undefined]).map((engine) => ({ s, caseSpec, engine })),
      ),
    );
    const records: (ScenarioRecord | undefined)[] = jobs.map(() => undefined);
    const spans = specs.map(() => ({ start: Number.POSITIVE_INFINITY, end: 0 }));
    const runs: ScenarioRun[] = [];
    /** Reports every scenario, in order, whose cases are all done. */
    const report = () => {
      while (runs.length < specs.length) {
        const s = runs.length;
        const mine = jobs.flatMap((job, i) => (job.s === s ? [records[i]] : []));
        if (mine.some((r) => r === undefined)) return;
        // A scenario without cases (none ran) starts and ends now.
        const { start, end } = Number.isFinite(spans[s]!.start) ? spans[s]! : { start: Date.now(), end: Date.now() };
        const run = { spec: specs[s]!, records: mine as ScenarioRecord[], startedAt: start, durationMs: end - start };
        runs.push(run);
        onScenario?.(run);
      }
    };
    report(); // a scenario without cases
    const width = Number.isInteger(parallel) && parallel >= 1 ? parallel : 1;
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let running = 0;
      let aloneRunning = false;
      const pump = () => {
        while (next < jobs.length && !stopped() && !aloneRunning && running < width) {
          const i = next;
          const { s, caseSpec, engine } = jobs[i]!;
          const alone = specs[s]!.alone !== undefined;
          if (alone && running > 0) break;
          next++;
          running++;
          aloneRunning = alone;
          spans[s]!.start = Math.min(spans[s]!.start, Date.now());
          // runCase turns a case's failure into a record; what still rejects (onScenario throwing) ends the run.
          this.runCase(specs[s]!.name, caseSpec, engine, caseSpec.timeoutMs)
            .then((record) => {
              records[i] = record;
              spans[s]!.end = Math.max(spans[s]!.end, Date.now());
              running--;
              if (alone) aloneRunning = false;
              report();
              pump();
            })
            .catch(reject);
        }
        if (running === 0 && (next === jobs.length || stopped())) resolve();
      };
      pump();
    });
    return runs;
  }

  /** One scenario's cases, one at a time (the tests' way); stopped before its last case, no records. */
  async runScenario(spec: ScenarioSpec, stopped: () => boolean = () => false): Promise<ScenarioRecord[]> {
    const [run] = await this.runScenarios([spec], { stopped });
    return run?.records ?? [];
  }

  /**
   * Runs one case (a browser case in `engine`) within `timeoutMs`; a failure, a timeout or a case that cannot run in
   * that engine (CaseSpec.notIn) becomes a not-run record, and its cleanups run either way.
   */
  async runCase(scenario: ScenarioName, spec: CaseSpec, engine?: Engine, timeoutMs = CASE_TIMEOUT_MS): Promise<ScenarioRecord> {
    const browser = engine && this.browsers[engine];
    const base = {
      id: recordId(scenario, spec.transport, spec.case, engine),
      scenario,
      transport: spec.transport,
      case: spec.case,
      client: spec.client,
      ...(engine ? { engine, browserVersion: browser?.version ?? null } : {}),
      title: spec.title,
      setup: spec.setup,
      claims: spec.claims,
    };
    // A case the engine cannot drive says so even where that engine is missing: installing it would not help.
    const cannot = engine && spec.notIn?.[engine];
    if (cannot)
      return { ...base, status: 'not-run', reason: `lab: not run in ${ENGINE_NAME[engine!]}: ${cannot}`, observed: {}, durationMs: 0 };
    if (spec.client === 'browser' && engine && !browser) {
      return { ...base, status: 'not-run', reason: this.browserNotes[engine] ?? 'no browser', observed: {}, durationMs: 0 };
    }
    const c = new CaseContext(this, engine);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lab: case timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    });
    // A case that throws before its first await fails here like one that rejects later.
    const running = Promise.resolve().then(() => spec.run(c));
    running.catch(() => undefined); // after a timeout it fails on its own once cleanup closes what it uses
    try {
      const observed = await Promise.race([running, deadline, c.failed]);
      await c.check();
      if (observed.events && observed.events.length > MAX_EVENTS) observed.events = observed.events.slice(0, MAX_EVENTS);
      if (observed.server?.requests && observed.server.requests.length > MAX_REQUESTS)
        observed.server.requests = observed.server.requests.slice(0, MAX_REQUESTS);
      return { ...base, status: 'observed', observed, durationMs: c.elapsed() };
    } catch (error) {
      const message = String(error instanceof Error ? error.message : error).split('\n')[0]!;
      return {
        ...base,
        status: 'not-run',
        reason: message.startsWith('lab: ') ? message : `lab: case failed: ${message}`,
        observed: {},
        durationMs: c.elapsed(),
      };
    } finally {
      clearTimeout(timer);
      await c.cleanup();
    }
  }

  async close(): Promise<void> {
    const browsers = Object.values(this.browsers);
    this.browsers = {};
    await Promise.all(browsers.map((b) => b.close()));
    for (const server of this.#pageServers) {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
    this.#pageServers = [];
  }
}

/** Serves the test page and its scripts (the page servers; the articles' servers, on their own origin, too). */
export function pageHandler(req: IncomingMessage, res: ServerResponse): void {
  servePage(req, res).catch((error: Error) => {
    console.error(`lab: page asset missing ${new URL(req.url ?? '/', 'http://x').pathname} (${error.message.split('\n')[0]}); run npm ci`);
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('lab: page asset missing\n');
  });
}

async function servePage(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const file = STATIC[path];
  if (file) {
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(await readFile(file));
  } else if (path === '/favicon.ico') {
    res.writeHead(204).end(); // keeps "404 favicon" out of the console records
  } else if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(PAGE_HTML);
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }
}

/** A record's id: `scenario/transport/case`, and `@engine` for a browser case. */
export function recordId(scenario: ScenarioName, transport: ScenarioTransport, caseId: string, engine?: Engine): string {
  return `${scenario}/${transport}/${caseId}${engine ? `@${engine}` : ''}`;
}

/** The TCP port of a server URL. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
