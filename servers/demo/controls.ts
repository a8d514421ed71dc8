/**
 * The demo page's live controls (servers/serve.ts mounts them): nginx in front of every proxiable server, a 2-node
 * cluster per transport that has one, one node of each killed and started again. Each is a small POST answered with
 * the panels the page should show now; the page reconnects a panel whose url changed, resuming from its last seq.
 * Every process started here (nginx, Redis, nodes) is stopped by close(), by its pid, and its temp dir removed.
 *
 *   POST /drop   POST /nginx?profile=stock|tuned|off   POST /cluster   POST /cluster/kill
 *
 * A POST needs no preflight, so any page the user visits could press these: a request whose Origin is not the demo
 * page's is refused (403), as the lab's servers refuse a foreign WebSocket upgrade. No Origin (curl) is let through.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RunningCluster, startCluster } from '../cluster/cluster.ts';
import { errorBody, LabError } from '../errors.ts';
import { refuseBadTarget, requestTarget } from '../request.ts';
import type { QuoteFeed } from '../feed.ts';
import type { RunningServer } from '../listen.ts';
import type { ServerOptions } from '../options.ts';
import { type RunningProxy, startProxy } from '../proxy/nginx.ts';
import { proxiable, type ProxyProfile, whyNotProxiable } from '../proxy/profiles.ts';
import { type BrowserTransport, startServer, type Transport, TRANSPORTS } from '../transports.ts';

/** The nginx profiles the page offers: what people write first, and what nginx's documentation recommends. */
const DEMO_PROFILES = ['stock', 'tuned'] as const satisfies readonly ProxyProfile[];
type DemoProfile = (typeof DEMO_PROFILES)[number];
/** The transports a cluster runs (servers/cluster/: SSE over HTTP/1.1, ws, socket.io). */
const CLUSTERED = ['sse', 'ws', 'socketio'] as const satisfies readonly BrowserTransport[];
/** A killed node comes back after this long, ms: long enough to see its clients move to the other node. */
export const NODE_RESTART_MS = 3000;
/** nginx the page has moved off stops this long after, ms (make before break: see setNginx). */
const RETIRE_MS = 5000;

/** One panel on the page. */
export interface PanelConfig {
  /** Stable for the panel's life: a new url on the same id is a switch, resumed from the panel's last seq. */
  id: string;
  transport: BrowserTransport;
  label: string;
  browserApi: string;
  url: string;
  /** How the page reaches it: `direct`, `nginx stock`, `nginx tuned`, `cluster`. */
  via: string;
  /** One line under the title: what is different about this panel. */
  note?: string;
  /** socket.io: WebSocket only (a cluster balances round robin, which breaks long-polling's session). */
  websocketOnly?: boolean;
}

export interface DemoControls {
  panels(): PanelConfig[];
  /** Answers the control routes; false when the request is not one of them. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** What runs now, for tests and the console: the page's current nginx (not those retiring), the clusters. */
  running(): { nginx: RunningProxy[]; clusters: RunningCluster[] };
  close(): Promise<void>;
}

/** nginx in front of each proxiable server, and of an SSE server without `X-Accel-Buffering: no`. */
interface NginxSet {
  profile: DemoProfile;
  proxies: Map<RunningServer, RunningProxy>;
  bare: RunningServer;
}

interface ControlsInput {
  servers: RunningServer[];
  feed: QuoteFeed;
  options: ServerOptions;
  /** The page's origins: the cluster nodes allow them too. */
  allowOrigins: string[];
}

const panelOf = (transport: Transport, id: string, url: string, via: string, note?: string): PanelConfig => ({
  id,
  transport: transport as BrowserTransport,
  label: TRANSPORTS[transport].label,
  browserApi: TRANSPORTS[transport].browserApi ?? '',
  url,
  via,
  ...(note ? { note } : {}),
});

/** The control routes, each a POST. */
const ROUTES = ['/drop', '/nginx', '/cluster', '/cluster/kill'];

/** A JSON answer: an object, or a body already serialized (errorBody). */
export const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));

/** Whether a request may press a control: from the demo page's own origin, or from no page at all (curl). */
function fromDemoPage(req: IncomingMessage, allowOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  return origin === undefined || allowOrigins.includes(origin);
}

