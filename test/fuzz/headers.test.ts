/**
 * Request headers against live servers: Last-Event-ID (with ?lastEventId=) on SSE over HTTP/1.1 and HTTP/2, Origin on both SSE servers,
 * ws and socket.io.
 */
import { HEADER_SURFACES } from '../../scripts/fuzz/surface-headers.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(HEADER_SURFACES, 'header');
