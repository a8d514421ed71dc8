/**
 * Verdicts on the claims, computed from the observed records: for each claim, the rule that
 * decides it reads named facts of named records, decides confirmed / refuted / depends from them
 * and words a paragraph from the observed numbers (rule.ts: read, decide, word), citing the record
 * ids it used. Knobs a case was given are read from its `setup`, observations from `observed`. A
 * claim whose records did not run (no browser, a failed case), or lack a key the rule reads, gets
 * `not-run` naming them (`id` or `id#key`), never a guess. `ws-heavier-than-sse` is left to the
 * load runner.
 *
 * The rules live by claim family, one module each, written out so a reader can check them against
 * the records by hand.
 */
import { ENGINE_NAME, ENGINES, type Engine } from '../../scripts/lib/browser.ts';
import { CLAIMS, type ClaimId, type ClaimResult, type EngineVerdict } from '../../scripts/lib/claims.ts';
import type { ScenarioRecord } from '../types.ts';
import { BINARY_RULES } from './binary.ts';
import { CERTIFICATE_RULES } from './certificates.ts';
import { CLUSTER_RULES } from './cluster.ts';
import { COMPRESSION_RULES } from './compression.ts';
import { CONNECTION_LIMIT_RULES } from './connection-limit.ts';
import { CROSS_ORIGIN_RULES } from './cross-origin.ts';
import { DIRECTION_RULES } from './direction.ts';
import { Evidence } from './evidence.ts';
import { HEARTBEAT_RULES } from './heartbeat.ts';
import { POLYFILL_RULES } from './polyfill.ts';
import { PROXY_RULES } from './proxy.ts';
import { RECONNECT_RULES } from './reconnect.ts';
import type { Rule, RuleSet } from './rule.ts';
import { SIMPLICITY_RULES } from './simplicity.ts';

const RULES: RuleSet = {
  ...DIRECTION_RULES,
  ...BINARY_RULES,
  ...SIMPLICITY_RULES,
  ...RECONNECT_RULES,
  ...CROSS_ORIGIN_RULES,
  ...CERTIFICATE_RULES,
  ...HEARTBEAT_RULES,
  ...POLYFILL_RULES,
  ...CONNECTION_LIMIT_RULES,
  ...PROXY_RULES,
  ...COMPRESSION_RULES,
  ...CLUSTER_RULES,
};

/** The claim ids the scenarios decide (all but the load runner's), in the order of CLAIMS. */
export const DECIDED_CLAIMS: ClaimId[] = CLAIMS.map((c) => c.id).filter((id) => id in RULES);

/** One rule applied: read the records, decide, word the decision. */
function apply(rule: Rule<unknown>, evidence: Evidence) {
  const seen = rule.read(evidence);
  const decision = rule.decide(seen);
  return { verdict: decision.verdict, explanation: rule.word(seen, decision), figures: decision.figures };
}

/** One claim decided from the records one engine sees (EngineVerdict), and whether a browser record was read. */
function decideIn(id: ClaimId, records: readonly ScenarioRecord[], engine: Engine): EngineVerdict & { usedBrowser: boolean } {
  const evidence = new Evidence(records, engine);
  let decided: ReturnType<typeof apply> | undefined;
  let failure: string | undefined;
  try {
    decided = apply(RULES[id]!, evidence);
  } catch (error) {
    failure = (error as Error).message;
  }
  const used = [...evidence.used, ...evidence.missing];
  if (!decided || evidence.missing.size > 0) {
    const why =
      evidence.missing.size > 0
        ? `the records it rests on did not run or were not observed: ${[...evidence.missing].join(', ')}`
        : `its rule failed: ${failure}`;
    const run = evidence.usedBrowser ? `\`npm run scenarios\` with ${ENGINE_NAME[engine]} installed` : '`npm run scenarios`';
    const explanation = `Not decided: ${why}. Run ${run}.`;
    return { verdict: 'not-run', explanation, records: used, usedBrowser: evidence.usedBrowser };
  }
  return { ...decided, records: used, usedBrowser: evidence.usedBrowser };
}

const names = (engines: Engine[]) => engines.map((e) => ENGINE_NAME[e]).join(' and ');

/**
 * The combined verdict of a browser claim: the engines' verdict where those that ran agree, `depends` where they
 * differ (each engine's paragraph states its figures), and the one engine's verdict, said to be that engine's alone,
 * where the other did not run. Figures are prefixed by engine (`firefox.reconnectMs`).
 */
export function combine(id: ClaimId, byEngine: Partial<Record<Engine, EngineVerdict>>, date: string): ClaimResult {
  const engines = ENGINES.filter((e) => byEngine[e]);
  const ran = engines.filter((e) => byEngine[e]!.verdict !== 'not-run');
  const verdicts = new Set(ran.map((e) => byEngine[e]!.verdict));
  const paragraph = (e: Engine) => `${ENGINE_NAME[e]}: ${byEngine[e]!.explanation}`;
  let verdict: ClaimResult['verdict'];
  let lead: string;
  if (ran.length === 0) {
    verdict = 'not-run';
    lead = `Not decided in any engine.`;
  } else if (verdicts.size > 1) {
    verdict = 'depends';
    lead = `The engines differ: ${ran.map((e) => `${byEngine[e]!.verdict} in ${ENGINE_NAME[e]}`).join(', ')}.`;
  } else {
    verdict = [...verdicts][0]!;
    const notRun = engines.filter((e) => !ran.includes(e));
    lead =
      notRun.length === 0
        ? `${verdict[0]!.toUpperCase()}${verdict.slice(1)} in ${names(ran)} alike.`
        : `Decided in ${names(ran)} only (${names(notRun)} did not run).`;
  }
  const figures: NonNullable<ClaimResult['figures']> = {};
  for (const e of ran) for (const [k, v] of Object.entries(byEngine[e]!.figures ?? {})) figures[`${e}.${k}`] = v;
  return {
    id,
    verdict,
    explanation: [lead, ...engines.map(paragraph)].join(' '),
    records: [...new Set(engines.flatMap((e) => byEngine[e]!.records))],
    ...(ran.length ? { figures } : {}),
    engines: byEngine,
    holdsIn: ran.filter((e) => byEngine[e]!.verdict === verdict),
    decidedBy: 'scenarios',
    date,
  };
}

/**
 * Every claim this producer decides, with its verdict computed from `records`: once per engine; a claim no browser
 * record bears on keeps one verdict for every client, a browser claim gets each engine's and their combination.
 */
export function computeVerdicts(records: readonly ScenarioRecord[], date = new Date().toISOString()): ClaimResult[] {
  return DECIDED_CLAIMS.map((id) => {
    const byEngine = Object.fromEntries(ENGINES.map((e) => [e, decideIn(id, records, e)])) as Record<Engine, ReturnType<typeof decideIn>>;
    if (!ENGINES.some((e) => byEngine[e].usedBrowser)) {
      const { usedBrowser: _, ...only } = byEngine.chromium;
      return { id, ...only, decidedBy: 'scenarios', date };
    }
    const strip = ({ usedBrowser: _, ...v }: ReturnType<typeof decideIn>): EngineVerdict => v;
    return combine(id, { chromium: strip(byEngine.chromium), firefox: strip(byEngine.firefox) }, date);
  });
}
