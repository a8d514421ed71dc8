/**
 * The lab's browser driver: real Chromium and real Firefox as the machine has them (never a downloaded browser), both
 * driven by one library, puppeteer-core — Chromium over the DevTools protocol, Firefox over WebDriver BiDi. The
 * scenarios, the wire capture, the report's PNG step and the tests launch browsers only through here.
 *
 * What differs between the engines stays behind this interface and is recorded (`settings`):
 * - trusting the lab's self-signed certificate: Chromium takes `--ignore-certificate-errors-spki-list` naming that one
 *   certificate; Firefox has no such flag, so its contexts that trust the lab certificate come from a session opened
 *   with `acceptInsecureCerts` (which accepts every certificate), and a context that must trust nothing comes from a
 *   second Firefox without it;
 * - flags that keep a browser off the network (closed here): Chromium's command line; Firefox's profile preferences,
 *   which puppeteer-core writes for an automated Firefox (no updates, telemetry or background requests).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { executable } from '../../servers/daemons.ts';
import puppeteer, { type Browser, type BrowserContext, type CDPSession, type Cookie, type Page } from 'puppeteer-core';

export type Engine = 'chromium' | 'firefox';
export const ENGINES: readonly Engine[] = ['chromium', 'firefox'];
/** How a reader names the engine. */
export const ENGINE_NAME: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox' };

/** Where each engine is looked for, in order: environment variables, names on PATH, macOS install locations. */
const WHERE: Record<Engine, { env: string[]; names: string[]; macOS: string[] }> = {
  chromium: {
    env: ['CHROMIUM', 'CHROMIUM_PATH'],
    names: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge'],
    macOS: [
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ],
  },
  firefox: {
    env: ['FIREFOX'],
    names: ['firefox', 'firefox-esr'],
    macOS: ['/Applications/Firefox.app/Contents/MacOS/firefox'],
  },
};

/** The Debian package of each engine (what `npm run lab` installs as root on Debian or Ubuntu). */
export const BROWSER_PACKAGE: Record<Engine, string> = { chromium: 'chromium', firefox: 'firefox-esr' };

/** One line that says how to get the engine: the package, or the variable that points at a binary. */
export function installHint(engine: Engine): string {
  return `apt-get install -y ${BROWSER_PACKAGE[engine]} (or set ${WHERE[engine].env[0]}=/path/to/${engine})`;
}

/** An engine's binary: the first of its environment variables that is set, else its usual names on PATH, else macOS's. */
export function findBrowser(engine: Engine): string | undefined {
  const where = WHERE[engine];
  for (const name of where.env) {
    const value = process.env[name];
    // A variable that is set decides: a wrong path is reported as missing, not silently replaced by another binary.
    if (value) return existsSync(value) ? value : undefined;
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of where.names) {
    for (const dir of dirs) if (executable(join(dir, name))) return join(dir, name);
  }
  return where.macOS.find(executable);
}

/** Flags that keep Chromium off the network (closed here) and quiet; puppeteer-core adds --headless and its profile. */
const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-sandbox',
];

/** Which certificates a context trusts: the lab's (servers/tls.ts; the default), none self-signed, or any at all. */
export type CertificateTrust = 'lab' | 'none' | 'any';

export interface LaunchOptions {
  /** The SPKI hash (base64 SHA-256) of the lab's certificate, so contexts can trust it (CertificateTrust `lab`). */
  labSpki?: string;
  /** Extra Chromium flags (the wire capture's TLS key log); ignored by Firefox. */
  chromiumArgs?: string[];
  /** false when the caller handles Ctrl-C itself (finishes a case, then closes the browser). */
  handleSIGINT?: boolean;
}

async function start(engine: Engine, path: string, options: LaunchOptions, acceptInsecureCerts: boolean): Promise<Browser> {
  const common = {
    executablePath: path,
    headless: true,
    handleSIGINT: options.handleSIGINT ?? true,
    defaultViewport: { width: 1000, height: 800 },
  };
  if (engine === 'firefox') return puppeteer.launch({ ...common, browser: 'firefox', protocol: 'webDriverBiDi', acceptInsecureCerts });
  const spki = options.labSpki ? [`--ignore-certificate-errors-spki-list=${options.labSpki}`] : [];
  return puppeteer.launch({ ...common, browser: 'chrome', args: [...CHROMIUM_ARGS, ...spki, ...(options.chromiumArgs ?? [])] });
}

/** A running browser of one engine. */
export class LabBrowser {
  /** Firefox only: a second instance without acceptInsecureCerts, started on first use, for contexts that trust nothing. */
  #strict?: Promise<Browser>;

