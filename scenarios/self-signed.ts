/**
 * Scenario `self-signed`: https/wss with self-signed certificates, in Chromium, Firefox and Node.
 *
 * Method. Two certificates: the lab's (servers/tls.ts), which Chromium is told to trust at launch
 * by its SPKI hash (--ignore-certificate-errors-spki-list) and Firefox through a session that accepts every
 * certificate (acceptInsecureCerts: Firefox has no per-certificate flag; scripts/lib/browser.ts), and a fresh
 * per-run certificate that nothing trusts (fixtures/untrusted-cert.ts), served by a TLS-terminating wire tap in front of a
 * plain lab server, so the SSE and WebSocket servers behind it are the lab's own. For each setting
 * the page opens an EventSource and a WebSocket to the same kind of endpoint and the record says
 * what happened: open or error events, readyState, TLS handshakes the server side saw fail, and
 * the console message. Settings: a default context (in Firefox, one from a second Firefox that accepts no
 * self-signed certificate); a context that ignores certificate errors (Chromium: the DevTools switch on each page's
 * session; Firefox's acceptInsecureCerts session); the
 * SPKI-trusted lab certificate; a user who clicked through the certificate warning for
 * https://localhost:<port> (emulated by typing `thisisunsafe` on Chromium's interstitial, which
 * is what its "Proceed" does) and then connects to another port on the same host name, or to the
 * same server by 127.0.0.1; a connection refused first and accepted afterwards in another tab
 * (its open is timed from the moment the click-through in that tab finished);
 * and a page on https connecting to plain http/ws (mixed content).
 * Node cases: each Node client against the lab's TLS server with no CA (default), with the `ca`
 * option, and in a child process with NODE_EXTRA_CA_CERTS.
 * Which transports take part follows the registry: the browser cases need an EventSource or a
 * WebSocket transport that can run plain (a TLS-terminating tap in front of a plain HTTP/1.1
 * server, and a plain server for the mixed-content case), so SSE over HTTP/2, always TLS, is not
 * among them (its certificate is checked as any https one is, and every one of its scenario
 * cases runs on the SPKI-trusted lab certificate); every transport with a Node client gets the
 * Node cases, SSE over HTTP/2's client included.
 *
 * Samples: one connection per setting, watched for 1.5 s. Invalidated by: a Chromium whose
 * interstitial ignores `thisisunsafe` (the case then fails: a not-run record naming the warning). The click-through
 * warning is clicked through in both engines (clickThrough).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient } from '../clients/index.ts';
import { labCertificate } from '../servers/tls.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import type { ClaimId } from '../scripts/lib/claims.ts';
import { untrustedCertificate } from './fixtures/untrusted-cert.ts';
import type { Tap } from './fixtures/tap.ts';
import { LabPage, portOf, sleep, until, viaLocalhost, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { countOf } from './measure.ts';
import { type BrowserApi, NODE_CLIENTS, type NodeTransport, readableHttp1, spec, transportsWhere } from './capabilities.ts';
import type { Json, Observed, ScenarioTransport } from './types.ts';

const WATCH_MS = 1500;
const CLAIMS: ClaimId[] = ['ws-rejects-self-signed-sse-accepts'];

/** What the browser cases need of each API they compare: the page helper, the endpoint, the secure and plain schemes. */
const API: Partial<Record<BrowserApi, { name: string; open: string; path: string; secure: string; plain: string }>> = {
  EventSource: { name: 'EventSource', open: 'eventSource', path: '/sse', secure: 'https', plain: 'http' },
  WebSocket: { name: 'WebSocket', open: 'webSocket', path: '/ws', secure: 'wss', plain: 'ws' },
};
const apiOf = (transport: ScenarioTransport) => API[spec(transport).browserApi!]!;

/** Opens an EventSource or a WebSocket, watches for WATCH_MS, and reports what the page saw. */
async function tryOpen(page: LabPage, transport: ScenarioTransport, url: string): Promise<Observed> {
  await page.call(apiOf(transport).open, 'x', url);
  await sleep(WATCH_MS);
  const events = await page.events('x');
  const count = (type: string) => countOf(events, type);
  return {
    events,
    readyState: await page.readyState('x'),
    counts: { opens: count('open'), errors: count('error'), closes: count('close') },
    facts: { url, opened: count('open') > 0, console: page.console.map((e) => e.detail!.text!) as Json },
  };
}

