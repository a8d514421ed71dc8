/**
 * Building blocks the surfaces share: junk text, percent escapes, numbers written every way a
 * parser might half-accept, and JSON that sets traps for code that converts a client's value
 * (`{"toString":1}` makes String(value) throw; `__proto__` and `constructor` keys).
 */
import fc from 'fast-check';

/** Any text: ASCII, any code point, lone surrogates and control characters included. */
export const junk = (maxLength = 24): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }));

/** Percent escapes: valid, truncated, non-hex, NUL, overlong and stray UTF-8. */
export const percentEscape: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%',
    '%4',
    '%zz',
    '%00',
    '%ff',
    '%FF%FE',
    '%C0%AF',
    '%E2%82',
    '%E2%82%AC',
    '%2F',
    '%2f%2F',
    '%2e%2e',
    '%25',
    '%0d%0a',
    '%3F',
    '%23',
  ),
  fc.integer({ min: 0, max: 255 }).map((n) => `%${n.toString(16).padStart(2, '0')}`),
);

/** Strings a sequence-number parser meets: digits, too many digits, signs, exponents, spaces, other scripts' digits. */
export const seqText: fc.Arbitrary<string> = fc.oneof(
  fc.nat({ max: 5000 }).map(String),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '+5',
    '1e3',
    '0x10',
    '1.5',
    '007',
    '9'.repeat(15),
    '9'.repeat(16),
    '1'.repeat(400),
    'NaN',
    'Infinity',
    '٣',
    '５',
    '5 5',
    '\t5',
  ),
  fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String),
  junk(8),
);

/** JSON text of objects that trip code converting or indexing client values. */
export const trapJson: fc.Arbitrary<string> = fc.constantFrom(
  '{"toString":1}',
  '{"toString":{},"valueOf":{}}',
  '{"valueOf":1,"toString":null}',
  '{"__proto__":{"toString":1}}',
  '{"constructor":{"prototype":{"toString":1}}}',
  '{"hasOwnProperty":1}',
  '{"then":1}',
  '[{"toString":1}]',
  '{"length":-1}',
  '{"length":1e400}',
);

/** Any JSON value, including the traps, as text. */
export const jsonText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 3 },
  { arbitrary: trapJson, weight: 2 },
  { arbitrary: fc.constantFrom('1e400', '-0', '1e-400', '-1e400', '""', 'null', 'true', '[]', '{}'), weight: 1 },
);

/** A JSON value a surface may splice into a message (a field's value): its JSON text. */
export const jsonField: fc.Arbitrary<string> = fc.oneof(
  jsonText,
  fc.double().map((n) => (Number.isFinite(n) ? JSON.stringify(n) : '1e400')),
  fc.constantFrom('0', '1', '-1', '1.5', String(Number.MAX_SAFE_INTEGER + 2), '"1"', '"json"', '"binary"', '"base64"'),
);

/** `depth` levels of nested arrays or objects, as JSON text. */
export const deepJson = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Header text without line breaks (those would end the header, another surface's business). */
export const headerText = (arbitrary: fc.Arbitrary<string>) => arbitrary.map((text) => text.replace(/[\r\n]/g, ' '));

/** A resume point: literal text, or `back` quotes before the server's newest (negative: ahead of it). */
export type Point = { text: string } | { back: number };

export const point: fc.Arbitrary<Point> = fc.oneof(
  fc.record({ text: headerText(seqText) }),
  fc.record({ back: fc.integer({ min: -50, max: 1500 }) }),
);

export const pointText = (p: Point, latest: number): string => ('text' in p ? p.text : String(latest - p.back));
