/**
 * WebSocket input against live servers: text and binary messages on ws, and raw frames built by
 * hand after a valid handshake on ws and on socket.io's WebSocket.
 */
import { WS_FRAME_SURFACES } from '../../scripts/fuzz/surface-ws-frames.ts';
import { WS_MESSAGE_SURFACES } from '../../scripts/fuzz/surface-ws-messages.ts';
import { fuzzSurfaces } from './suite.ts';

fuzzSurfaces([...WS_MESSAGE_SURFACES, ...WS_FRAME_SURFACES], 'input');
