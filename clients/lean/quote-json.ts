/**
 * A quote's seq and ts without JSON.parse: a load step's generator reads every delivery, and
 * building each quote's object (and its symbol string) was the largest cost of its own. It reads
 * exactly the text encodeJson writes (JSON.stringify, keys in contract order):
 *
 *   {"seq":N,"symbol":"S","price":N,"ts":N}   or   {"seq":N,"symbol":"S","price":N,"ts":N,"pad":"P"}
 *
 * N any JSON number, S a string without escapes or control characters. Number() reads a JSON
 * number to the same double as JSON.parse, so a match gives JSON.parse's seq and ts. Any other text
 * (a control message, another key order, an escape, spaces) goes to JSON.parse itself, so a message
 * is never counted on a guess, and a malformed one throws as it did.
 *
 * The pad (up to 16 KiB in the payload sweep) is checked by native searches, not by the pattern: its
 * closing quote must be the first `"` after it opens, and no `\` may come before that. A raw control
 * character inside it is not looked for: that scan cost as much as the rest of a 16 KiB read, and such a
 * character cannot move a seq or ts (the lab's servers never write one; JSON.parse would refuse it).
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
/** A quote up to its end or its pad's opening quote, capturing seq, ts and which (an irregexp match runs at native speed). */
const QUOTE_HEAD = new RegExp(String.raw`\{"seq":(${NUMBER}),"symbol":"${PLAIN}","price":${NUMBER},"ts":(${NUMBER})(\}|,"pad":")`, 'y');

/**
 * A quote as encodeJson writes it starting at text[from]: its seq and ts and the index just past its `}`, or null
 * when the text there is anything else.
 */
export function quoteAt(text: string, from: number): { seq: number; ts: number; end: number } | null {
  QUOTE_HEAD.lastIndex = from;
  const match = QUOTE_HEAD.exec(text);
  if (!match) return null;
  let end = QUOTE_HEAD.lastIndex;
  if (match[3] !== '}') {
    const close = text.indexOf('"', end);
    const backslash = text.indexOf('\\', end);
    if (close === -1 || text.charCodeAt(close + 1) !== 0x7d || (backslash !== -1 && backslash < close)) return null;
    end = close + 2;
  }
  return { seq: Number(match[1]), ts: Number(match[2]), end };
}

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
  const quote = quoteAt(text, 0);
  if (quote?.end === text.length) {
    onQuote(quote.seq, quote.ts, receivedAt);
    return undefined;
  }
  const message: unknown = JSON.parse(text);
  const fields = fieldsOf(message);
  if (!fields) return message;
  onQuote(fields.seq, fields.ts, receivedAt);
  return undefined;
}