/** A plain lab server behind a TLS tap that presents the untrusted certificate. */
async function behindUntrusted(c: CaseContext, transport: ScenarioTransport, extraOrigins: string[] = []): Promise<Tap> {
  const cert = await untrustedCertificate();
  const server = await c.lab(transport, { allowOrigins: [...c.h.pageOrigins, ...extraOrigins] });
  return c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) }, tls: { cert: cert.cert, key: cert.key } });
}

const pathOf = (transport: ScenarioTransport) => apiOf(transport).path;
const schemeOf = (transport: ScenarioTransport) => apiOf(transport).secure;

function withTls(observed: Observed, tap: Tap, setting: Record<string, Json>): Observed {
  return {
    ...observed,
    server: {
      connections: tap.connections.length,
      counters: { tlsHandshakesFailed: tap.tlsErrors, tlsConnections: tap.connections.length },
    },
    facts: { ...observed.facts, ...setting },
  };
}

async function untrusted(c: CaseContext, transport: ScenarioTransport, ignoreHTTPSErrors: boolean): Promise<Observed> {
  const tap = await behindUntrusted(c, transport);
  const page = await c.page({ certificates: ignoreHTTPSErrors ? 'any' : 'none' });
  const observed = await tryOpen(page, transport, tap.url(schemeOf(transport), pathOf(transport)));
  return withTls(observed, tap, { certificate: 'untrusted (per run)', ignoreHTTPSErrors, pageOrigin: c.h.pageOrigin });
}

async function spkiTrusted(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport, { tls: true });
  const page = await c.page();
  const observed = await tryOpen(page, transport, viaLocalhost(server.url));
  const how = c.engine === 'firefox' ? 'acceptInsecureCerts session: every certificate' : 'SPKI on the launch flag';
  return { ...observed, facts: { ...observed.facts, certificate: `lab (${how})`, spki: server.spki ?? null } };
}

/**
 * The user's "Proceed" on the certificate warning. Chromium's interstitial takes the typed phrase `thisisunsafe` as
 * the click (tried up to three times: it may not have focus yet). Firefox's warning (about:certerror) is a page whose
 * "Advanced…" and then "Accept the Risk and Continue" buttons are pressed; the second is enabled only after a security
 * delay, so it is pressed until the page leaves the warning. The waits are generous: with cases in parallel a busy
 * machine draws the warning late, and a wait that ends early is a failed case, while one that succeeds ends at once.
 */
async function clickThrough(page: LabPage, url: string): Promise<{ warning: string | null; proceeded: boolean }> {
  const warning = await page.page.goto(url).then(
    () => null,
    (error: Error) =>
      error.message.match(/net::ERR_[A-Z_]+|MOZILLA_PKIX_ERROR_[A-Z_]+|SEC_ERROR_[A-Z_]+/)?.[0] ?? error.message.split('\n')[0]!,
  );
  if (warning === null) return { warning, proceeded: true };
  if (page.engine === 'firefox') return { warning, proceeded: await acceptFirefoxRisk(page, url) };
  for (let attempt = 0; attempt < 3; attempt++) {
    await sleep(200);
    await page.page.keyboard.type('thisisunsafe');
    if (await until(() => page.page.url() === url, 5000)) {
      await page.page.waitForFunction(() => document.readyState === 'complete');
      return { warning, proceeded: true };
    }
  }
  return { warning, proceeded: false };
}

/** Presses a button of Firefox's certificate warning (inside its `net-error-card`); false when it is not there (yet). */
const pressWarningButton = (page: LabPage, id: string) =>
  page.page.evaluate((buttonId) => {
    const button = document.querySelector('net-error-card')?.shadowRoot?.getElementById(buttonId) as HTMLElement | null | undefined;
    button?.click();
    return !!button;
  }, id);

async function acceptFirefoxRisk(page: LabPage, url: string): Promise<boolean> {
  if (!(await until(() => pressWarningButton(page, 'advanced-button'), 10_000, 100))) return false;
  const left = await until(
    async () => {
      if (page.page.url() === url) return true;
      await pressWarningButton(page, 'exception-button').catch(() => false); // the page may be navigating away
      return false;
    },
    15_000,
    250,
  );
  if (left) await page.page.waitForFunction(() => document.readyState === 'complete');
  return left;
}

