/**
 * Reading nginx's `combined` access log, which every proxy scenario consults:
 *   127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /sse?x=1 HTTP/2.0" 200 1234 "referer" "user agent"
 * One line per request, written when the request ends: the request line as sent (method, path and
 * query, protocol), the status nginx answered and the body bytes it sent.
 */
import type { Json } from '../types.ts';

/** One line of the access log, as much as the scenarios read of it. */
export interface AccessLine {
  /** The request line as sent ("GET /sse?token=x HTTP/1.1"): tokens in a URL end up here. */
  request: string;
  method: string;
  /** Path, with the query cut to what tells requests apart here (socket.io's `transport=`). */
  path: string;
  /** The status nginx logged (101 for a WebSocket it upgraded, 499 when the client left first, 504 on a timeout...). */
  status: number;
  /** Body bytes nginx sent to the client. */
  bytes: number;
}

const COMBINED = /^\S+ \S+ \S+ \[[^\]]+\] "((\S+) (\S+)[^"]*)" (\d{3}) (\d+)/;

/** Parses combined-format lines; lines that do not match are left out. */
export function parseAccessLog(lines: readonly string[]): AccessLine[] {
  return lines.flatMap((line) => {
    const m = COMBINED.exec(line);
    if (!m) return [];
    const url = new URL(m[3]!, 'http://x');
    const transport = url.searchParams.get('transport');
    const path = `${url.pathname}${transport ? `?transport=${transport}` : ''}`;
    return [{ request: m[1]!, method: m[2]!, path, status: Number(m[4]), bytes: Number(m[5]) }];
  });
}

/** The request lines of the requests whose path starts with `prefix`, in log order. */
export function requestLines(log: readonly string[], prefix = ''): string[] {
  return parseAccessLog(log)
    .filter((l) => l.path.startsWith(prefix))
    .map((l) => l.request);
}

/** `GET /sse 200`, compact enough for a record. */
export const accessText = (l: AccessLine): Json => `${l.method} ${l.path} ${l.status}`;

/** How many lines nginx logged with each status, e.g. {"101": 1, "200": 4}. */
export function statusCounts(lines: readonly AccessLine[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of lines) counts[l.status] = (counts[l.status] ?? 0) + 1;
  return counts;
}

/** Status counts as a text states them: "101, 200 ×4" ("none" when nginx logged nothing). */
export const statusText = (statuses: Record<string, number>): string =>
  Object.entries(statuses)
    .map(([status, n]) => (n === 1 ? status : `${status} ×${n}`))
    .join(', ') || 'none';
