/**
 * The browser engines in the report: which engine a record or a verdict comes from, said from the results (the
 * record's `engine`, the verdict's `engines`), never assumed. Browser cases run once per engine, so every table and
 * chart over browser records has an engine column or a series per engine, and every caption names the engines whose
 * records it shows.
 */
import { caseIdOf, type ScenarioRecord } from '../../scenarios/types.ts';
import { ENGINE_NAME, ENGINES, type Engine } from '../lib/browser.ts';
import type { ClaimResult } from '../lib/claims.ts';
import type { Dataset } from './charts.ts';

/** An engine's name, or Node for no engine. */
export const nameOf = (engine: Engine | undefined): string => (engine ? ENGINE_NAME[engine] : 'Node');

/** Who played the client of a record: its engine's name, or Node for a Node client. */
export const clientOf = (r: ScenarioRecord): string => nameOf(r.engine);

/** A record's id without its `@engine`: the same case in every engine. */
export const caseId = (r: ScenarioRecord): string => caseIdOf(r.id);

/** The engines some records ran in, in the registry's order. */
export const enginesOf = (records: readonly ScenarioRecord[]): Engine[] => ENGINES.filter((e) => records.some((r) => r.engine === e));

/** The clients of some records: each engine that ran them, then `undefined` for Node clients when there are any. */
export const clientsOf = (records: readonly ScenarioRecord[]): (Engine | undefined)[] => [
  ...enginesOf(records),
  ...(records.some((r) => !r.engine) ? [undefined] : []),
];

/** A list as a reader says it: "A", "A and B", "A, B and C". */
export function spoken(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Where some records come from, for a caption: "in Chromium and Firefox", "in Chromium and with Node clients". */
export function ranIn(records: readonly ScenarioRecord[]): string {
  const engines = enginesOf(records).map((e) => ENGINE_NAME[e]);
  const node = records.some((r) => !r.engine);
  if (engines.length === 0) return node ? 'with Node clients' : 'in no browser';
  return `in ${spoken(engines)}${node ? ' and with Node clients' : ''}`;
}

/**
 * How a chart tells the engines apart beside the transports' colours: Chromium's series drawn plain, Firefox's with
 * triangles and dashes (lines) or lighter fill (bars).
 */
const LINE_STYLE: Record<Engine, Partial<Dataset>> = {
  chromium: {},
  firefox: { pointStyle: 'triangle', borderDash: [6, 3] },
};
export const lineStyle = (engine: Engine | undefined): Partial<Dataset> => (engine ? LINE_STYLE[engine] : {});
/** A bar's fill for an engine: Firefox's the same colour, half transparent. */
export const barColor = (color: string, engine: Engine | undefined): string => (engine === 'firefox' ? `${color}80` : color);

/** Sorts records so the same case in every engine sits together (Node records after the browsers' of the same case). */
export function byCase(records: readonly ScenarioRecord[]): ScenarioRecord[] {
  const order = new Map<string, number>();
  for (const r of records) if (!order.has(caseId(r))) order.set(caseId(r), order.size);
  const rank = (r: ScenarioRecord) => (r.engine ? ENGINES.indexOf(r.engine) : ENGINES.length);
  return [...records].sort((a, b) => order.get(caseId(a))! - order.get(caseId(b))! || rank(a) - rank(b));
}

/** The engines a claim's verdict bears on (none for a claim no browser record bears on). */
const enginesOfClaim = (result: ClaimResult): Engine[] => ENGINES.filter((e) => result.engines?.[e]);
/** The engines that decided a browser claim (their verdict is not not-run). */
const decidedIn = (result: ClaimResult): Engine[] => enginesOfClaim(result).filter((e) => result.engines![e]!.verdict !== 'not-run');
/** Whether the engines that decided a browser claim decided it differently. */
export const enginesDiffer = (result: ClaimResult): boolean => new Set(decidedIn(result).map((e) => result.engines![e]!.verdict)).size > 1;

/**
 * Where a verdict holds, for the verdict tables' Engines column: "Chromium, Firefox"; "Chromium only (Firefox not
 * run)"; "differs: Chromium confirmed, Firefox refuted"; "—" for a claim no browser record bears on.
 */
export function enginesCell(result: ClaimResult | null): string {
  if (!result?.engines) return '—';
  const ran = decidedIn(result);
  const notRun = ENGINES.filter((e) => !ran.includes(e)).map((e) => ENGINE_NAME[e]);
  if (ran.length === 0) return `not run (${spoken(notRun)})`;
  if (enginesDiffer(result)) return `differs: ${ran.map((e) => `${ENGINE_NAME[e]} ${result.engines![e]!.verdict}`).join(', ')}`;
  const names = ran.map((e) => ENGINE_NAME[e]);
  return notRun.length ? `${names.join(', ')} only (${spoken(notRun)} not run)` : names.join(', ');
}

/**
 * The sentence under a claim's combined verdict: "Holds in Chromium and Firefox." where the engines agree,
 * "Chromium: confirmed, Firefox: refuted → depends." where they differ; an engine without a verdict is named as not run.
 */
export function holdsInLine(result: ClaimResult): string {
  const ran = decidedIn(result);
  const notRun = ENGINES.filter((e) => !ran.includes(e)).map((e) => ENGINE_NAME[e]);
  const missing = notRun.length ? ` ${spoken(notRun)}: not run.` : '';
  if (ran.length === 0) return `Not decided in any engine.${missing}`;
  if (enginesDiffer(result))
    return `${ran.map((e) => `${ENGINE_NAME[e]}: ${result.engines![e]!.verdict}`).join(', ')} → ${result.verdict}.${missing}`;
  return `Holds in ${spoken((result.holdsIn ?? ran).map((e) => ENGINE_NAME[e]))}.${missing}`;
}

/** Each engine's own verdict and explanation, one list item each. */
export function engineItems(result: ClaimResult): string[] {
  return enginesOfClaim(result).map((e) => {
    const v = result.engines![e]!;
    return `**${ENGINE_NAME[e]}: ${v.verdict}.** ${v.explanation}`;
  });
}

/**
 * The combined explanation without the engines' paragraphs that follow it (those are listed per engine): the lead
 * sentence the verdicts module wrote.
 */
export function leadOf(result: ClaimResult): string {
  const first = enginesOfClaim(result)[0];
  if (!first) return result.explanation;
  const at = result.explanation.indexOf(`${ENGINE_NAME[first]}: ${result.engines![first]!.explanation}`);
  return at > 0 ? result.explanation.slice(0, at).trim() : result.explanation;
}

/** First sentence of a text (the verdict table's one-line evidence). */
function firstSentence(text: string): string {
  const match = /^(.+?[.!?])(\s|$)/.exec(text.trim());
  return match ? match[1]! : text.trim();
}

/**
 * A verdict's one-line evidence: the first sentence of its explanation; for a browser claim, the first sentence of
 * each engine's own explanation where the engines differ, else of the first engine it holds in.
 */
export function evidenceLine(result: ClaimResult | null): string {
  if (!result) return 'not run';
  if (enginesOfClaim(result).length === 0) return firstSentence(result.explanation);
  const ran = decidedIn(result);
  const shown = enginesDiffer(result) ? ran : (result.holdsIn ?? ran).slice(0, 1);
  if (shown.length === 0) return firstSentence(result.explanation);
  return shown
    .map((e) => {
      const sentence = firstSentence(result.engines![e]!.explanation);
      return sentence.includes(ENGINE_NAME[e]) ? sentence : `${ENGINE_NAME[e]}: ${sentence}`;
    })
    .join(' ');
}
