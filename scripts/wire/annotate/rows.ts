/**
 * Byte rows: the report's "offset | bytes | meaning" lines. Every annotator turns what it decoded
 * into these, so each row shows the bytes as they were on the wire (hex and printable ASCII).
 */
import { type Item, utf8 } from '../describe.ts';
import type { ByteRow } from '../types.ts';

const HEX_BYTES = 16;
const TEXT_CHARS = 64;

export function hexOf(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, HEX_BYTES), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > HEX_BYTES ? `${shown} …` : shown;
}

function printable(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, TEXT_CHARS), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return bytes.length > TEXT_CHARS ? `${shown}…` : shown;
}

export function row(wire: Uint8Array, offset: number, length: number, label: string, meaning: string, decoded?: string): ByteRow {
  const bytes = wire.subarray(offset, offset + length);
  const r: ByteRow = { offset, length, hex: hexOf(bytes), text: printable(bytes), label, meaning };
  if (decoded !== undefined) r.decoded = decoded.length > 200 ? `${decoded.slice(0, 200)}…` : decoded;
  return r;
}

/** Unmasked bytes for the `decoded` column: as text when they are printable UTF-8, else in hex. */
function readable(bytes: Uint8Array): string {
  const text = utf8(bytes);
  return /^[^\x00-\x08\x0b-\x1f\x7f\ufffd]*$/.test(text) ? text : hexOf(bytes);
}

/**
 * Items over a contiguous range at `base`; gaps become explicit rows so every byte is shown. `plain`: the unmasked
 * bytes, when the wire's are masked.
 */
export function itemRows(wire: Uint8Array, base: number, length: number, items: Item[], plain?: Uint8Array): ByteRow[] {
  const rows: ByteRow[] = [];
  let pos = 0;
  const add = (start: number, end: number, label: string, meaning: string) => {
    if (end <= start) return;
    rows.push(row(wire, base + start, end - start, label, meaning, plain ? readable(plain.subarray(start, end)) : undefined));
  };
  for (const item of [...items].sort((a, b) => a.start - b.start)) {
    add(pos, item.start, 'bytes', 'bytes no describer explained');
    add(Math.max(pos, item.start), Math.min(item.end, length), item.label, item.meaning);
    pos = Math.max(pos, item.end);
  }
  add(pos, length, 'bytes', 'bytes no describer explained');
  return rows;
}
