/**
 * The resume oracle SSE (Last-Event-ID, ?lastEventId=) and ws (?since=) share. Given the resume
 * point the server should have read and the newest seq before connecting, the first messages of
 * the stream are fixed by the contract: a replay starts right after the point; a point older
 * than the replay buffer gets a `reset` naming the gap first (reason `expired`); a point ahead of
 * the feed gets a `reset` saying so (reason `ahead`, missed 0) and then the feed's next quote; no
 * point (not a seq) streams fresh.
 */
import { violation } from './classify.ts';
import type { HttpResponse } from '../lib/raw/http.ts';

/** The first messages of a stream: an optional reset, then the first quote's seq. */
export interface StreamStart {
  /** As it came on the wire; `reason` is checked, not trusted. */
  reset?: { lastSeen: number; firstAvailable: number; missed: number; reason: string };
  firstSeq: number;
}

/** The server's reading of a resume point: digits only (1..15 of them), else none (NaN). */
export function parseSeq(raw: string | null | undefined): number {
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
}

/**
 * Checks the start of a stream resumed from `lastSeen` (NaN: none), connected when the server's
 * newest quote was at least `latestBefore`.
 */
export function checkResume(start: StreamStart, lastSeen: number, latestBefore: number, what: string): void {
  const { reset, firstSeq } = start;
  if (Number.isNaN(lastSeen)) {
    // Fresh: live quotes, never a replay of older ones.
    if (reset) violation(`${what}: a reset ${JSON.stringify(reset)} on a stream that should start fresh`);
    if (firstSeq <= latestBefore)
      violation(`${what}: started at quote ${firstSeq}, not after the newest (${latestBefore}), though nothing was to be replayed`);
    return;
  }
  if (!reset) {
    // A point ahead of the newest is resumed plainly only when the feed reached it while connecting.
    if (firstSeq !== lastSeen + 1) violation(`${what}: resumed after ${lastSeen} but the first quote is ${firstSeq}, with no reset`);
    return;
  }
  let consistent: boolean;
  if (reset.reason === 'ahead') {
    // Ahead of the feed when the server read it: the stream goes on at the feed's next quote, at or below the point.
    consistent =
      lastSeen > latestBefore &&
      reset.lastSeen === lastSeen &&
      reset.firstAvailable > latestBefore &&
      reset.firstAvailable <= lastSeen &&
      reset.missed === 0 &&
      firstSeq === reset.firstAvailable;
  } else {
    consistent =
      reset.reason === 'expired' &&
      reset.lastSeen === lastSeen &&
      reset.firstAvailable > lastSeen + 1 &&
      reset.missed === reset.firstAvailable - lastSeen - 1 &&
      firstSeq === reset.firstAvailable;
  }
  if (!consistent) violation(`${what}: resumed after ${lastSeen}: reset ${JSON.stringify(reset)} then quote ${firstSeq} do not agree`);
}

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

function sseEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split('\n\n').slice(0, -1)) {
    const event: SseEvent = { event: 'message', data: '' };
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon === 0) continue; // a comment (heartbeat)
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
      else if (field === 'data') event.data = event.data ? `${event.data}\n${value}` : value;
    }
    if (block.split('\n').some((line) => line.startsWith('data'))) events.push(event);
  }
  return events;
}

/** An event stream has delivered its first quote (the point a reader can stop). */
export const firstQuoteArrived = (response: HttpResponse): boolean =>
  response.headers['content-type']?.startsWith('text/event-stream') === true &&
  sseEvents(response.body.toString('utf8')).some((e) => e.event === 'quote');

/** Reads the start of an SSE stream; `decode` turns a quote's data into its seq (JSON or base64). */
export function sseStart(response: HttpResponse, decode: (data: string) => number, what: string): StreamStart {
  const events = sseEvents(response.body.toString('utf8'));
  const first = events.findIndex((e) => e.event === 'quote');
  if (first === -1) violation(`${what}: the stream sent no quote in time: ${JSON.stringify(response.body.toString('utf8').slice(0, 300))}`);
  const quote = events[first]!;
  const firstSeq = decode(quote.data);
  if (quote.id !== String(firstSeq)) violation(`${what}: quote ${firstSeq} carries id ${JSON.stringify(quote.id)}`);
  const resetEvent = events.slice(0, first).find((e) => e.event === 'reset');
  const unknown = events.slice(0, first).find((e) => e.event !== 'reset');
  if (unknown) violation(`${what}: an unexpected ${unknown.event} event before the first quote`);
  if (!resetEvent) return { firstSeq };
  const reset = JSON.parse(resetEvent.data) as NonNullable<StreamStart['reset']>;
  // An `ahead` reset moves the event id back to the feed's numbering (a reconnect resumes from there); an `expired` one leaves it.
  const id = reset.reason === 'ahead' ? String(reset.firstAvailable - 1) : undefined;
  if (resetEvent.id !== id) violation(`${what}: reset ${resetEvent.data} carries id ${JSON.stringify(resetEvent.id)}`);
  return { firstSeq, reset };
}
