/**
 * What nginx runs with: the four profiles (servers/proxy/profiles/<name>.conf, the part worth
 * reading, shown whole in the report) and the lab's wrapper around one (process, paths, logs, the
 * file budget), with the placeholders filled in. nginx proxies over HTTP/1.x only, so it can front
 * the transports whose server speaks HTTP/1.1 (`proxiable`).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { hardFileLimit } from '../daemons.ts';
import { CERT_DIR } from '../tls.ts';
import { spec, type Transport } from '../transports.ts';

export const PROXY_PROFILES = ['stock', 'tuned', 'gzip', 'h2'] as const;
export type ProxyProfile = (typeof PROXY_PROFILES)[number];

export const isProxyProfile = (name: string): name is ProxyProfile => (PROXY_PROFILES as readonly string[]).includes(name);
/** Profiles where nginx serves TLS (and HTTP/2) to the browser. */
export const proxyServesTls = (profile: ProxyProfile): boolean => profile === 'h2';

/** nginx's proxy_pass speaks HTTP/1.0 or 1.1 to the server behind it: no HTTP/2 (sse-h2), no raw TCP (the floor). */
export function proxiable(transport: Transport): boolean {
  return spec(transport).http === '1.1';
}

export function whyNotProxiable(transport: Transport): string {
  return spec(transport).http === '2'
    ? 'nginx speaks HTTP/1.x to the server behind it, never HTTP/2; for SSE over HTTP/2 through nginx, run `sse --proxy h2`'
    : 'nginx fronts HTTP servers here; the raw TCP floor has no HTTP to proxy';
}

const PROFILE_DIR = fileURLToPath(new URL('./profiles/', import.meta.url));

/** A profile as kept in the repo, placeholders and all (what the report shows). */
export function profileText(profile: ProxyProfile): Promise<string> {
  return readFile(`${PROFILE_DIR}${profile}.conf`, 'utf8');
}

/** How nginx spreads a cluster's connections: its default round robin, or one node per client address. */
export const BALANCES = ['round-robin', 'sticky'] as const;
export type Balance = (typeof BALANCES)[number];

export interface ProxyOptions {
  profile: ProxyProfile;
  /** With several upstreams (a cluster): how nginx picks a node. Default `round-robin`. */
  balance?: Balance;
  /** Overrides proxy_read_timeout (seconds) wherever the profile sets it, and sets it where it does not. */
  readTimeoutS?: number;
}

/** nginx's file budget here: worker_rlimit_nofile, and worker_connections (90 %, the rest for logs and listeners). */
export function nginxFileBudget(): { files: number; workerConnections: number } {
  const files = hardFileLimit();
  return { files, workerConnections: Math.floor(files * 0.9) };
}

const fill = (text: string, values: Record<string, string>) =>
  text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? `{{${key}}}`);

export interface Rendered {
  main: string;
  profile: string;
}

/**
 * A cluster's nodes as one nginx upstream. Round robin hands each new connection (each long-poll request too) to the
 * next node; `hash $remote_addr` keeps a client address on one node. A refused connection is tried on the next node
 * (proxy_next_upstream error, the default). max_fails=0: nginx's default (max_fails=1 fail_timeout=10s) would take a
 * node that refused once out for 10 s, so a node back from a restart gets nothing for that long, and after a restart
 * of every node all clients get 502 "no live upstreams" until it passes; on loopback a refused connect costs nothing.
 */
export function upstreamBlock(origins: readonly string[], balance: Balance = 'round-robin'): string {
  const rule =
    balance === 'sticky'
      ? '    hash $remote_addr;   # sticky: one client address, one node (socket.io long-polling needs it)\n'
      : '    # round robin (nginx default): each connection and each request to the next node\n';
  const servers = origins.map((origin) => `    server ${new URL(origin).host} max_fails=0;\n`).join('');
  return `upstream lab_nodes {\n${rule}${servers}}\n\n`;
}

/**
 * What a cluster's nginx answers when no node does (every node down: a whole-cluster restart). Its own 502 would end
 * an EventSource for good: a browser retries only after a 200 event stream, never after an error status. So a request
 * that asks for an event stream gets a 200 stream that says only `retry:`, ends, and the browser comes back with its
 * Last-Event-ID; every other request keeps the 502 (WebSocket and socket.io clients retry on their own). It carries
 * no CORS headers (nginx does not hold the nodes' allowlist): a page on another origin still sees a failure.
 */
export const NODES_DOWN = {
  inLocation: '        error_page 502 504 = @nodes_down;   # every node down: see location @nodes_down\n',
  location: [
    '    location @nodes_down {',
    '        default_type text/event-stream;',
    '        if ($http_accept ~* "text/event-stream") { return 200 "retry: 1000\\n\\n"; }',
    '        return 502;',
    '    }',
    '',
  ].join('\n'),
};

/** A cluster's profile: the upstream block ahead of it, and the nodes-down answer inside its server block. */
function clusterProfile(profile: string, upstreams: readonly string[], balance: Balance | undefined): string {
  const withLocation = profile
    .replace(/(location \/ \{\n)/, `$1${NODES_DOWN.inLocation}`)
    .replace(/\n\}\s*$/, `\n\n${NODES_DOWN.location}}\n`);
  return upstreamBlock(upstreams, balance) + withLocation;
}

/**
 * The wrapper (process, paths, logs: lab plumbing) and the profile with its placeholders filled in. Several upstreams
 * (a cluster's nodes) go into an `upstream` block ahead of the profile, which then proxies to it.
 */
export async function renderConfig(dir: string, port: number, upstreams: readonly string[], options: ProxyOptions): Promise<Rendered> {
  const cluster = upstreams.length > 1;
  let profile = fill(await profileText(options.profile), {
    listen: `127.0.0.1:${port}`,
    upstream: cluster ? 'http://lab_nodes' : upstreams[0]!,
    certificate: `${CERT_DIR}cert.pem`,
    certificate_key: `${CERT_DIR}key.pem`,
  });
  const timeout = options.readTimeoutS === undefined ? '' : `    proxy_read_timeout ${options.readTimeoutS}s;   # --proxy-read-timeout\n`;
  if (options.readTimeoutS !== undefined)
    profile = profile.replace(/proxy_read_timeout\s+\S+;/g, `proxy_read_timeout ${options.readTimeoutS}s;`);
  if (cluster) profile = clusterProfile(profile, upstreams, options.balance);
  const { files, workerConnections } = nginxFileBudget();
  const main = [
    '# Written by the lab for one run (servers/proxy/profiles.ts); the profile follows in profile.conf.',
    'daemon off;',
    'worker_processes 1;',
    `worker_rlimit_nofile ${files};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/logs/error.log warn;`,
    `events { worker_connections ${workerConnections}; }`,
    'http {',
    `    access_log ${dir}/logs/access.log combined;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${dir}/${t}_temp;`),
    '    default_type application/octet-stream;',
    timeout.trimEnd(),
    `    include ${dir}/profile.conf;`,
    '}',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
  return { main: `${main}\n`, profile };
}
