/**
 * What a test needs to reach a transport that is always TLS (sse-h2): the lab certificate to trust,
 * and a fetch that speaks HTTP/2 (Node's global fetch speaks only HTTP/1.1 and trusts only its CA
 * store). For the other transports both are Node's defaults, so a test written once runs on all.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { labCertificate } from '../servers/tls.ts';
import { TRANSPORTS, type Transport } from '../servers/transports.ts';

/** The lab certificate (PEM) for a transport that is always TLS, else undefined: pass it as a client's `ca`. */
export async function caFor(transport: Transport): Promise<string | undefined> {
  return TRANSPORTS[transport].tls === 'required' ? (await labCertificate()).cert : undefined;
}

const dispatchers: Agent[] = [];

/** Node's fetch, or for a transport that is always TLS undici's over HTTP/2 trusting the lab certificate. */
export async function fetchFor(transport: Transport): Promise<typeof fetch> {
  const ca = await caFor(transport);
  if (!ca) return fetch;
  const dispatcher = new Agent({ allowH2: TRANSPORTS[transport].http === '2', connect: { ca } });
  dispatchers.push(dispatcher);
  return ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as typeof fetch;
}

/** Tears down the connections of every fetch made by fetchFor (an event-stream body may still hold one open). */
export async function closeFetches(): Promise<void> {
  await Promise.all(dispatchers.splice(0).map((dispatcher) => dispatcher.destroy()));
}
