/**
 * An event-stream body: one message per HTTP chunk (or one for an unchunked body), one row per
 * line as the WHATWG parser read it, with the quote decoded from each data line and, at each blank
 * line, whether an event was dispatched. An event split across chunks shows as a line continued
 * from the chunk before.
 */
import { header, type HttpMessage } from '../decode/http.ts';
import { SseParser, type SseLine } from '../decode/sse.ts';
import { type Content, quoteFromBinary, quoteFromJson, strongest } from '../describe.ts';
import type { ByteRow, Carries, Direction } from '../types.ts';
import { type Context, push } from './context.ts';
import { row } from './rows.ts';

/** Words for an event-stream line, with the quote read from data lines; `base64` when a data line carries a binary quote. */
export function sseLineMeaning(line: SseLine): { meaning: string; base64?: { chars: number; bytes: number } } {
  if (line.kind === 'field' && line.field === 'data') {
    const value = line.value!;
    const json = quoteFromJson(value);
    if (json) return { meaning: `${line.effect} — ${value.length} bytes of JSON: quote seq ${json.seq} ${json.symbol}` };
    const raw = Buffer.from(value, 'base64');
    const binary = /^[A-Za-z0-9+/]+=*$/.test(value) ? quoteFromBinary(raw) : null;
    if (binary) {
      return {
        meaning:
          `${line.effect} — ${value.length} characters of base64 for the ${raw.length}-byte binary quote seq ${binary.seq} ` +
          '(text only: binary must be encoded)',
        base64: { chars: value.length, bytes: raw.length },
      };
    }
  }
  return { meaning: line.effect };
}

/** What the lines ending in one piece of an event stream carry. */
export function sseContent(lines: SseLine[]): Omit<Content, 'items'> {
  const carries: Carries[] = [];
  const seqs: number[] = [];
  let payloadBytes: number | null = null;
  const words: string[] = [];
  for (const line of lines) {
    if (line.kind === 'comment') {
      carries.push('heartbeat');
      words.push(`comment ${JSON.stringify(line.text.slice(0, 40))}`);
    } else if (line.kind === 'field' && line.field === 'retry') {
      carries.push('control');
      words.push(`retry: ${line.value}`);
    } else if (line.kind === 'blank' && line.dispatch) {
      const d = line.dispatch;
      if (!d.dispatched) {
        words.push('blank line, nothing dispatched (no data)');
        continue;
      }
      const json = quoteFromJson(d.data);
      const binary = json ? null : quoteFromBinary(Buffer.from(d.data, 'base64'));
      if (json) {
        carries.push('quote-json');
        seqs.push(json.seq);
        payloadBytes = (payloadBytes ?? 0) + Buffer.byteLength(d.data);
      } else if (binary) {
        carries.push('quote-base64');
        seqs.push(binary.seq);
        payloadBytes = (payloadBytes ?? 0) + Buffer.from(d.data, 'base64').length;
      } else {
        carries.push('control');
      }
      words.push(
        `'${d.type}' event${d.lastEventId ? ` id ${d.lastEventId}` : ''}` +
          `${json || binary ? ` (quote seq ${(json ?? binary)!.seq}${binary ? ', base64' : ''})` : ''}`,
      );
    }
  }
  return { carries: carries.length ? strongest(carries) : 'other', seqs, payloadBytes, summary: words.join('; ') || 'part of an event' };
}

/**
 * A byte range of a connection's stream carrying part of an event stream: one HTTP/1.1 chunk's
 * data, one HTTP/2 DATA frame's data, or a whole unchunked body.
 */
export interface Piece {
  offset: number;
  length: number;
}

export interface EventStream {
  /** Rows of piece `i`: the lines in it (a line split across pieces shows in each), then any unfinished line's bytes. */
  rows(i: number): ByteRow[];
  /** What the lines ending in piece `i` carry. */
  content(i: number): Omit<Content, 'items'>;
}

/**
 * Runs the WHATWG parser over the pieces of one event stream (in `wire`, the connection's
 * server-to-browser bytes) and records its facts: the body, whether it is UTF-8, the preamble
 * before the first event, the base64 quotes. `ended`: the stream is over, so an unterminated last
 * line is final.
 */