  private constructor(
    readonly engine: Engine,
    readonly path: string,
    /** The browser's own version string, e.g. `Chrome/156.0.8078.108`, `firefox/153.8.0`. */
    readonly version: string,
    readonly browser: Browser,
    readonly options: LaunchOptions,
  ) {}

  /** Launches `engine`; throws a `lab:` error naming the package when it is not installed. */
  static async launch(engine: Engine, options: LaunchOptions = {}): Promise<LabBrowser> {
    const path = findBrowser(engine);
    if (!path) throw new Error(`lab: no ${ENGINE_NAME[engine]} found; install it with: ${installHint(engine)}`);
    const browser = await start(engine, path, options, options.labSpki !== undefined);
    try {
      return new LabBrowser(engine, path, await browser.version(), browser, options);
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw error;
    }
  }

  /** The engine-specific settings this browser runs with, as a record states them. */
  get settings(): string[] {
    if (this.engine === 'chromium') {
      const spki = this.options.labSpki ? ['--ignore-certificate-errors-spki-list=<the lab certificate>'] : [];
      return [...spki, ...(this.options.chromiumArgs ?? [])];
    }
    return this.options.labSpki
      ? ['acceptInsecureCerts (WebDriver BiDi session) for contexts that trust the lab certificate: it accepts every certificate']
      : [];
  }

  /** A fresh context (its own cookies, cache and connection pool) trusting `certificates`. */
  async newContext(certificates: CertificateTrust = 'lab'): Promise<LabContext> {
    if (this.engine === 'firefox') {
      const accepting = this.options.labSpki !== undefined; // the main Firefox's session accepts every certificate
      if (certificates === 'any' && !accepting)
        throw new Error('lab: this Firefox was launched without labSpki: it cannot ignore certificate errors');
      if (certificates === 'none' && accepting) {
        this.#strict ??= start('firefox', this.path, this.options, false);
        return new LabContext(this.engine, await (await this.#strict).createBrowserContext(), certificates);
      }
    }
    return new LabContext(this.engine, await this.browser.createBrowserContext(), certificates);
  }

  /** A page in the default context: for one-off work (the report's PNGs). */
  newPage(): Promise<Page> {
    return this.browser.newPage();
  }

  async close(): Promise<void> {
    const strict = this.#strict;
    this.#strict = undefined;
    await Promise.all([this.browser.close(), strict?.then((b) => b.close())].map((p) => p?.catch(() => undefined)));
  }
}

/** A browser context: pages, cookies, and how it treats certificates. */
export class LabContext {
  constructor(
    readonly engine: Engine,
    readonly context: BrowserContext,
    readonly certificates: CertificateTrust,
  ) {}

  async newPage(): Promise<Page> {
    const page = await this.#createPage();
    if (this.engine === 'chromium' && this.certificates === 'any') {
      // Chromium's switch, on the page's own DevTools session: it holds while that session is attached (the page lives).
      const session = await page.createCDPSession();
      await session.send('Security.setIgnoreCertificateErrors', { ignore: true });
    }
    return page;
  }

  /**
   * A new tab. Firefox can replace a new tab's initial about:blank while `browsingContext.create` waits for it and then
   * fail the command (`DiscardedBrowsingContextError`, seen with four cases at a time; Mozilla bug 1918287 is of the same
   * kind), so there it is asked again, up to three times in all.
   */
  async #createPage(attempt = 1): Promise<Page> {
    try {
      return await this.context.newPage();
    } catch (error) {
      if (this.engine !== 'firefox' || attempt >= 3 || !/DiscardedBrowsingContextError/.test(String(error))) throw error;
      return this.#createPage(attempt + 1);
    }
  }

  /** Sets cookies as if a site had, before any page asks for them. */
  setCookie(...cookies: Pick<Cookie, 'name' | 'value' | 'domain' | 'path' | 'sameSite'>[]): Promise<void> {
    return this.context.setCookie(...cookies);
  }

  close(): Promise<void> {
    return this.context.close().catch(() => undefined);
  }
}

/** A DevTools session on a page: Chromium only (its network log, page lifecycle); undefined in Firefox. */
export function devtools(context: LabContext, page: Page): Promise<CDPSession> | undefined {
  return context.engine === 'chromium' ? page.createCDPSession() : undefined;
}

/** A browser's version without its product name: `Chrome/156.0.1` and `firefox/153.8.0` become `156.0.1`, `153.8.0`. */
export const bareVersion = (version: string): string => version.replace(/^[^/]*\//, '');

/** Console message types as the records have always named them (puppeteer says `warn`). */
export const consoleType = (type: string): string => (type === 'warn' ? 'warning' : type);
