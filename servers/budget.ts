/**
 * A per-client budget for bad input (invalid or unknown messages, unsolicited control frames).
 * Bad input must not buy server memory or CPU: each costs a token, the bucket refills slowly, and a
 * client that empties it is disconnected and counted as a violation. A well-behaved client never
 * spends a token.
 */

/** Bad messages a client may send at once. */
export const BAD_INPUT_BURST = 20;
/** Tokens given back per second after that. */
export const BAD_INPUT_REFILL_PER_S = 2;

export class BadInputBudget {
  #tokens = BAD_INPUT_BURST;
  #at = performance.now();

  /** Spends one token; false once the client has used up its budget. */
  spend(): boolean {
    const t = performance.now();
    this.#tokens = Math.min(BAD_INPUT_BURST, this.#tokens + ((t - this.#at) / 1000) * BAD_INPUT_REFILL_PER_S);
    this.#at = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
