/**
 * SSE's upstream path (POST /sse/ping over HTTP/1.1 and HTTP/2: header combinations and bodies) and the WebSocket upgrade's
 * headers on ws and socket.io, against live servers.
 */
import { PING_SURFACES } from '../../scripts/fuzz/surface-ping.ts';
import { UPGRADE_SURFACES } from '../../scripts/fuzz/surface-upgrade.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces([...PING_SURFACES, ...UPGRADE_SURFACES], 'input');
