/** Small wordings the rules' paragraphs share: figures as the text states them. */
import type { Decided } from './rule.ts';

export const ms = (value: number | null | undefined) =>
  value === null || value === undefined || Number.isNaN(value) ? 'n/a' : `${Math.round(value)} ms`;
export const yes = (b: boolean | null | undefined) => (b ? 'yes' : 'no');
export const times = (n: number) => (n === 1 ? '1 time' : `${n} times`);
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
export const openOr = (opened: boolean | null | undefined) => (opened ? 'open' : 'refused');
/** EventSource readyState names (0..2) and WebSocket's (0..3: 2 is CLOSING). */
export const esState = (n: number | null | undefined) => `${n} (${['CONNECTING', 'OPEN', 'CLOSED'][n ?? -1] ?? 'unknown'})`;
export const wsState = (n: number | null | undefined) => `${n} (${['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'][n ?? -1] ?? 'unknown'})`;
/** The sentence that closes an explanation: the one written for the verdict the rule computed. */
export const closing = (verdict: Decided, sentences: Record<Decided, string>) => sentences[verdict];
