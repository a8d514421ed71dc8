/**
 * Timeouts and delays of both client tiers, the full clients (clients/*.ts) and the lean load
 * readers (clients/lean/), in one place so the two tiers cannot drift apart.
 */

/** A client-to-server round trip (ws ping message, socket.io ack, POST /sse/ping) fails after this many ms. */
export const PING_TIMEOUT_MS = 5000;
/** A lean reader gives up on opening after this many ms unless its options say otherwise. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** ws and socket.io clients wait this many ms before reconnecting unless their options say otherwise. */
export const RECONNECT_MS = 1000;
