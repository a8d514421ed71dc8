/**
 * What the proxy scenarios share: a lab server with a wire tap behind a real nginx (the page opens
 * its client through it with LabPage.openClient), the quote events it got, and nginx's own account
 * of timeouts (its access log: access-log.ts).
 *
 *   browser -> nginx (profile) -> tap -> lab server
 *
 * The tap sits between nginx and the server, so the records hold what nginx actually sent
 * upstream (HTTP/1.0 or 1.1, an Upgrade header or none) and when nginx closed the upstream
 * connection (its read timeout), on Node's clock, without the server changing anything.
 */
import type { ProxyTarget, RunningProxy } from '../../servers/proxy/nginx.ts';
import { proxiable, type ProxyOptions } from '../../servers/proxy/profiles.ts';
import type { RunningServer, ServerOptions } from '../../servers/index.ts';
import type { Tap } from '../fixtures/tap.ts';
import { type CaseContext, portOf, viaLocalhost } from '../harness.ts';
import { SCENARIO_TRANSPORTS, type ScenarioTransport, type TimedEvent } from '../types.ts';

/** Every scenario transport nginx can front (HTTP/1.1 servers), in registry order. */
export const PROXIED: ScenarioTransport[] = SCENARIO_TRANSPORTS.filter(proxiable);

/** A wire tap in front of a server on 127.0.0.1, and that server as reached through the tap: what nginx is pointed at. */
export async function tapInFront(c: CaseContext, server: ProxyTarget): Promise<{ tap: Tap; target: ProxyTarget }> {
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) } });
  const moved = (url: string) => url.replace(/\/\/127\.0\.0\.1:\d+/, `//127.0.0.1:${tap.port}`);
  return {
    tap,
    target: { transport: server.transport, url: moved(server.url), statsUrl: moved(server.statsUrl), origin: moved(server.origin) },
  };
}

export interface ProxiedLab {
  server: RunningServer;
  tap: Tap;
  proxy: RunningProxy;
  /** The transport's URL through nginx, as the page addresses it (localhost: another origin than the page's). */
  url: string;
}

/** A lab server (feed paused unless `server` says otherwise), a tap in front of it, nginx in front of the tap. */
export async function behindNginx(
  c: CaseContext,
  transport: ScenarioTransport,
  server: Partial<ServerOptions>,
  proxy: ProxyOptions,
): Promise<ProxiedLab> {
  const lab = await c.lab(transport, server);
  const { tap, target } = await tapInFront(c, lab);
  const running = await c.proxy(target, proxy);
  return { server: lab, tap, proxy: running, url: viaLocalhost(running.url) };
}

/** The quote events of a client: EventSource's `quote`, a WebSocket's or socket.io's `message` with a seq. */
export function quoteEvents(events: readonly TimedEvent[]): TimedEvent[] {
  return events.filter((e) => (e.type === 'quote' || e.type === 'message') && typeof e.detail?.seq === 'number');
}

/**
 * nginx's error-log lines that say it gave up on a silent upstream ("upstream timed out ... while reading upstream"):
 * its own account of a read-timeout cut.
 */
export async function timeoutsLogged(proxy: RunningProxy): Promise<string[]> {
  return (await proxy.errorLog()).filter((line) => line.includes('upstream timed out'));
}