export function readEventStream(
  ctx: Context,
  wire: Buffer,
  pieces: Piece[],
  ended: boolean,
  headers: { contentType: string; transferEncoding: string | null },
): EventStream {
  const parser = new SseParser();
  const lines: SseLine[] = [];
  for (const piece of pieces) lines.push(...parser.push(wire.subarray(piece.offset, piece.offset + piece.length)));
  if (ended) lines.push(...parser.end());

  // Body offset -> stream offset.
  const starts: number[] = [];
  let total = 0;
  for (const piece of pieces) {
    starts.push(total);
    total += piece.length;
  }
  const bodyBytes = Buffer.concat(pieces.map((p) => wire.subarray(p.offset, p.offset + p.length)));
  // The preamble: the lines up to the last blank line before the first dispatched event.
  const firstEvent = lines.findIndex((l) => l.dispatch?.dispatched);
  const before = firstEvent === -1 ? lines : lines.slice(0, firstEvent);
  const lastBlank = before.map((l) => l.kind).lastIndexOf('blank');
  ctx.facts.sse.push({
    ...headers,
    body: bodyBytes,
    validUtf8: lines.every((l) => l.validUtf8),
    preamble: firstEvent === -1 ? lines : lines.slice(0, lastBlank + 1),
  });

  const described = lines.map(sseLineMeaning);
  for (const d of described) if (d.base64) ctx.facts.base64Quotes.push(d.base64);

  // Rows of the lines that overlap [from, to) in body coordinates, mapped to the stream at `streamBase`.
  const linesIn = (from: number, to: number, streamBase: number): ByteRow[] =>
    lines.flatMap((l, i) => {
      if (l.offset >= to || l.offset + l.length <= from) return [];
      const start = Math.max(l.offset, from);
      const end = Math.min(l.offset + l.length, to);
      const meaning = described[i]!.meaning;
      return [
        row(
          wire,
          streamBase + start - from,
          end - start,
          l.kind === 'field' ? `${l.field} line` : `${l.kind} line`,
          start > l.offset ? `(continued from the chunk before) ${meaning}` : meaning,
        ),
      ];
    });
  const endingIn = (from: number, to: number) => lines.filter((l) => l.offset + l.length > from && l.offset + l.length <= to);

  return {
    rows(i) {
      const piece = pieces[i]!;
      const rows = linesIn(starts[i]!, starts[i]! + piece.length, piece.offset);
      const covered = rows.reduce((s, r) => s + r.length, 0);
      if (covered < piece.length)
        rows.push(
          row(wire, piece.offset + covered, piece.length - covered, 'unfinished line', 'bytes of a line the stream has not finished'),
        );
      return rows;
    },
    content: (i) => sseContent(endingIn(starts[i]!, starts[i]! + pieces[i]!.length)),
  };
}

/** An event-stream body: one message per chunk (or one for an unchunked body), rows per line. */
export function sseBody(ctx: Context, message: HttpMessage, streamEnded: boolean): void {
  const dir: Direction = 's2c';
  const wire = ctx.streams[dir].bytes;
  const { body } = message;
  // The pieces of the body as the decoder sees them: chunk data, or the whole body.
  const pieces = body.chunked
    ? body.chunked.chunks.filter((c) => !c.last).map((c) => c.data)
    : [{ offset: body.offset, length: body.length }];
  const stream = readEventStream(ctx, wire, pieces, body.complete || streamEnded, {
    contentType: header(message.head, 'content-type') ?? '',
    transferEncoding: header(message.head, 'transfer-encoding') ?? null,
  });

  if (!body.chunked) {
    const content = stream.content(0);
    push(
      ctx,
      dir,
      'http-body',
      stream.rows(0),
      `event-stream body: ${content.summary}`,
      content.carries,
      content.seqs,
      content.payloadBytes,
    );
    return;
  }
  let index = 0;
  for (const chunk of body.chunked.chunks) {
    const rows: ByteRow[] = [
      row(
        wire,
        chunk.sizeLine.offset,
        chunk.sizeLine.length,
        'chunk size line',
        chunk.last
          ? `'${chunk.sizeLine.text}' CRLF: the last chunk (size 0) — the body ends here; the TCP connection may carry another request`
          : `chunk size 0x${chunk.sizeLine.text} = ${chunk.sizeLine.size} bytes of data follow, then CRLF`,
      ),
    ];
    if (chunk.last) {
      if (chunk.trailer)
        rows.push(
          row(wire, chunk.trailer.offset, chunk.trailer.length, 'end of trailer', 'empty line: no trailer fields, end of the chunked body'),
        );
      push(
        ctx,
        dir,
        'http-chunk',
        rows,
        'last chunk: the server ended the event stream (the browser will reconnect after the retry time)',
        'close',
      );
      continue;
    }
    rows.push(...stream.rows(index));
    if (chunk.crlf) rows.push(row(wire, chunk.crlf.offset, chunk.crlf.length, 'chunk CRLF', 'CRLF: end of the chunk data'));
    const content = stream.content(index);
    index++;
    push(
      ctx,
      dir,
      'http-chunk',
      rows,
      `chunk of ${chunk.sizeLine.size} bytes: ${content.summary}`,
      content.carries,
      content.seqs,
      content.payloadBytes,
    );
  }
}
