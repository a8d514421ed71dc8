/**
 * Record lookups for the verdict rules. Every value a rule reads goes through here, so the verdict
 * can name the records it rests on, and a record that did not run (or lacks the key read) makes
 * the claim `not-run` instead of a guess: `id` for a missing record, `id#key` for a missing key.
 */
import { ENGINE_NAME, type Engine } from '../../scripts/lib/browser.ts';
import { caseIdOf, type Json, type ScenarioRecord } from '../types.ts';

/**
 * Record lookups that remember which records a rule used and which it needed but did not find. Built for one engine,
 * a rule sees the Node records and that engine's browser records under their ids without the `@engine` suffix, so
 * one rule decides a claim in each engine; `used` names the records with it.
 */
export class Evidence {
  readonly used = new Set<string>();
  readonly missing = new Set<string>();
  /** Whether a browser case was read (found or not): the verdict then holds for this engine, not for every client. */
  usedBrowser = false;
  readonly #byId: Map<string, ScenarioRecord>;
  /** The case ids that are browser cases (in any engine, run or not), so a missing one is named with its engine. */
  readonly #browserCases: Set<string>;

  constructor(
    records: readonly ScenarioRecord[],
    readonly engine: Engine = 'chromium',
  ) {
    const mine = records.filter((r) => r.status === 'observed' && (r.engine === undefined || r.engine === engine));
    this.#byId = new Map(mine.map((r) => [caseIdOf(r.id), r]));
    this.#browserCases = new Set(records.filter((r) => r.client === 'browser').map((r) => caseIdOf(r.id)));
  }

  /** The engine's name as a verdict's words use it ("Chromium", "Firefox"). */
  get browser(): string {
    return ENGINE_NAME[this.engine];
  }

  record(id: string): ScenarioRecord | undefined {
    const record = this.#byId.get(id);
    const browserCase = this.#browserCases.has(id);
    if (browserCase) this.usedBrowser = true;
    if (record) this.used.add(record.id);
    else this.missing.add(browserCase ? `${id}@${this.engine}` : id);
    return record;
  }

  /** A named value of one part of a record; an existing record without that key counts as missing too (`id#name`). */
  #value<T>(id: string, part: 'facts' | 'counts' | 'bytes' | 'setup', name: string): T | undefined {
    const record = this.record(id);
    if (!record) return undefined;
    const values = (part === 'setup' ? record.setup : record.observed[part]) as Record<string, unknown> | undefined;
    if (!values || !(name in values)) {
      this.missing.add(`${id}#${name}`);
      return undefined;
    }
    return values[name] as T;
  }

  fact<T extends Json>(id: string, name: string): T | undefined {
    return this.#value<T>(id, 'facts', name);
  }

  /** A knob the case was configured with (its `setup`), not an observation. */
  setup<T extends Json>(id: string, name: string): T | undefined {
    return this.#value<T>(id, 'setup', name);
  }

  count(id: string, name: string): number {
    return this.#value<number>(id, 'counts', name) ?? Number.NaN;
  }

  bytes(id: string, name: string): number {
    return this.#value<number>(id, 'bytes', name) ?? Number.NaN;
  }

  /** The readyState the record ends with (a missing one counts as missing). */
  readyState(id: string): number | null | undefined {
    const record = this.record(id);
    if (record && record.observed.readyState === undefined) this.missing.add(`${id}#readyState`);
    return record?.observed.readyState;
  }

  /** A server counter of the record (a missing one counts as missing). */
  counter(id: string, name: string): number {
    const record = this.record(id);
    const value = record?.observed.server?.counters?.[name];
    if (record && value === undefined) this.missing.add(`${id}#server.${name}`);
    return value ?? Number.NaN;
  }

  /** Ids present among the observed records that start with this prefix (none: the prefix counts as missing). */
  ids(prefix: string): string[] {
    const ids = [...this.#byId.keys()].filter((id) => id.startsWith(prefix));
    if (ids.length === 0) this.missing.add(`${prefix}*`);
    return ids;
  }
}
