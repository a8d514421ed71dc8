/**
 * Request targets (`//`, absolute-form with bad ports, `*`, escapes, unicode, huge) against every
 * HTTP side of live server processes: SSE (HTTP/1.1, and `:path` over HTTP/2), ws (plain and upgrade), socket.io, the floor's /stats port.
 */
import { TARGET_SURFACES } from '../../scripts/fuzz/surface-targets.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(TARGET_SURFACES, 'target');
