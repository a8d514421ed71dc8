/**
 * What one client's received sequence numbers say about delivery: the feed numbers every quote, so a client that
 * should see every quote from its first to its last can count what it lost, got twice or got out of order.
 */
export interface Delivery {
  /** Messages received (duplicates included). */
  received: number;
  /** Seqs between the first and the last received that never arrived. */
  lost: number;
  /** Messages whose seq had arrived before. */
  duplicated: number;
  /** Messages below the highest seq seen so far that were not duplicates (arrived late). */
  outOfOrder: number;
  first: number;
  last: number;
}

export function deliveryOf(seqs: readonly number[]): Delivery {
  const seen = new Set<number>();
  let duplicated = 0;
  let outOfOrder = 0;
  let highest = 0;
  for (const seq of seqs) {
    if (seen.has(seq)) duplicated++;
    else if (seq < highest) outOfOrder++;
    seen.add(seq);
    highest = Math.max(highest, seq);
  }
  const first = seqs.length === 0 ? 0 : Math.min(...seen);
  const last = highest;
  return { received: seqs.length, lost: seqs.length === 0 ? 0 : last - first + 1 - seen.size, duplicated, outOfOrder, first, last };
}
