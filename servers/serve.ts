/**
 * npm run serve [-- --port 8080] [--host 127.0.0.1] [--tls] [--seed 42] [--rate 5] [--allow-origin URL ...]
 *
 * Starts every transport a browser can open (SSE, SSE over HTTP/2, ws, socket.io) over ONE shared
 * feed, each on its own port, plus the demo page at / on --port: one live panel each, side by side.
 * The page's origin is on every server's allowlist; everything else is refused as usual. SSE over
 * HTTP/2 is always https with the lab's self-signed certificate, so even a plain-http page talks
 * to one https origin: the command prints how to make Chromium trust it.
 *
 * The page's controls (servers/demo/controls.ts) put nginx in front and start a cluster to kill a node of. The same
 * page is also served on a second port whose origin is on no allowlist: what a foreign page gets (every panel refused).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { demoControls, type DemoControls, sendJson } from './demo/controls.ts';
import { LabError } from './errors.ts';
import { QuoteFeed } from './feed.ts';
import type { RunningServer } from './listen.ts';
import { BROWSER_TRANSPORTS, startServer } from './transports.ts';
import { HEADERS_TIMEOUT_MS, hostForUrl, listen, listenOn, REQUEST_TIMEOUT_MS } from './listen.ts';
import { DEMO_PORT, numberFlag, resolveOptions, type ServerOptions } from './options.ts';
import { ServerStats } from './stats.ts';

const PAGE = new URL('./demo/index.html', import.meta.url);
const USAGE = 'usage: npm run serve [-- --port 8080] [--host 127.0.0.1] [--tls] [--seed 42] [--rate 5] [--allow-origin URL ...]';

export interface Demo {
  /** The page: open this. */
  url: string;
  servers: RunningServer[];
  /** The same page on an origin no server allows: every panel shows its refusal. */
  foreignUrl: string;
  controls: DemoControls;
  spki?: string;
  close(): Promise<void>;
}

/** The page at / and its config at /config.json; anything else goes to `more` (the controls), else 404. */
function pageHandler(page: string, config: () => unknown, more: (req: IncomingMessage, res: ServerResponse) => boolean = () => false) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url?.split('?')[0];
    if (path === '/') return res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
    if (path === '/config.json') return sendJson(res, 200, config());
    if (!more(req, res)) res.writeHead(404).end();
  };
}

export async function startDemo(input: Partial<ServerOptions> & { extraOrigins?: string[] } = {}): Promise<Demo> {
  const options = resolveOptions({ port: DEMO_PORT, rate: 5, ...input, extraOrigins: undefined } as Partial<ServerOptions>);
  const feed = new QuoteFeed(options);
  const page = await readFile(PAGE, 'utf8');
  let controls: DemoControls | undefined;
  let foreignUrl = '';
  const servers: RunningServer[] = [];
  const demo = await listen(
    pageHandler(
      page,
      () => {
        // What runs now, so a reloaded page shows its controls as they are.
        const running = controls?.running();
        const nginx = running?.nginx[0]?.profile ?? null;
        return { foreign: false, foreignUrl, panels: controls?.panels(), nginx, clusters: Boolean(running?.clusters.length) };
      },
      (req, res) => controls?.handle(req, res) ?? false,
    ),
    options,
    new ServerStats('sse', () => feed.latestSeq),
  );
  // The page may be opened by IP or by name: allow both spellings of its origin.
  const scheme = options.tls ? 'https' : 'http';
  const pageOrigins = [demo.origin, `${scheme}://localhost:${demo.port}`, `${scheme}://${hostForUrl(options.host)}:${demo.port}`];
  const allowOrigins = [...new Set([...pageOrigins, ...(input.extraOrigins ?? [])])];
  for (const transport of BROWSER_TRANSPORTS) {
    servers.push(await startServer(transport, { ...options, port: 0, feed, allowOrigins }));
  }
  controls = demoControls({ servers, feed, options, allowOrigins });
  // The foreign page: the same page and the direct panels, from an origin on nobody's allowlist, and no controls.
  const direct = controls.panels();
  const foreignServer = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    pageHandler(page, () => ({ foreign: true, allowedUrl: `${demo.origin}/`, panels: direct })),
  );
  foreignUrl = `http://${hostForUrl(options.host)}:${await listenOn(foreignServer, { ...options, port: 0 })}/`;
  feed.start();
  return {
    url: `${demo.origin}/`,
    servers,
    foreignUrl,
    controls,
    // One lab certificate for every TLS server: the page's with --tls, and always sse-h2's.
    spki: demo.spki ?? servers.find((s) => s.spki)?.spki,
    async close() {
      // No new request (a control pressed now would start what close() has already stopped), then everything started.
      const closing = [demo.server, foreignServer].map((server) => new Promise((resolve) => server.close(resolve)));
      feed.stop();
      await controls!.close();
      foreignServer.closeAllConnections();
      await Promise.all(servers.map((s) => s.close()));
      demo.server.closeAllConnections();
      await Promise.all(closing);
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: String(DEMO_PORT) },
      host: { type: 'string', default: '127.0.0.1' },
      tls: { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      rate: { type: 'string', default: '5' },
      'allow-origin': { type: 'string', multiple: true, default: [] },
    },
  });
  const demo = await startDemo({
    host: values.host,
    port: numberFlag('port', values.port),
    tls: values.tls,
    seed: numberFlag('seed', values.seed),
    rate: numberFlag('rate', values.rate),
    extraOrigins: values['allow-origin'],
  });
  console.log(`demo page:  ${demo.url}`);
  console.log(`foreign:    ${demo.foreignUrl}   (the same page from an origin no server allows)`);
  for (const s of demo.servers) console.log(`${s.transport.padEnd(10)}  ${s.url}   (stats: ${s.statsUrl})`);
  if (demo.spki) {
    const https = demo.servers.filter((s) => s.spki).map((s) => s.transport);
    console.log(`${values.tls ? 'every server' : https.join(', ')} uses the lab's self-signed certificate, SPKI sha256: ${demo.spki}`);
    console.log(
      `trust it in Chromium: chromium --ignore-certificate-errors-spki-list=${demo.spki} --user-data-dir=$(mktemp -d) ${demo.url}`,
    );
  }
  console.log('Ctrl-C stops everything.');
  process.once('SIGINT', () => void demo.close());
  process.once('SIGTERM', () => void demo.close());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: Error & { code?: string }) => {
    const badArgs = error instanceof LabError || error.code?.startsWith('ERR_PARSE_ARGS');
    if (error.code === 'EADDRINUSE') console.error(`lab: port in use (${error.message}); try --port 0 or another port`);
    else if (badArgs) console.error(`${error instanceof LabError ? error.message : `lab: LAB_BAD_OPTION: ${error.message}`}\n${USAGE}`);
    else console.error(error);
    process.exitCode = badArgs || error.code === 'EADDRINUSE' ? 2 : 1;
  });
}
