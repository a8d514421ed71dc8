/**
 * The browser's own account of a page's requests. Chromium's comes from the DevTools protocol's Network domain: each
 * request's method, path and the headers the network stack actually sent (Last-Event-ID, Origin,
 * Cookie: `requestWillBeSentExtraInfo`), and its response's status, protocol (ALPN: h2,
 * http/1.1) and connection id (which requests shared a connection). CORS preflights are
 * requests of their own (initiator `preflight`).
 *
 * Firefox's comes from WebDriver BiDi's network events (puppeteer-core's request and response events): method, path,
 * every request header (Cookie and Last-Event-ID included), status, failures; BiDi names no connection, no protocol and
 * no CORS preflight, so those fields stay absent in Firefox's records and `connections()` is empty there.
 *
 * The scenarios read requests off the wire tap where they can. Over TLS the tap sees only
 * encrypted records, so the cases of a TLS-only transport (HTTP/2) read them here instead, and
 * say so in their facts (`requestsFrom`). Times are the browser's wall clock (`wallTime`), the
 * same host clock as the case's, converted to ms since the case started.
 */
import type { CDPSession, HTTPRequest, HTTPResponse } from 'puppeteer-core';
import { now } from '../servers/contract.ts';
import type { Engine } from '../scripts/lib/browser.ts';
import type { LabPage } from './harness.ts';
import { round } from './measure.ts';
import type { Json, TimedEvent } from './types.ts';

/** Header names kept (lower case), as the tap keeps them. */
const KEPT = ['origin', 'cookie', 'last-event-id', 'authorization', 'accept', 'content-type', 'access-control-request-method'];

export interface BrowserRequest {
  /** ms since the case started, when the browser sent it. */
  t: number;
  method: string;
  /** Path and query. */
  path: string;
  /** EventSource, Fetch, Preflight, ... */
  type: string;
  headers: Record<string, string>;
  /** Absent until the response headers arrived (or for ever, when the request failed). */
  status?: number;
  /** ALPN's answer as the browser reports it: `h2`, `http/1.1`. */
  protocol?: string;
  /** The browser's id of the TCP (TLS) connection that carried it. */
  connectionId?: number;
  contentType?: string;
  /** Why it failed, as the network stack says (net::ERR_..., CORS). */
  failed?: string;
}

interface WillBeSent {
  requestId: string;
  request: { url: string; method: string; headers: Record<string, string> };
  wallTime: number;
  type?: string;
  initiator: { type: string };
}
interface ExtraInfo {
  requestId: string;
  headers: Record<string, string>;
}
interface ResponseReceived {
  requestId: string;
  response: { status: number; protocol?: string; connectionId: number; headers: Record<string, string> };
}
interface LoadingFailed {
  requestId: string;
  errorText: string;
  corsErrorStatus?: { corsError: string };
}

/** Whose account of the requests a record carries, by engine (facts' `requestsFrom`). */
export function networkAccount(engine: Engine | undefined): string {
  return engine === 'firefox' ? 'Firefox WebDriver BiDi network events (no connection ids, no protocol)' : 'Chromium DevTools Network';
}

const lowerCase = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
const kept = (headers: Record<string, string>) =>
  Object.fromEntries(KEPT.filter((k) => headers[k] !== undefined).map((k) => [k, headers[k]!]));

export class NetworkLog {
  readonly #requests = new Map<string, BrowserRequest>();
  /** ExtraInfo that arrived before its request (the protocol does not order the two). */
  readonly #early = new Map<string, Record<string, string>>();

  /** Undoes the recording: detaches Chromium's DevTools session, or removes the Firefox page's listeners. */
  #stop?: () => Promise<unknown>;

  private constructor(
    readonly t0: number,
    readonly origin: string,
    readonly engine: Engine,
  ) {}