/**
 * Clicks through the certificate warning for the page's own https origin, then connects to a
 * server presenting the same certificate on another port, by the same host name or by 127.0.0.1.
 */
async function clickedThrough(c: CaseContext, transport: ScenarioTransport, host: 'localhost' | '127.0.0.1'): Promise<Observed> {
  const cert = await untrustedCertificate();
  const pageTap = await c.tap({ target: { host: '127.0.0.1', port: portOf(c.h.pageOrigin) }, tls: { cert: cert.cert, key: cert.key } });
  const pageUrl = pageTap.url('https', '/');
  const acceptedOrigin = new URL(pageUrl).origin;
  const tap = await behindUntrusted(c, transport, [acceptedOrigin]);
  const page = await c.page({ url: 'about:blank', certificates: 'none' });
  const { warning, proceeded } = await clickThrough(page, pageUrl);
  if (!proceeded) throw new Error(`could not click through the certificate warning (${warning})`);
  const observed = await tryOpen(page, transport, tap.url(schemeOf(transport), pathOf(transport), host));
  return withTls(observed, tap, { certificate: 'untrusted (per run)', warning, proceeded, acceptedOrigin, connectedHost: host });
}

/**
 * The order a developer meets it in: the page opens the stream, the certificate is refused; then
 * the user opens the server's URL in another tab and clicks "Proceed". Does the connection that
 * was already refused come back by itself? (EventSource retries; a WebSocket is CLOSED for good.)
 */
async function acceptedLater(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const tap = await behindUntrusted(c, transport);
  const page = await c.page({ certificates: 'none' });
  await page.call(apiOf(transport).open, 'x', tap.url(schemeOf(transport), pathOf(transport)));
  await sleep(500);
  const stateBefore = await page.readyState('x');
  const tab = new LabPage(await page.context.newPage(), page.context, c.t0);
  const { warning, proceeded } = await clickThrough(tab, tap.url('https', '/'));
  if (!proceeded) throw new Error(`could not click through the certificate warning (${warning})`);
  const acceptedAt = c.elapsed(); // the certificate counts as accepted once the interstitial let the tab through
  await page.waitForEvents('x', 'open', 1, 4500);
  const events = await page.events('x');
  const open = events.find((e) => e.type === 'open');
  const count = (type: string) => countOf(events, type);
  return {
    events,
    readyState: await page.readyState('x'),
    counts: { opens: count('open'), errors: count('error'), closes: count('close') },
    server: {
      connections: tap.connections.length,
      counters: { tlsHandshakesFailed: tap.tlsErrors, tlsConnections: tap.connections.length },
    },
    facts: {
      certificate: 'untrusted (per run)',
      readyStateBeforeAccepting: stateBefore,
      acceptedAtMs: acceptedAt,
      proceeded,
      openedWithoutNewCode: !!open,
      openedAfterAcceptMs: open ? Math.round(open.t - acceptedAt) : null,
      console: page.console.map((e) => e.detail!.text!) as Json,
    },
  };
}

async function httpsPageToPlain(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport);
  const page = await c.page({ origin: 'https' });
  const observed = await tryOpen(page, transport, viaLocalhost(server.url));
  return { ...observed, facts: { ...observed.facts, pageOrigin: c.h.httpsPageOrigin, connections: server.stats.peakConnections } };
}

/** Node clients against the lab's TLS server: no CA, the `ca` option, NODE_EXTRA_CA_CERTS in a child. */
async function nodeTls(c: CaseContext, transport: NodeTransport, trust: 'none' | 'ca-option' | 'extra-ca-certs'): Promise<Observed> {
  const server = await c.lab(transport, { tls: true });
  const cert = await labCertificate();
  if (trust === 'extra-ca-certs') {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scenarios/fixtures/node-tls-probe.ts', transport, server.url],
      { cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.certPath }, timeout: 20_000 },
    );
    const probe = JSON.parse(stdout.trim().split('\n').at(-1)!) as { opened: boolean; error: string | null; extraCaCerts: 'set' | 'unset' };
    return {
      counts: { serverConnections: server.stats.peakConnections },
      facts: { trust, opened: probe.opened, error: probe.error, childProcess: true, childSawExtraCaCerts: probe.extraCaCerts === 'set' },
    };
  }
  const client = createClient(transport, { url: server.url, reconnect: false, ...(trust === 'ca-option' ? { ca: cert.cert } : {}) });
  c.defer(() => client.close());
  const error = await client.connect().then(
    () => null,
    (e: Error) => e.message,
  );
  return { counts: { serverConnections: server.stats.peakConnections }, facts: { trust, opened: error === null, error } };
}

