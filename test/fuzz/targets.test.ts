/**
 * Request targets (`//`, absolute-form with bad ports, `*`, escapes, unicode, huge) against every
 * HTTP side of live server processes: SSE, ws (plain and upgrade), socket.io, the floor's /stats port.
 */
import { TARGET_SURFACES } from '../../scripts/fuzz/surface-targets.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(['sse', 'ws', 'socketio', 'tcp'], TARGET_SURFACES, 'target');
