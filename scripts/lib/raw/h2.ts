/**
 * HTTP/2 requests for the attack and fuzz suites, as close to raw as node:http2 goes: any `:path`,
 * any method, any header node's client will encode, a body with a Content-Length that lies. Each
 * request is its own session (its own TCP and TLS connection), trusting the lab certificate, so one
 * input's reset never touches the next. The answer has the shape of an HTTP/1.1 one (http.ts), so
 * the same classifiers read both, plus the two ways HTTP/2 refuses that HTTP/1.1 has no words for:
 * the request node's client will not build (a connection-specific header, a NUL), and a stream the
 * server's HTTP/2 layer resets before any response (a malformed `:path`, a Content-Length that lies).
 */
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { labCertificate } from '../../../servers/tls.ts';
import type { ExchangeOptions, HttpAnswer, HttpResponse } from './http.ts';

export type H2Answer =
  | HttpAnswer
  /** node's client refused to send it (ERR_HTTP2_INVALID_HEADER_VALUE, ERR_HTTP2_INVALID_CONNECTION_HEADERS ...). */
  | { kind: 'unsendable'; error: string };

/** Reset codes with which an HTTP/2 layer refuses a malformed or oversized request before the application sees it. */
const PROTOCOL_REFUSALS: ReadonlySet<number> = new Set([
  constants.NGHTTP2_PROTOCOL_ERROR,
  constants.NGHTTP2_REFUSED_STREAM,
  constants.NGHTTP2_FRAME_SIZE_ERROR,
  constants.NGHTTP2_COMPRESSION_ERROR,
  constants.NGHTTP2_ENHANCE_YOUR_CALM,
]);

/** The stream was reset before any response with a code that means the HTTP/2 layer refused the request itself. */
export const refusedByHttp2 = (answer: H2Answer): boolean =>
  answer.kind === 'closed' && answer.error !== undefined && PROTOCOL_REFUSALS.has(Number(/^RST_STREAM (\d+)$/.exec(answer.error)?.[1]));

/** `headers` as HttpResponse keeps them: lower-case names, repeats joined with ', ', no pseudo-headers. */
function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    plain[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return plain;
}

export interface H2Options extends Pick<ExchangeOptions, 'enough'> {
  /** PEM to trust; default the lab certificate. */
  ca?: string;
  /** An open session to send it on (kept open afterwards), instead of a fresh one for this request alone. */
  session?: ClientHttp2Session;
  /** Send the body but leave the stream open: a server waiting for the rest must answer or reset it (endAfter's twin). */
  holdOpen?: boolean;
}

/**
 * One request on a fresh session to `origin` (https://host:port). `headers` holds the pseudo-headers too
 * (`:method`, `:path`); a body is sent as given, without a Content-Length unless `headers` has one.
 */
export async function h2Request(
  origin: string,
  headers: OutgoingHttpHeaders,
  body: Buffer | string | undefined,
  timeoutMs: number,
  options: H2Options = {},
): Promise<H2Answer> {
  const session = options.session ?? connect(origin, { ca: options.ca ?? (await labCertificate()).cert });
  if (!options.session) session.on('error', () => {}); // seen through the stream, or as no answer
  try {
    return await new Promise<H2Answer>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout', partial: '' }), timeoutMs);
      const settle = (answer: H2Answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      let stream: ReturnType<typeof session.request>;
      try {
        stream = session.request(headers, { endStream: body === undefined });
      } catch (error) {
        return settle({ kind: 'unsendable', error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
      }
      let status: number | undefined;
      let responseHeaders: Record<string, string> = {};
      const chunks: Buffer[] = [];
      const response = (): HttpResponse => {
        const bytes = Buffer.concat(chunks);
        return { kind: 'response', status: status!, headers: responseHeaders, body: bytes, size: bytes.length };
      };
      stream.on('response', (head) => {
        status = Number(head[':status']);
        responseHeaders = plainHeaders(head);
        if (options.enough?.(response())) settle(response());
      });
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (options.enough?.(response())) settle(response());
      });
      stream.on('end', () => settle(response()));
      stream.on('error', () => {}); // the close below says how it ended
      stream.on('close', () => {
        if (status !== undefined) return settle(response());
        const cause = stream.rstCode ? `RST_STREAM ${stream.rstCode}` : 'closed';
        settle({ kind: 'closed', partial: '', error: cause });
      });
      if (body !== undefined) {
        if (options.holdOpen) stream.write(body);
        else stream.end(body);
      }
    });
  } finally {
    if (!options.session) session.destroy();
  }
}

/**
 * Text as its UTF-8 bytes, one character per byte. node's HTTP/2 client writes each UTF-16 unit of a header value as
 * its low byte (`é` goes as E9, `€` as AC), so text is given to it in this form to go out as UTF-8: the bytes an
 * HTTP/1.1 request (http.ts) carries, which a node server reads back one character per byte (nodeValue, untrimmed).
 */
export const asUtf8Bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/**
 * The request of an HTTP/1.1-style list as node's HTTP/2 client takes it: lower-case names, repeats as arrays, the
 * method, path and values as UTF-8 bytes (asUtf8Bytes).
 */
export function h2Headers(method: string, path: string, headers: readonly (readonly [string, string])[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': asUtf8Bytes(method), ':path': asUtf8Bytes(path) };
  for (const [name, text] of headers) {
    const key = name.toLowerCase();
    const value = asUtf8Bytes(text);
    const had = out[key];
    out[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [String(had)]), value];
  }
  return out;
}