  /**
   * Starts recording a page's requests to one origin (a server's: not the page's own, nor its
   * favicon); call it before the page makes the requests of interest.
   */
  static async watch(page: LabPage, origin: string): Promise<NetworkLog> {
    const log = new NetworkLog(page.t0, new URL(origin).origin, page.engine);
    if (page.engine === 'firefox') {
      log.#watchBidi(page);
      return log;
    }
    const cdp: CDPSession = await page.page.createCDPSession();
    cdp.on('Network.requestWillBeSent', (e: WillBeSent) => log.#sent(e));
    cdp.on('Network.requestWillBeSentExtraInfo', (e: ExtraInfo) => log.#extra(e));
    cdp.on('Network.responseReceived', (e: ResponseReceived) => log.#response(e));
    cdp.on('Network.loadingFailed', (e: LoadingFailed) => log.#failed(e));
    await cdp.send('Network.enable');
    log.#stop = () => cdp.detach();
    return log;
  }

  /** Firefox: the page's BiDi network events, timed on arrival (Node's clock, the case's). */
  #watchBidi(page: LabPage): void {
    const ids = new WeakMap<HTTPRequest, string>();
    let next = 0;
    // A request sent before the log started has no id: its response and failure are not this log's.
    const idOf = (r: HTTPRequest) => ids.get(r) ?? '';
    const onRequest = (r: HTTPRequest) => {
      ids.set(r, `${++next}`);
      const headers = lowerCase(r.headers());
      const type = headers.accept === 'text/event-stream' ? 'EventSource' : headers.upgrade === 'websocket' ? 'WebSocket' : 'Other';
      this.#sent({
        requestId: idOf(r),
        request: { url: r.url(), method: r.method(), headers },
        wallTime: now() / 1000,
        type,
        initiator: { type },
      });
    };
    const onResponse = (r: HTTPResponse) => {
      const request = this.#requests.get(idOf(r.request()));
      if (!request) return;
      request.status = r.status();
      const type = lowerCase(r.headers())['content-type'];
      if (type !== undefined) request.contentType = type;
    };
    const onFailed = (r: HTTPRequest) => this.#failed({ requestId: idOf(r), errorText: r.failure()?.errorText ?? 'failed' });
    page.page.on('request', onRequest).on('response', onResponse).on('requestfailed', onFailed);
    this.#stop = async () => page.page.off('request', onRequest).off('response', onResponse).off('requestfailed', onFailed);
  }

  /** Stops recording (what was recorded stays), so DevTools does not weigh on what is timed next. */
  async stop(): Promise<void> {
    await this.#stop?.().catch(() => undefined);
    this.#stop = undefined;
  }

  /** Requests in the order sent, optionally only those whose path starts with `prefix`. */
  requests(prefix = ''): BrowserRequest[] {
    return [...this.#requests.values()].filter((r) => r.path.startsWith(prefix)).sort((a, b) => a.t - b.t);
  }

  /** For each connection the browser reported, in order of first use: its protocol and how many requests it carried. */
  connections(prefix = ''): { id: number; protocol: string | null; requests: number }[] {
    const byId = new Map<number, { id: number; protocol: string | null; requests: number }>();
    for (const r of this.requests(prefix)) {
      if (r.connectionId === undefined) continue;
      const entry = byId.get(r.connectionId) ?? { id: r.connectionId, protocol: r.protocol ?? null, requests: 0 };
      entry.requests++;
      byId.set(r.connectionId, entry);
    }
    return [...byId.values()];
  }

  /** The requests as timed events (source `network`), so a record can carry the browser's account beside the page's. */
  events(prefix = ''): TimedEvent[] {
    return this.requests(prefix).map((r) => {
      const detail: { [key: string]: Json } = { method: r.method, path: r.path, type: r.type, headers: r.headers };
      if (r.status !== undefined) detail.status = r.status;
      if (r.protocol !== undefined) detail.protocol = r.protocol;
      if (r.connectionId !== undefined) detail.connectionId = r.connectionId;
      if (r.failed !== undefined) detail.failed = r.failed;
      return { t: r.t, source: 'network', type: 'request', detail };
    });
  }

  #sent(e: WillBeSent): void {
    const url = new URL(e.request.url);
    if (url.origin !== this.origin) return;
    this.#requests.set(e.requestId, {
      t: round(e.wallTime * 1000 - this.t0),
      method: e.request.method,
      path: `${url.pathname}${url.search}`,
      type: e.initiator.type === 'preflight' ? 'Preflight' : (e.type ?? 'Other'),
      headers: { ...kept(lowerCase(e.request.headers)), ...this.#early.get(e.requestId) },
    });
    this.#early.delete(e.requestId);
  }

  /** The headers as sent on the wire (cookies and Last-Event-ID included), which the first event may lack. */
  #extra(e: ExtraInfo): void {
    const request = this.#requests.get(e.requestId);
    if (request) request.headers = { ...request.headers, ...kept(lowerCase(e.headers)) };
    else this.#early.set(e.requestId, kept(lowerCase(e.headers)));
  }

  #response(e: ResponseReceived): void {
    const request = this.#requests.get(e.requestId);
    if (!request) return;
    request.status = e.response.status;
    if (e.response.protocol) request.protocol = e.response.protocol;
    request.connectionId = e.response.connectionId;
    const type = lowerCase(e.response.headers)['content-type'];
    if (type !== undefined) request.contentType = type;
  }

  #failed(e: LoadingFailed): void {
    const request = this.#requests.get(e.requestId);
    if (request) request.failed = e.corsErrorStatus ? `${e.errorText} (CORS: ${e.corsErrorStatus.corsError})` : e.errorText;
  }
}
