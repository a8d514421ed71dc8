/**
 * engine.io / socket.io packets against a live socket.io server, over long-polling and over a raw
 * WebSocket: namespace CONNECT with odd auth, events, acks, binary attachments, engine packets.
 */
import { ENGINE_SURFACES } from '../../scripts/fuzz/surface-engineio.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces(ENGINE_SURFACES, 'packet');
