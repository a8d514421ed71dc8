/**
 * Query parameters against live servers: format and lastEventId (SSE over HTTP/1.1 and HTTP/2), format and since (ws),
 * EIO, transport, sid and format (socket.io polling and WebSocket handshakes).
 */
import { QUERY_SURFACES } from '../../scripts/fuzz/surface-query.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(QUERY_SURFACES, 'query');
