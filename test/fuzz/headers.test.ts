/**
 * Request headers against live servers: Last-Event-ID (with ?lastEventId=) on SSE, Origin on SSE,
 * ws and socket.io.
 */
import { HEADER_SURFACES } from '../../scripts/fuzz/surface-headers.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(['sse', 'ws', 'socketio'], HEADER_SURFACES, 'header');
