/**
 * The shared harness: one Chromium per run, a page server on its own origin, servers on port 0,
 * and a runner that turns each case into a ScenarioRecord.
 *
 * Origins: test pages come from http://127.0.0.1:<page port> (and https:// on a second port, for
 * the self-signed scenario and the HTTP/2 server); every server is addressed as localhost:<port>, so a page
 * and a server are always different origins, the way a site and its API usually are. Lab
 * servers get the page origins on their allowlist.
 *
 * Chromium is launched once, with --ignore-certificate-errors-spki-list naming the lab's
 * self-signed certificate (the documented way to trust one certificate): servers started with
 * `tls: true` are trusted, and the self-signed scenario uses a second, per-run certificate that
 * nothing trusts. Each case gets a fresh browser context (its own cookies, cache and connection
 * pool), closed when the case ends. Each case runs under a time limit (CASE_TIMEOUT_MS): a case
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
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { now } from '../servers/contract.ts';
import { spec, type Transport } from '../servers/transports.ts';
import { startServer, type RunningServer, type ServerOptions } from '../servers/index.ts';
import { labCertificate } from '../servers/tls.ts';
import { isNginxRunning, type NginxExit, type ProxyTarget, type RunningProxy, startProxy } from '../servers/proxy/nginx.ts';
import type { ProxyOptions } from '../servers/proxy/profiles.ts';
import { type ClusterOptions, type RunningCluster, startCluster } from '../servers/cluster/cluster.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { CHROMIUM_INSTALL_HINT, findChromium, launchChromium } from '../scripts/lib/browser.ts';
import { startFixtureServer, type FixtureServer } from './fixtures/http-fixtures.ts';
import { startTap, type Tap, type TapOptions } from './fixtures/tap.ts';
import type { ClaimId } from '../scripts/lib/claims.ts';
import { round } from './measure.ts';
import type { ClientKind, Json, Observed, ScenarioName, ScenarioRecord, ScenarioTransport, TimedEvent } from './types.ts';

/** Files the page server serves: the page helpers and the two client libraries, from node_modules as installed. */
const STATIC: Record<string, string> = {
  '/lab-page.js': `${ROOT}scenarios/page/lab-page.js`,
  '/vendor/eventsource.js': `${ROOT}node_modules/event-source-polyfill/src/eventsource.js`,
  '/vendor/socket.io.min.js': `${ROOT}node_modules/socket.io-client/dist/socket.io.min.js`,
};
const PAGE_HTML =
  '<!doctype html><meta charset="utf-8"><title>lab scenario</title>' +
  '<script src="/vendor/socket.io.min.js"></script><script src="/vendor/eventsource.js"></script><script src="/lab-page.js"></script>';

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
  run(c: CaseContext): Promise<Observed>;
}

