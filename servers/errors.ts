/**
 * Errors with stable codes and a greppable `lab:` prefix. Bad options fail eagerly with a
 * hint; during a run, failures are counted in /stats instead of thrown.
 */
export type LabErrorCode =
  | 'LAB_BAD_OPTION'
  | 'LAB_BAD_REQUEST'
  | 'LAB_BAD_MESSAGE'
  | 'LAB_TOO_MANY_BAD_MESSAGES'
  | 'LAB_BAD_FORMAT'
  | 'LAB_ORIGIN_REFUSED'
  | 'LAB_CONNECTION_CAP'
  | 'LAB_PAYLOAD_TOO_LARGE'
  | 'LAB_UNSUPPORTED_ENCODING'
  | 'LAB_NOT_FOUND'
  | 'LAB_NO_NGINX'
  | 'LAB_NO_REDIS'
  /** A demo control that failed for another reason than a missing program (servers/demo/controls.ts). */
  | 'LAB_CONTROL_FAILED';

export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(`lab: ${code}: ${message}${hint ? ` (${hint})` : ''}`);
    this.name = 'LabError';
  }
}

/** The JSON body every server uses for an error answer. */
export function errorBody(code: LabErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
