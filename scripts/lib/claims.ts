/**
 * The claims under test, as their sources state them, and results/claims.json: one verdict per
 * claim, computed by code from observed records (scenarios, load runner, wire capture), merged by
 * id so each producer fills only the claims it decides.
 */
import { readFile } from 'node:fs/promises';
import type { Engine } from './browser.ts';
import { writeJson } from './json.ts';
import { ROOT } from './paths.ts';

export type Source = 'article A' | 'article B' | 'common practice';

export interface Claim {
  id: string;
  /** The claim in plain words. */
  statement: string;
  /** The source's own line, where it helps. */
  original?: string;
  source: Source;
  /** Where common practice got it from, when it has a known origin. */
  after?: string;
}

export const CLAIMS = [
  {
    id: 'ws-tcp-sse-http',
    statement: 'WebSocket is based on TCP; EventSource (SSE) is based on HTTP.',
    original: 'WebSocket基于TCP协议,EventSource基于http协议。',
    source: 'article A',
  },
  {
    id: 'sse-one-way',
    statement: 'SSE is one-way (server to client); WebSocket is two-way.',
    original: 'EventSource是单向通信,而websocket是双向通信。',
    source: 'article A',
  },
  {
    id: 'sse-text-only',
    statement: 'SSE can only send text; WebSocket supports binary data.',
    original: 'EventSource只能发送文本,而websocket支持发送二进制数据。',
    source: 'article A',
  },
  {
    id: 'sse-simpler',
    statement: 'SSE is simpler to implement than WebSocket.',
    original: '在实现上EventSource比websocket更简单。',
    source: 'article A',
  },
  {
    id: 'sse-auto-reconnect',
    statement: 'SSE reconnects automatically, without a third-party library.',
    original: 'EventSource有自动重连接(不借助第三方)以及发送随机事件的能力。',
    source: 'article A',
  },
  {
    id: 'ws-needs-library-to-reconnect',
    statement: 'WebSocket has no reconnection of its own; you need a library such as socket.io (or your own code).',
    source: 'article B',
  },
  {
    id: 'sse-event-ids-resume',
    statement: 'SSE resumes by event id: the browser sends the last id back on reconnect, so nothing is lost.',
    source: 'article A',
  },
  {
    id: 'ws-heavier-than-sse',
    statement: 'WebSocket uses too many resources; SSE is lighter.',
    original: 'websocket的资源占用过大EventSource更轻量。',
    source: 'article A',
  },
  {
    id: 'ws-ignores-cross-origin',
    statement: 'WebSocket can go cross-origin; it is not limited by cross-origin rules.',
    original: 'websocket可以跨域',
    source: 'article A',
  },
  {
    id: 'sse-needs-cors-headers',
    statement: 'SSE, being HTTP, needs the server to set headers (CORS) to work cross-origin.',
    original: 'EventSource基于http跨域需要服务端设置请求头。',
    source: 'article A',
  },
  {
    id: 'ws-rejects-self-signed-sse-accepts',
    statement: 'WebSocket does not accept an invalid (self-signed) certificate, while EventSource works with one.',
    source: 'article A',
  },
  {
    id: 'sse-heartbeat-comments-needed',
    statement: 'An idle SSE stream needs `:` comment lines now and then, or the connection is dropped.',
    source: 'article A',
  },
  {
    id: 'seed-credentials-with-wildcard-cors',
    statement: "Article A's setup works: `Access-Control-Allow-Origin: *` on the server with `withCredentials: true` on the client.",
    source: 'article A',
  },
  {
    id: 'sse-base64-costs-bandwidth',
    statement: 'Binary over SSE must be encoded as text (base64), which costs extra bandwidth.',
    source: 'article B',
  },
  {
    id: 'sse-six-connections-per-origin',
    statement: 'A browser opens only about 6 SSE connections per origin over HTTP/1.1; HTTP/2 lifts the limit.',
    source: 'common practice',
  },
  {
    id: 'sse-named-events-need-listener',
    statement: 'Named SSE events (`event: x`) are not delivered to `onmessage`; they need addEventListener.',
    source: 'article B',
  },
  {
    id: 'sse-needs-no-special-server',
    statement: 'SSE uses plain HTTP: it needs no special protocol or new server, while WebSocket needs a new WebSocket server.',
    source: 'article B',
  },
  {
    id: 'proxies-buffer-sse',
    statement: 'Reverse proxies buffer SSE: events arrive late and in bursts unless buffering is turned off.',
    source: 'common practice',
  },
  {
    id: 'gzip-undoes-base64-overhead',
    statement: "gzip makes base64's overhead irrelevant: compression undoes most of the 4/3 a binary payload pays as text.",
    source: 'common practice',
    after: 'High Performance Browser Networking (I. Grigorik)',
  },
  {
    id: 'socketio-needs-sticky-sessions',
    statement: 'socket.io behind a load balancer needs sticky sessions: each client must stay on one node.',
    source: 'common practice',
    after: 'socket.io\'s documentation, "Using multiple nodes"',
  },
  {
    id: 'ws-needs-own-resume-protocol',
    statement: 'A raw WebSocket has no event ids: to resume after a drop without losing messages you write your own protocol.',
    original: 'SSE has features WebSocket lacks by design: automatic reconnection, event ids, arbitrary events.',
    source: 'article B',
  },
  {
    id: 'polyfill-sends-last-id-as-query',
    statement: 'event-source-polyfill sends the last event id as a `lastEventId` query parameter, not a Last-Event-ID header.',
    source: 'common practice',
  },
] as const satisfies readonly Claim[];

export type ClaimId = (typeof CLAIMS)[number]['id'];
export type Verdict = 'confirmed' | 'refuted' | 'depends' | 'not-run';

export interface ClaimResult {
  id: ClaimId;
  verdict: Verdict;
  /** One paragraph, derived from the observed facts. */
  explanation: string;
  /** Ids of the records it rests on (e.g. `reconnect/sse/retry-500`, `load/step-1000`). */
  records: string[];
  /** The numbers the verdict was computed from. */
  figures?: Record<string, number | string | boolean | null>;
  /** Which producer decided it: scenarios, load or wire. */
  decidedBy: 'scenarios' | 'load' | 'wire';
  date: string;
  /** A claim browser records bear on: its verdict in each engine (the fields above combine them). */
  engines?: Partial<Record<Engine, EngineVerdict>>;
  /** The engines whose own verdict is the combined one. */
  holdsIn?: Engine[];
}

/** A browser claim's verdict in one engine. */
export interface EngineVerdict {
  verdict: Verdict;
  explanation: string;
  records: string[];
  figures?: Record<string, number | string | boolean | null>;
}

export interface ClaimsFile {
  claims: Partial<Record<ClaimId, ClaimResult>>;
}

export const CLAIMS_PATH = `${ROOT}results/claims.json`;

export async function readClaims(path = CLAIMS_PATH): Promise<ClaimsFile> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ClaimsFile;
  } catch {
    return { claims: {} };
  }
}

/** Merges these verdicts into claims.json by id, leaving other producers' verdicts alone. */
export async function writeClaims(results: ClaimResult[], path = CLAIMS_PATH): Promise<void> {
  const known = new Set<string>(CLAIMS.map((c) => c.id));
  for (const result of results) if (!known.has(result.id)) throw new Error(`lab: unknown claim id ${result.id}`);
  const file = await readClaims(path);
  for (const result of results) file.claims[result.id] = result;
  const ordered: ClaimsFile = { claims: {} };
  for (const claim of CLAIMS) if (file.claims[claim.id]) ordered.claims[claim.id] = file.claims[claim.id];
  await writeJson(path, ordered);
}
