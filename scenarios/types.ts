/**
 * The scenarios' results schema: results/scenarios.json is one ScenariosFile. The report
 * generator reads these types; every field says what it holds and its unit.
 *
 * A record is one case of one scenario for one transport: what was set up, and what was
 * observed. Nothing in `observed` is an expected answer: it is what the browser, the Node client
 * and the server (or a wire tap in front of it) reported while the case ran. Verdicts on the
 * claims are computed from these records by scenarios/verdicts/.
 */
import type { ClaimId } from '../scripts/lib/claims.ts';
import { BROWSER_TRANSPORTS, type BrowserTransport } from '../servers/transports.ts';
import type { RunMetadata } from '../scripts/lib/metadata.ts';
import type { Engine } from '../scripts/lib/browser.ts';

export const SCENARIO_NAMES = [
  'reconnect',
  'binary',
  'cross-origin',
  'self-signed',
  'direction',
  'polyfill',
  'articles',
  'connection-limit',
  'idle-heartbeat',
  'lifecycle',
  'proxy-works',
  'proxy-buffering',
  'proxy-idle',
  'proxy-compression',
  'proxy-h2',
  'proxy-auth',
  'cluster-node-death',
  'cluster-rolling-restart',
  'cluster-sticky',
  'cluster-dead-peers',
  'cluster-restart',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Every transport a browser can open takes part in the scenarios. */
export const SCENARIO_TRANSPORTS = BROWSER_TRANSPORTS;
export type ScenarioTransport = BrowserTransport;

/** Who played the client: a real browser (a page, in each engine), or a Node client from clients/. */
export type ClientKind = 'browser' | 'node';

/** Plain JSON values, so every record survives a round trip through the file. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One thing that happened, with its time. */
export interface TimedEvent {
  /** ms since the case started (Node's now() at the start; page times are epoch ms on the same host, converted). */
  t: number;
  /** Which client or server object it came from (a page handle name such as `es`, or `server`, `tap`). */
  source: string;
  /** open, error, close, message, quote, reconnect, request, drop, ... */
  type: string;
  /** Event-specific fields: readyState, seq, lastEventId, code, wasClean, reason, ... */
  detail?: { [key: string]: Json };
}

/** One HTTP request (or WebSocket upgrade) as the server side received it. */
export interface RequestSeen {
  /** ms since the case started. */
  t: number;
  /** Which TCP connection carried it (numbered per server or tap from 1), so keep-alive reuse is visible. */
  connection: number;
  method: string;
  /** Path and query, exactly as sent. */
  path: string;
  /** The headers the scenario cares about (lower-case names): origin, cookie, last-event-id, authorization, upgrade, accept, ... */
  headers: { [name: string]: string };
}

/** What the server side saw during the case. */
export interface ServerSaw {
  /** TCP (or TLS) connections accepted. */
  connections?: number;
  /** Requests in arrival order (bounded: the first 50). */
  requests?: RequestSeen[];
  /** Server counters read at the end (e.g. the lab server's StatsSnapshot fields, or a fixture's own). */
  counters?: { [name: string]: number };
}

/** The observed facts of one case. Which keys appear depends on the case; the scenario file documents its `facts`. */
export interface Observed {
  /** Page or client events with times (bounded: the first 200). */
  events?: TimedEvent[];
  /**
   * readyState at the end of the case. EventSource: 0 CONNECTING, 1 OPEN, 2 CLOSED;
   * WebSocket: 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED.
   */
  readyState?: number | null;
  /** Counted things: opens, errors, quotes received, lost, duplicated, requests, reconnects, ... */
  counts?: { [name: string]: number };
  /** Byte counts: on the wire (from server socket counters), payload, per message, ... */
  bytes?: { [name: string]: number };
  /** What the server (or the wire tap in front of it) saw. */
  server?: ServerSaw;
  /** Named case-specific facts (numbers, strings, booleans, small lists). */
  facts?: { [name: string]: Json };
}

export type RecordStatus = 'observed' | 'not-run';

/** A record's id without its `@engine`: the case's id, the same in every engine (what a verdict rule reads). */
export const caseIdOf = (id: string): string => id.replace(/@[a-z]+$/, '');

export interface ScenarioRecord {
  /** `${scenario}/${transport}/${case}`, plus `@${engine}` for a browser case: stable, used by claims.json to cite its evidence. */
  id: string;
  scenario: ScenarioName;
  transport: ScenarioTransport;
  /** Stable kebab-case case id, e.g. `retry-500-destroy`. */
  case: string;
  client: ClientKind;
  /** The browser engine of a browser case. */
  engine?: Engine;
  /** That browser's version string (`Chrome/156…`, `firefox/153…`); null when it did not start. */
  browserVersion?: string | null;
  /** One line: what this case does. */
  title: string;
  /** `not-run`: no browser, or the case failed before observing anything (see `reason`). Never a pass. */
  status: RecordStatus;
  reason?: string;
  /** The knobs this case used (retry ms, sizes, timeouts, context options ...), so a reader can rerun it. */
  setup: { [name: string]: Json };
  /** Empty for not-run records. */
  observed: Observed;
  /** The claims (scripts/claims.ts ids) this record bears on. */
  claims: ClaimId[];
  /** Wall time the case took, ms. */
  durationMs: number;
}

export interface ScenarioSummary {
  name: ScenarioName;
  /** When this scenario last ran (ISO); scenarios not run this time keep their earlier records and date. */
  date: string;
  /** Wall time from its first case starting to its last ending, ms (with cases in parallel, other scenarios' overlap it). */
  durationMs: number;
  /** The engines its browser cases ran in. */
  engines: Engine[];
  /** Records by status. */
  observed: number;
  notRun: number;
}

/** One engine of a run. */
export interface BrowserRun {
  engine: Engine;
  found: boolean;
  path?: string;
  version?: string;
  /** Engine-specific settings (the certificate the lab trusts and how). */
  settings: string[];
  note?: string;
}

export interface ScenariosFile {
  /** Metadata of the latest run (date, machine, Node, Chromium's and library versions, commit; each engine's in `browsers`). */
  meta: RunMetadata;
  /** How each engine was run: the binary, its version and engine-specific settings, or why it did not run. */
  browsers: BrowserRun[];
  scenarios: ScenarioSummary[];
  records: ScenarioRecord[];
}
