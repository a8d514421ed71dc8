/**
 * What counts as a defined answer. Every surface first sorts the server's answer with these
 * classifiers (an allowed status with a recognised body, an allowed close code, a closed
 * connection) and only then applies its own oracle; anything else throws a Violation: a hung
 * request, a 500, an HTML page or a stack trace, a body nobody documented, a malformed frame.
 */
import type { HttpAnswer, HttpResponse } from '../lib/raw/http.ts';
import type { ServerFrame } from '../lib/raw/websocket.ts';

/** An answer outside the contract. The message says what came back. */
export class Violation extends Error {
  override name = 'Violation';
}

export function violation(message: string): never {
  throw new Violation(message);
}

/** Who produced an error body. */
export type Said =
  /** The lab: `{"error":{"code":"LAB_…","message":…}}`. */
  | { by: 'lab'; code: string }
  /** engine.io's own refusal: `{"code":N,"message":…}`. */
  | { by: 'engine.io'; code: number; message: string }
  /** No body: node's HTTP parser (or engine.io) refusing without one, or the answer to a HEAD. */
  | { by: 'bare' }
  /** ws or engine.io refusing an upgrade with a short plain-text reason. */
  | { by: 'library'; text: string }
  /** Not an error. */
  | { by: 'none' };

export type HttpOutcome = { kind: 'closed' } | { kind: 'response'; response: HttpResponse; said: Said };

export interface HttpRules {
  statuses: readonly number[];
  /** engine.io's JSON errors are documented answers here (socket.io's paths). */
  engineIo?: boolean;
  /** ws's and engine.io's plain-text upgrade refusals are documented answers here. */
  upgrade?: boolean;
  /** The request was HEAD: an error answer has no body to check. */
  head?: boolean;
}

/** Which lab codes each error status may carry (the README's and the hardening contract's pairs). */
const LAB_CODES: Record<number, readonly string[]> = {
  400: ['LAB_BAD_REQUEST', 'LAB_BAD_MESSAGE', 'LAB_BAD_FORMAT'],
  403: ['LAB_ORIGIN_REFUSED'],
  404: ['LAB_NOT_FOUND'],
  413: ['LAB_PAYLOAD_TOO_LARGE'],
  415: ['LAB_UNSUPPORTED_ENCODING'],
  503: ['LAB_CONNECTION_CAP'],
};

/** An HTML page (express's default error handler) or a stack frame (`    at fn (file.ts:12:3)`). */
const STACK_OR_HTML = /<!doctype|<html|<body|<pre>|\n\s+at \S.*:\d+:\d+/i;

/** Short text of the answer for messages. */
export function show(answer: HttpAnswer): string {
  if (answer.kind !== 'response') return `${answer.kind} (${JSON.stringify(answer.partial.slice(0, 200))})`;
  const body = answer.body.toString('utf8', 0, 300);
  return `${answer.status} ${answer.headers['content-type'] ?? '(no type)'} ${JSON.stringify(body)}`;
}

export const showOutcome = (outcome: HttpOutcome): string => (outcome.kind === 'closed' ? 'a closed connection' : show(outcome.response));

function errorBody(response: HttpResponse, rules: HttpRules): Said {
  const text = response.body.toString('utf8');
  const type = response.headers['content-type'] ?? '';
  if (text.length === 0 && (!type || rules.head)) return { by: 'bare' };
  if (type.includes('json')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      violation(`error body is not JSON though typed so: ${show(response)}`);
    }
    const lab = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof lab?.code === 'string' && typeof lab.message === 'string' && LAB_CODES[response.status]?.includes(lab.code))
      return { by: 'lab', code: lab.code };
    if (typeof lab?.code === 'string') violation(`status ${response.status} with lab code ${lab.code}: ${show(response)}`);
    const engine = json as { code?: unknown; message?: unknown } | null;
    if (rules.engineIo && typeof engine?.code === 'number' && typeof engine.message === 'string') {
      return { by: 'engine.io', code: engine.code, message: engine.message };
    }
    violation(`JSON error body in no documented shape: ${show(response)}`);
  }
  if (rules.upgrade && text.length < 200 && /^[\w .,:;'()/-]*$/.test(text)) return { by: 'library', text };
  violation(`error body is not the lab's JSON: ${show(response)}`);
}

/** Sorts an HTTP answer into a defined outcome, or throws a Violation. */
export function classifyHttp(answer: HttpAnswer, rules: HttpRules): HttpOutcome {
  if (answer.kind === 'timeout') violation(`no complete answer in time: ${show(answer)}`);
  if (answer.kind === 'closed') {
    if (answer.partial.length > 0) violation(`connection closed in the middle of an answer: ${show(answer)}`);
    return { kind: 'closed' };
  }
  if (STACK_OR_HTML.test(answer.body.toString('utf8'))) violation(`HTML or a stack trace in the answer: ${show(answer)}`);
  if (!rules.statuses.includes(answer.status))
    violation(`status ${answer.status} is not one of ${rules.statuses.join(', ')}: ${show(answer)}`);
  const said = answer.status >= 400 ? errorBody(answer, rules) : ({ by: 'none' } as const);
  return { kind: 'response', response: answer, said };
}

/** The outcome is this status with this lab code (a node parser refusal is let through when `bareOk`). */
export function expectLab(outcome: HttpOutcome, status: number, code: string, why: string, bareOk = true): void {
  if (outcome.kind === 'response' && outcome.said.by === 'bare' && bareOk) return;
  if (outcome.kind === 'response' && outcome.response.status === status && outcome.said.by === 'lab' && outcome.said.code === code) return;
  violation(`${why}: expected ${status} ${code}, got ${showOutcome(outcome)}`);
}

/** The JSON body of a success, or a Violation. */
export function jsonBody(response: HttpResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return violation(`success body is not JSON: ${show(response)}`);
  }
}

/** The server's frames are RFC-clean: unmasked, no RSV bits, known opcodes, sane control frames. */
export function checkServerFrame(frame: ServerFrame): void {
  if (frame.masked) violation('the server sent a masked frame');
  if (frame.rsv !== 0) violation(`the server set RSV bits ${frame.rsv}`);
  if (![0, 1, 2, 8, 9, 10].includes(frame.opcode)) violation(`the server sent opcode ${frame.opcode}`);
  if (frame.opcode >= 8 && (frame.payload.length > 125 || !frame.fin))
    violation(`the server sent a bad control frame (opcode ${frame.opcode})`);
}
