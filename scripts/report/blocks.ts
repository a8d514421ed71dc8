/**
 * The report's building blocks, independent of its format: sections of blocks that model.ts and
 * the section builders fill and html.ts and markdown.ts render.
 */
import type { ByteRow } from '../wire/types.ts';

export type Cell = string | number | null;
export type Block =
  | { kind: 'p'; text: string }
  | { kind: 'verdict'; verdict: string; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: Cell[][]; caption?: string }
  | { kind: 'chart'; id: string }
  | { kind: 'code'; file: string; line: number; code: string }
  /** A fold; `htmlOnly`: bulk (records in full) the Markdown leaves to the HTML, naming it instead. */
  | { kind: 'details'; summary: string; blocks: Block[]; htmlOnly?: boolean }
  | { kind: 'bytes'; rows: ByteRow[]; caption?: string }
  /**
   * A diagram the report draws itself (inline SVG, no external request), with a caption that says what it shows and,
   * where it has one, the same content as lines of text (the Markdown's rendition).
   */
  | { kind: 'figure'; svg: string; caption: string; text?: string };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

export function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 3 : 1);
  if (value === null || value === undefined) return '–';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Whether a lead closes every code span, bold run and link it opens: a sentence may end only outside them. */
const balanced = (text: string) =>
  (text.match(/`/g) ?? []).length % 2 === 0 &&
  (text.match(/\*\*/g) ?? []).length % 2 === 0 &&
  (text.match(/\[/g) ?? []).length === (text.match(/\]/g) ?? []).length;

/**
 * A paragraph's opening, whole sentences up to at least `words` words, and the rest ('' when nothing is left): what
 * stays in view and what folds. A sentence ends at . ! or ? followed by a space and a capital, a bracket, a quote or
 * markup, outside any code span, bold run or link.
 */
export function leadSentences(text: string, words: number): [lead: string, rest: string] {
  const boundary = /(?<=[.!?])\s+(?=[A-Z(“"`*[])/g;
  for (let match = boundary.exec(text); match; match = boundary.exec(text)) {
    const lead = text.slice(0, match.index);
    if (balanced(lead) && (lead.match(/\S+/g) ?? []).length >= words) return [lead, text.slice(match.index).trim()];
  }
  return [text, ''];
}
