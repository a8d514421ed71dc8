/**
 * The shape of a verdict rule, in three steps kept apart so each can be checked on its own:
 * - `read` takes from the records every value the rule rests on, through Evidence (which notes the
 *   records used and those missing); a value the text cites only in some outcomes is read only then;
 * - `decide` is the decision: a pure function from those values to the verdict and the figures that
 *   support it (plus anything else it derived that the wording cites);
 * - `word` states it: the paragraph built from the same values, every clause worded from the figure
 *   it cites, closing on the sentence written for the verdict decided.
 */
import type { ClaimId, Verdict } from '../../scripts/lib/claims.ts';
import type { Evidence } from './evidence.ts';

export type Figures = Record<string, number | string | boolean | null>;
export type Decided = Exclude<Verdict, 'not-run'>;

export interface Decision {
  verdict: Decided;
  /** The numbers the verdict was computed from, as results/claims.json lists them. */
  figures: Figures;
}

// Method syntax on purpose: a rule typed for its own values still fits `Rule<unknown>` in a RuleSet.
export interface Rule<Seen, D extends Decision = Decision> {
  read(e: Evidence): Seen;
  decide(seen: Seen): D;
  word(seen: Seen, decision: D): string;
}

/** The rules of one claim family, by the claim each decides. */
export type RuleSet = Partial<Record<ClaimId, Rule<unknown>>>;

/** Ties a rule's three steps to one type of values read and one of decision (inferred, not written out). */
export const rule = <Seen, D extends Decision>(r: Rule<Seen, D>): Rule<Seen, D> => r;
