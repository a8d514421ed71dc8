/**
 * What an attack records of the server's answers (scripts/raw speaks the protocols): a status or
 * the socket error that stood in for one, a lab error code, how a WebSocket ended, counts of equal
 * observations. A connection the server drops or never answers is an observation, never an exception.
 */
import type { RawConnection } from '../lib/raw/connection.ts';
import type { HttpAnswer } from '../lib/raw/http.ts';
import { closeOf, nextFrame, OPCODES, upgrade, type ServerFrame } from '../lib/raw/websocket.ts';

/** How long a refused upgrade may take to close its connection after the answer. */
const CLOSE_AFTER_ANSWER_MS = 1000;

/** The status, or what came instead: the socket error (ECONNREFUSED, ECONNRESET), 'closed' or 'timeout'. */
export const statusOf = (answer: HttpAnswer): number | string =>
  answer.kind === 'response' ? answer.status : answer.kind === 'closed' ? (answer.error ?? 'closed') : 'timeout';

export const bodyOf = (answer: HttpAnswer): string => (answer.kind === 'response' ? answer.body.toString('utf8') : '');

/** The `code` of a lab error body `{"error":{"code":...}}`, or null. */
export function errorCode(body: string): string | null {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

/** An answer as one compact observation: status, lab error code, and the socket error if there was no answer. */
export function answerOf(answer: HttpAnswer): { status: number | null; code: string | null; error?: string } {
  if (answer.kind !== 'response') return { status: null, code: null, error: String(statusOf(answer)) };
  return { status: answer.status, code: errorCode(bodyOf(answer)) };
}

/** Counts equal strings: {"1013 LAB_CONNECTION_CAP": 12}. */
export function tally(values: readonly (string | number | null | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

/** A packet with its session ids blanked, so equal answers tally as one: `40{"sid":…,"pid":…}`. */
export function withoutIds(packet: string): string {
  return packet.replace(/"(sid|pid)":"[^"]*"/g, '"$1":…');
}

export interface Upgrade {
  answer: HttpAnswer;
  /** The WebSocket, when the server answered 101. */
  connection: RawConnection | null;
  /** A refused upgrade: the server closed the connection after its answer (within a second). */
  closedAfterAnswer: boolean;
}

/** A valid upgrade request to any target, optionally with frames in the same write; a refusal is read to its close. */
export async function tryUpgrade(port: number, target: string, then?: Buffer): Promise<Upgrade> {
  const { answer, connection } = await upgrade(port, target, then);
  if (answer.kind === 'response' && answer.status === 101) return { answer, connection, closedAfterAnswer: false };
  const closedAfterAnswer = (await connection.until((_, closed) => closed || undefined, CLOSE_AFTER_ANSWER_MS)) ?? false;
  connection.destroy();
  return { answer, connection: null, closedAfterAnswer };
}

/** "no upgrade (403)": a refused upgrade as one string, for tallies. */
export const refusal = (answer: HttpAnswer): string => `no upgrade (${statusOf(answer)})`;

/** How a WebSocket ended, as one string for tallies: "1013 LAB_CONNECTION_CAP", "ended without close frame", "no close frame". */
export function describeEnd(end: ServerFrame | 'closed' | undefined): string {
  if (end === 'closed') return 'ended without close frame';
  if (end?.opcode !== OPCODES.close) return 'no close frame';
  const { code, reason } = closeOf(end);
  return `${code} ${reason}`.trim();
}

/** Waits up to `timeoutMs` for the server's close frame, hangs up, and says how the WebSocket ended (or why there was none). */
export async function awaitClose({ answer, connection }: Upgrade, timeoutMs: number): Promise<string> {
  if (!connection) return refusal(answer);
  const end = await nextFrame(connection, timeoutMs, (frame) => frame.opcode === OPCODES.close);
  connection.destroy();
  return describeEnd(end);
}
