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
import { CLAIMS, type ClaimId, type ClaimResult } from '../../scripts/lib/claims.ts';
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

/** Every claim this producer decides, with its verdict computed from `records`. */
export function computeVerdicts(records: readonly ScenarioRecord[], date = new Date().toISOString()): ClaimResult[] {
  return DECIDED_CLAIMS.map((id) => {
    const evidence = new Evidence(records);
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
      return {
        id,
        verdict: 'not-run',
        explanation: `Not decided: ${why}. Run \`npm run scenarios\` with Chromium installed.`,
        records: used,
        decidedBy: 'scenarios',
        date,
      };
    }
    return {
      id,
      verdict: decided.verdict,
      explanation: decided.explanation,
      records: used,
      figures: decided.figures,
      decidedBy: 'scenarios',
      date,
    };
  });
}
