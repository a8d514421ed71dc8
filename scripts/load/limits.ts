/**
 * The operating-system limits that decide how many connections a step can open, read from
 * Linux /proc (null elsewhere), so results say which limit a failed step ran into.
 */
import { readFileSync } from 'node:fs';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** RLIMIT_NOFILE of this process. Node raises the soft limit to the hard one at start, so the hard limit is the ceiling. */
export function nofile(): { soft: number | null; hard: number | null } {
  const line = read('/proc/self/limits')
    ?.split('\n')
    .find((l) => l.startsWith('Max open files'));
  if (!line) return { soft: null, hard: null };
  const [soft, hard] = line
    .trim()
    .split(/\s+/)
    .slice(3, 5)
    .map((v) => (v === 'unlimited' ? null : Number(v)));
  return { soft: soft ?? null, hard: hard ?? null };
}

/** net.ipv4.ip_local_port_range: the ephemeral ports one source address can use (about 28k by default). */
export function ephemeralPorts(): [number, number] | null {
  const parts = read('/proc/sys/net/ipv4/ip_local_port_range')?.trim().split(/\s+/).map(Number);
  return parts && parts.length === 2 && parts.every(Number.isFinite) ? [parts[0]!, parts[1]!] : null;
}

/** net.core.somaxconn: the cap on a listening socket's accept backlog. */
export function somaxconn(): number | null {
  const value = Number(read('/proc/sys/net/core/somaxconn')?.trim());
  return Number.isFinite(value) && value > 0 ? value : null;
}