function browserCases(transport: ScenarioTransport): CaseSpec[] {
  const spec = (id: string, title: string, setup: Record<string, Json>, run: (c: CaseContext) => Promise<Observed>): CaseSpec => ({
    transport,
    case: id,
    client: 'browser',
    title,
    claims: CLAIMS,
    setup,
    run,
  });
  const name = apiOf(transport).name;
  return [
    spec(
      'untrusted-default',
      `${name} to ${schemeOf(transport)}:// with an untrusted self-signed certificate, default context`,
      { certificate: 'untrusted', context: 'default' },
      (c) => untrusted(c, transport, false),
    ),
    spec(
      'untrusted-ignore-https-errors',
      `${name}, untrusted certificate, context that ignores certificate errors`,
      {
        certificate: 'untrusted',
        context:
          'certificate errors ignored (Chromium: Security.setIgnoreCertificateErrors on each page session; Firefox: acceptInsecureCerts)',
      },
      (c) => untrusted(c, transport, true),
    ),
    spec(
      'spki-trusted',
      `${name} to the lab's certificate, trusted at launch`,
      {
        certificate: 'lab',
        trustedBy: 'Chromium: --ignore-certificate-errors-spki-list (that certificate); Firefox: acceptInsecureCerts (any)',
      },
      (c) => spkiTrusted(c, transport),
    ),
    spec(
      'clicked-through-same-host',
      `${name} after "Proceed" on the warning for https://localhost:<page port>, to localhost:<other port>`,
      { certificate: 'untrusted', accepted: 'https://localhost:<page port>', connect: 'localhost:<server port>' },
      (c) => clickedThrough(c, transport, 'localhost'),
    ),
    spec(
      'clicked-through-other-host',
      `${name} after "Proceed" for localhost, to the same server by 127.0.0.1`,
      { certificate: 'untrusted', accepted: 'https://localhost:<page port>', connect: '127.0.0.1:<server port>' },
      (c) => clickedThrough(c, transport, '127.0.0.1'),
    ),
    spec(
      'accepted-later',
      `${name} refused, then the user clicks "Proceed" for that server in another tab: does it come back by itself?`,
      { certificate: 'untrusted', waitAfterAcceptMs: 4500 },
      (c) => acceptedLater(c, transport),
    ),
    spec(
      'https-page-to-plain',
      `${name} from a page on https to plain ${apiOf(transport).plain}:// (mixed content)`,
      { page: 'https (lab certificate)', server: 'plain' },
      (c) => httpsPageToPlain(c, transport),
    ),
  ];
}

function nodeCases(transport: NodeTransport): CaseSpec[] {
  const spec = (trust: 'none' | 'ca-option' | 'extra-ca-certs', title: string): CaseSpec => ({
    transport,
    case: trust === 'none' ? 'node-default' : `node-${trust}`,
    client: 'node',
    title: `Node client (clients/${transport}.ts) to the lab's TLS server: ${title}`,
    claims: CLAIMS,
    setup: { certificate: 'lab', trust },
    run: (c) => nodeTls(c, transport, trust),
  });
  return [
    spec('none', 'no CA given'),
    spec('ca-option', 'certificate passed as the `ca` option'),
    spec('extra-ca-certs', 'NODE_EXTRA_CA_CERTS in a child process'),
  ];
}

/** EventSource and WebSocket transports that can run plain HTTP/1.1 behind the TLS tap (see the header). */
const BROWSER_CASES = transportsWhere((s) => (s.browserApi === 'EventSource' || s.browserApi === 'WebSocket') && readableHttp1(s));

export const selfSigned: ScenarioSpec = {
  name: 'self-signed',
  title: 'Self-signed certificates: which settings let EventSource and WebSocket connect',
  cases: [...BROWSER_CASES.flatMap(browserCases), ...NODE_CLIENTS.flatMap(nodeCases)],
};
