/**
 * What every HTTP surface does first with a request: read its target. A client may send any
 * target (`//`, an absolute URL with port 99999): `new URL` throws on those, so the parse is never
 * done anywhere else, and a target that does not parse gets 400 LAB_BAD_REQUEST, not an exception.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from './errors.ts';

/** The request target as a URL (origin-form or absolute-form), or null when it does not parse. */
export function requestTarget(req: Pick<IncomingMessage, 'url'>): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://lab.invalid');
  } catch {
    return null;
  }
}

export const BAD_TARGET_BODY = errorBody('LAB_BAD_REQUEST', 'the request target is not a URL path');

/** Answers 400 LAB_BAD_REQUEST for a target that does not parse. */
export function refuseBadTarget(res: ServerResponse): void {
  res.writeHead(400, { 'Content-Type': 'application/json', Connection: 'close' }).end(BAD_TARGET_BODY);
}
