/**
 * Which transports take part in which case, asked of the registry's capabilities rather than
 * written as a list of names: a new transport joins the cases its browser API, HTTP version, TLS,
 * resume and upstream allow, and stays out of the others for the reason its scenario's header gives.
 */
import { labCertificate } from '../servers/tls.ts';
import { type ClientTransport, spec, type TransportSpec } from '../servers/transports.ts';
import { SCENARIO_TRANSPORTS, type ScenarioTransport } from './types.ts';

/** The browser APIs the scenarios drive: EventSource, WebSocket, socket.io's client. */
export type BrowserApi = NonNullable<TransportSpec['browserApi']>;

/** A transport's entry as the general spec (the registry's), which the scenarios read their capabilities from. */
export { spec };

/** The scenario transports that pass `test`, in registry order. */
export function transportsWhere(test: (spec: TransportSpec) => boolean): ScenarioTransport[] {
  return SCENARIO_TRANSPORTS.filter((t) => test(spec(t)));
}

/** Served over TLS whatever the options say (HTTP/2 in a browser): a relay in front sees only TLS records, never a header. */
export const tlsOnly = (transport: ScenarioTransport) => spec(transport).tls === 'required';

/**
 * Plain HTTP/1.1 with TLS optional: what the named fixtures (HTTP/1.1 on node:http) imitate and the
 * wire tap can read, request heads and all.
 */
export const readableHttp1 = (s: TransportSpec) => s.http === '1.1' && s.tls === 'optional';

/** Opened with the browser's EventSource (SSE over HTTP/1.1 and over HTTP/2). */
export const EVENT_SOURCE = transportsWhere((s) => s.browserApi === 'EventSource');

/** The scheme a page uses for a transport's HTTP side: https where TLS is required, else plain http. */
export const httpScheme = (transport: ScenarioTransport) => (tlsOnly(transport) ? 'https' : 'http');

/** The path of a transport's endpoint, read off its server's URL (/sse, /ws, or '' for socket.io's default path). */
export const endpointPath = (url: string) => new URL(url).pathname.replace(/^\/$/, '');

/** The scenario transports with a Node client in clients/ (the node-* cases). */
export type NodeTransport = Extract<ScenarioTransport, ClientTransport>;
export const NODE_CLIENTS = SCENARIO_TRANSPORTS.filter((t): t is NodeTransport => spec(t).nodeClient);

/** Client options that trust the lab certificate, for a transport that is served over TLS only. */
export async function labTrust(transport: ScenarioTransport): Promise<{ ca?: string }> {
  return tlsOnly(transport) ? { ca: (await labCertificate()).cert } : {};
}
