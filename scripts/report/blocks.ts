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
  | { kind: 'details'; summary: string; blocks: Block[] }
  | { kind: 'bytes'; rows: ByteRow[]; caption?: string }
  /** A diagram the report draws itself (inline SVG, no external request), with a caption that says what it shows. */
  | { kind: 'figure'; svg: string; caption: string };

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
