/**
 * SSE's upstream path (POST /sse/ping: header combinations and bodies) and the WebSocket upgrade's
 * headers on ws and socket.io, against live servers.
 */
import { PING_SURFACES } from '../../scripts/fuzz/surface-ping.ts';
import { UPGRADE_SURFACES } from '../../scripts/fuzz/surface-upgrade.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(['sse', 'ws', 'socketio'], [...PING_SURFACES, ...UPGRADE_SURFACES], 'input');
