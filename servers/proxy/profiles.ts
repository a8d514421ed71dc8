/**
 * What nginx runs with: the four profiles (servers/proxy/profiles/<name>.conf, the part worth
 * reading, shown whole in the report) and the lab's wrapper around one (process, paths, logs, the
 * file budget), with the placeholders filled in. nginx proxies over HTTP/1.x only, so it can front
 * the transports whose server speaks HTTP/1.1 (`proxiable`).
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
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

export interface ProxyOptions {
  profile: ProxyProfile;
  /** Overrides proxy_read_timeout (seconds) wherever the profile sets it, and sets it where it does not. */
  readTimeoutS?: number;
}

/** Open files nginx may raise itself to (the hard limit, at most 65536), once per process. */
let fileLimit: number | undefined;
function hardFileLimit(): number {
  if (fileLimit === undefined) {
    try {
      const raw = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
      fileLimit = raw === 'unlimited' ? 65536 : Math.min(Number(raw) || 1024, 65536);
    } catch {
      fileLimit = 1024;
    }
  }
  return fileLimit;
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

/** The wrapper (process, paths, logs: lab plumbing) and the profile with its placeholders filled in. */
export async function renderConfig(dir: string, port: number, upstream: string, options: ProxyOptions): Promise<Rendered> {
  let profile = fill(await profileText(options.profile), {
    listen: `127.0.0.1:${port}`,
    upstream,
    certificate: `${CERT_DIR}cert.pem`,
    certificate_key: `${CERT_DIR}key.pem`,
  });
  const timeout = options.readTimeoutS === undefined ? '' : `    proxy_read_timeout ${options.readTimeoutS}s;   # --proxy-read-timeout\n`;
  if (options.readTimeoutS !== undefined)
    profile = profile.replace(/proxy_read_timeout\s+\S+;/g, `proxy_read_timeout ${options.readTimeoutS}s;`);
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
