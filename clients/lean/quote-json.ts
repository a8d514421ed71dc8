/**
 * A quote's seq and ts without JSON.parse: a load step's generator reads every delivery, and
 * building each quote's object (and its symbol string) was the largest cost of its own. One
 * pattern matches exactly the text encodeJson writes (JSON.stringify, keys in contract order):
 *
 *   {"seq":N,"symbol":"S","price":N,"ts":N}   or   {"seq":N,"symbol":"S","price":N,"ts":N,"pad":"P"}
 *
 * N any JSON number, S and P strings without escapes or control characters. Number() reads a JSON
 * number to the same double as JSON.parse, so a match gives JSON.parse's seq and ts. Any other text
 * (a control message, another key order, an escape, spaces) goes to JSON.parse itself, so a message
 * is never counted on a guess, and a malformed one throws as it did.
 */

/** The fields a load step needs from a quote. */
export interface QuoteFields {
  seq: number;
  ts: number;
}

export type OnQuote = (seq: number, ts: number, receivedAt: number) => void;

/** A JSON number (RFC 8259 grammar). */
const NUMBER = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
/** A JSON string's content without escapes, so its closing quote is the first `"`. */
export const PLAIN = String.raw`[^"\\\u0000-\u001f]*`;
/** encodeJson's text, capturing seq and ts (an irregexp match runs at native speed, unlike a scan in JS). */
export const QUOTE_PATTERN = String.raw`\{"seq":(${NUMBER}),"symbol":"${PLAIN}","price":${NUMBER},"ts":(${NUMBER})(?:,"pad":"${PLAIN}")?\}`;
const QUOTE = new RegExp(`^${QUOTE_PATTERN}$`);

/** A parsed message's seq and ts when it has both as numbers (a quote), else null. */
export function fieldsOf(message: unknown): QuoteFields | null {
  const { seq, ts } = (message ?? {}) as Partial<Record<keyof QuoteFields, unknown>>;
  return typeof seq === 'number' && typeof ts === 'number' ? { seq, ts } : null;
}

/**
 * One JSON message: a quote goes to onQuote and readQuote returns undefined; any other JSON value
 * is returned parsed, for the reader to handle (a control message) or ignore. Malformed JSON throws.
 */
export function readQuote(text: string, receivedAt: number, onQuote: OnQuote): unknown {
  const match = QUOTE.exec(text);
  if (match) {
    onQuote(Number(match[1]), Number(match[2]), receivedAt);
    return undefined;
  }
  const message: unknown = JSON.parse(text);
  const fields = fieldsOf(message);
  if (!fields) return message;
  onQuote(fields.seq, fields.ts, receivedAt);
  return undefined;
}