export function demoControls({ servers, feed, options, allowOrigins }: ControlsInput): DemoControls {
  let nginx: NginxSet | undefined;
  /** Sets the page has left, stopped RETIRE_MS later. */
  const retiring = new Set<NginxSet>();
  let clusters: RunningCluster[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  /** Kills whose node has not been started again yet, by cluster and node index: a second press does not kill it twice. */
  const restarting = new Set<string>();
  // One control at a time: a second press waits for the first (two toggles of nginx racing could leave one set behind).
  // Once closing, nothing more starts.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = queue.then(() => {
      if (closed) throw new LabError('LAB_BAD_REQUEST', 'the demo is stopping');
      return run();
    });
    queue = next.catch(() => undefined);
    return next;
  };
  /** A timer close() clears; none is set once closing, and none keeps the process alive. */
  const later = (ms: number, run: () => void) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms).unref();
    timers.add(timer);
  };

  function panels(): PanelConfig[] {
    const list = servers.map((s) => {
      const proxy = nginx?.proxies.get(s);
      if (proxy) return panelOf(s.transport, s.transport, proxy.url, `nginx ${nginx!.profile}`);
      return panelOf(s.transport, s.transport, s.url, 'direct', nginx ? `not behind nginx: ${whyNotProxiable(s.transport)}` : undefined);
    });
    if (nginx) {
      const note = 'the same feed from an SSE server that never heard of nginx: no `X-Accel-Buffering: no` header';
      const bare = nginx.proxies.get(nginx.bare)!;
      list.push({ ...panelOf('sse', 'sse-bare', bare.url, `nginx ${nginx.profile}`, note), label: 'SSE, no X-Accel-Buffering' });
    }
    for (const cluster of clusters) {
      const note = `2 nodes behind nginx, fed by the cluster's own publisher through Redis (not this page's feed: its own seq)`;
      const panel = panelOf(cluster.transport, `cluster-${cluster.transport}`, cluster.url, 'cluster', note);
      list.push({ ...panel, label: `${panel.label}, cluster`, ...(cluster.transport === 'socketio' ? { websocketOnly: true } : {}) });
    }
    return list;
  }

  /** nginx and the header-less SSE server behind it, stopped by their close() (nginx by its pid). */
  async function stopSet(set: NginxSet): Promise<void> {
    retiring.delete(set);
    await Promise.all([...set.proxies.values()].map((p) => p.close()));
    await set.bare.close();
  }

  /**
   * Make before break: the new nginx starts, the page is told its URLs, and the old one stops RETIRE_MS later. A
   * socket.io panel cannot resume on a new connection, so it switches while its old one still delivers.
   */
  async function setNginx(profile: DemoProfile | 'off'): Promise<void> {
    const old = nginx;
    nginx = profile === 'off' ? undefined : await startSet(profile);
    if (!old) return;
    retiring.add(old);
    later(RETIRE_MS, () =>
      serial(() => stopSet(old)).catch((e: Error) => process.stderr.write(`lab: demo: stopping nginx: ${e.message}\n`)),
    );
  }

  async function startSet(profile: DemoProfile): Promise<NginxSet> {
    // The report's finding needs a server without the header: stock nginx buffers its stream, the lab's own it passes.
    const bare = await startServer('sse', { ...options, port: 0, feed, allowOrigins, accelBufferingHeader: false });
    const proxies = new Map<RunningServer, RunningProxy>();
    try {
      for (const server of [...servers.filter((s) => proxiable(s.transport)), bare])
        proxies.set(server, await startProxy(server, { profile }));
    } catch (error) {
      await stopSet({ profile, proxies, bare });
      throw error;
    }
    return { profile, proxies, bare };
  }

  async function startClusters(): Promise<void> {
    if (clusters.length) return;
    const nodeArgs = allowOrigins.flatMap((origin) => ['--allow-origin', origin]);
    const started = await Promise.allSettled(
      CLUSTERED.map((transport) => startCluster({ transport, nodes: 2, seed: options.seed, rate: options.rate, nodeArgs })),
    );
    const failed = started.find((r) => r.status === 'rejected');
    const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (failed || closed) {
      await Promise.all(ok.map((c) => c.close()));
      if (failed) throw failed.reason;
      return;
    }
    clusters = ok;
  }

  /** A live node's connections, 0 when it does not answer within 2 s (a stuck node must not stall every control). */
  const connectionsOf = (stats: string) =>
    fetch(stats, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.json() as Promise<{ connections: number }>)
      .then((s) => s.connections)
      .catch(() => 0);

  /**
   * Kills, in each cluster, the live node holding the page's connection (else the first live one) and starts it again
   * later; a cluster whose every node is down or already coming back is left alone (`killed: false`).
   */
  async function killNodes(): Promise<{ transport: string; node: number; pid: number; killed: boolean }[]> {
    return Promise.all(
      clusters.map(async (cluster) => {
        const live = cluster.nodes.filter((n) => n.alive && !restarting.has(`${cluster.transport}/${n.index}`));
        const connections = await Promise.all(live.map((n) => connectionsOf(n.stats)));
        const node =
          live[
            Math.max(
              0,
              connections.findIndex((c) => c > 0),
            )
          ];
        if (!node) return { transport: cluster.transport, node: -1, pid: 0, killed: false };
        const { index, pid } = node;
        await cluster.killNode(index);
        const key = `${cluster.transport}/${index}`;
        restarting.add(key);
        later(NODE_RESTART_MS, () =>
          cluster
            .startNode(index)
            .catch((e: Error) => process.stderr.write(`lab: demo: restarting a node: ${e.message}\n`))
            .finally(() => restarting.delete(key)),
        );
        return { transport: cluster.transport, node: index, pid, killed: true };
      }),
    );
  }

  /** nginx or redis-server missing: the one-line install hint, for the page to show; the demo keeps running. */
  function answer(res: ServerResponse, run: () => Promise<unknown>): void {
    serial(run).then(
      (extra) => sendJson(res, 200, { panels: panels(), ...(extra ?? {}) }),
      (error: Error) => {
        const missing = error instanceof LabError && (error.code === 'LAB_NO_NGINX' || error.code === 'LAB_NO_REDIS');
        sendJson(res, missing ? 503 : 500, errorBody(missing ? (error as LabError).code : 'LAB_CONTROL_FAILED', error.message));
      },
    );
  }

  return {
    panels,
    handle(req, res) {
      const url = requestTarget(req);
      if (!url) {
        refuseBadTarget(res);
        return true;
      }
      const route = `${req.method} ${url.pathname}`;
      const ours = ROUTES.includes(url.pathname);
      if (ours && !fromDemoPage(req, allowOrigins)) {
        sendJson(res, 403, errorBody('LAB_ORIGIN_REFUSED', `${req.headers.origin} may not use the demo's controls`));
      } else if (route === 'POST /drop') {
        for (const server of servers) server.drop('destroy');
        res.writeHead(204).end();
      } else if (route === 'POST /nginx') {
        const profile = url.searchParams.get('profile') ?? '';
        if (profile !== 'off' && !(DEMO_PROFILES as readonly string[]).includes(profile)) {
          sendJson(res, 400, errorBody('LAB_BAD_REQUEST', `profile is ${JSON.stringify(profile)}: use stock, tuned or off`));
        } else answer(res, () => setNginx(profile as DemoProfile | 'off'));
      } else if (route === 'POST /cluster') {
        answer(res, startClusters);
      } else if (route === 'POST /cluster/kill') {
        if (!clusters.length) sendJson(res, 409, errorBody('LAB_BAD_REQUEST', 'no cluster yet: POST /cluster first'));
        else answer(res, async () => ({ killed: await killNodes(), restartMs: NODE_RESTART_MS }));
      } else if (ours) {
        res.setHeader('Allow', 'POST');
        sendJson(res, 405, errorBody('LAB_BAD_REQUEST', `${url.pathname} takes POST`));
      } else return false;
      return true;
    },
    running: () => ({ nginx: [...(nginx?.proxies.values() ?? [])], clusters }),
    async close() {
      closed = true;
      await queue;
      for (const timer of timers) clearTimeout(timer);
      const sets = [...retiring, ...(nginx ? [nginx] : [])];
      nginx = undefined;
      await Promise.all(sets.map(stopSet));
      await Promise.all(clusters.splice(0).map((c) => c.close()));
    },
  };
}