export interface ScenarioSpec {
  name: ScenarioName;
  title: string;
  cases: CaseSpec[];
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
    readonly context: BrowserContext,
    readonly t0: number,
  ) {
    page.on('console', (message) => {
      if ((message.type() === 'error' || message.type() === 'warning') && this.console.length < 50) {
        this.console.push({ t: now() - t0, source: 'console', type: message.type(), detail: { text: message.text().slice(0, 300) } });
      }
    });
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

  constructor(readonly h: Harness) {
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

  /**
   * A fresh browser context and page. Default origin http://127.0.0.1:<page port> (cross-site to
   * the servers on localhost); `https` for the page server's TLS origin; `same-site` for
   * http://localhost:<page port> (cross-origin but same-site, so SameSite=Lax cookies go along);
   * `https-same-site` for https://localhost:<https page port> (the same, for servers on https:
   * since Chromium counts the scheme in the site, http://localhost is cross-site to them).
   */
  async page(options: { contextOptions?: BrowserContextOptions; origin?: PageOrigin; url?: string } = {}): Promise<LabPage> {
    const browser = this.h.browser;
    if (!browser) throw new Error('lab: this case needs Chromium');
    const context = await browser.newContext(options.contextOptions);
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
  /** Launch Chromium (default true); false runs Node cases only. */
  browser?: boolean;
  /** The full profile (npm run lab -- --full): cases with a size knob (the cluster's thousands of clients) run at full size. */
  full?: boolean;
}

export class Harness {
  browser?: Browser;
  chromiumPath?: string;
  /** Extra flags Chromium was launched with. */
  chromiumArgs: string[] = [];
  /** Why there is no browser, when there is none. */
  browserNote?: string;
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
    try {
      await h.#startPageServers();
      if (options.browser !== false) await h.#launch();
      else h.browserNote = 'browser cases skipped on request';
    } catch (error) {
      await h.close();
      throw error;
    }
    return h;
  }

  async #launch(): Promise<void> {
    this.chromiumPath = findChromium();
    if (!this.chromiumPath) {
      this.browserNote = `no Chromium found; install it with: ${CHROMIUM_INSTALL_HINT}`;
      return;
    }
    const cert = await labCertificate();
    this.chromiumArgs = [`--ignore-certificate-errors-spki-list=${cert.spki}`];
    try {
      // The CLI handles Ctrl-C itself: finish the case, clean up, then close the browser.
      this.browser = await launchChromium(this.chromiumArgs, { handleSIGINT: false });
    } catch (error) {
      this.browserNote =
        `Chromium at ${this.chromiumPath} did not start (${(error as Error).message.split('\n')[0]}); ` +
        `reinstall it with: ${CHROMIUM_INSTALL_HINT}`;
    }
  }

  async #startPageServers(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) =>
      void servePage(req, res).catch((error: Error) => {
        console.error(
          `lab: page asset missing ${new URL(req.url ?? '/', 'http://x').pathname} (${error.message.split('\n')[0]}); run npm ci`,
        );
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('lab: page asset missing\n');
      });
    const cert = await labCertificate();
    const http = createHttpServer(handler);
    const https = createHttpsServer({ cert: cert.cert, key: cert.key }, handler);
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
   * Runs the cases of one scenario; browser cases become not-run records without a browser.
   * Stops between cases once `stopped()` is true (Ctrl-C).
   */
  async runScenario(spec: ScenarioSpec, stopped: () => boolean = () => false): Promise<ScenarioRecord[]> {
    const records: ScenarioRecord[] = [];
    for (const caseSpec of spec.cases) {
      if (stopped()) break;
      records.push(await this.runCase(spec.name, caseSpec, caseSpec.timeoutMs));
    }
    return records;
  }

  /** Runs one case within `timeoutMs`; a failure or a timeout becomes a not-run record, and its cleanups run either way. */
  async runCase(scenario: ScenarioName, spec: CaseSpec, timeoutMs = CASE_TIMEOUT_MS): Promise<ScenarioRecord> {
    const base = {
      id: `${scenario}/${spec.transport}/${spec.case}`,
      scenario,
      transport: spec.transport,
      case: spec.case,
      client: spec.client,
      title: spec.title,
      setup: spec.setup,
      claims: spec.claims,
    };
    if (spec.client === 'chromium' && !this.browser) {
      return { ...base, status: 'not-run', reason: this.browserNote ?? 'no browser', observed: {}, durationMs: 0 };
    }
    const c = new CaseContext(this);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lab: case timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const running = spec.run(c);
    running.catch(() => undefined); // after a timeout it fails on its own once cleanup closes what it uses
    try {
      const observed = await Promise.race([running, deadline, c.failed]);
      await c.check();
      if (observed.events && observed.events.length > MAX_EVENTS) observed.events = observed.events.slice(0, MAX_EVENTS);
      if (observed.server?.requests && observed.server.requests.length > MAX_REQUESTS)
        observed.server.requests = observed.server.requests.slice(0, MAX_REQUESTS);
      return { ...base, status: 'observed', observed, durationMs: c.elapsed() };
    } catch (error) {
      const message = (error as Error).message.split('\n')[0]!;
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
    await this.browser?.close().catch(() => undefined);
    this.browser = undefined;
    for (const server of this.#pageServers) {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
    this.#pageServers = [];
  }
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

/** The TCP port of a server URL. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
