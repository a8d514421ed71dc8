/**
 * Query parameters against live servers: format and lastEventId (SSE), format and since (ws),
 * EIO, transport, sid and format (socket.io polling and WebSocket handshakes).
 */
import { QUERY_SURFACES } from '../../scripts/fuzz/surface-query.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(['sse', 'ws', 'socketio'], QUERY_SURFACES, 'query');
