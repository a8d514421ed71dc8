/**
 * A whole session decoded from the relay's transcript: every connection annotated, then the overhead
 * table and counts over all of them. (An HTTP/2 session is TLS to the relay: h2.ts decodes it from tshark.)
 */
import { overheadTable, transcriptStats } from '../overhead.ts';
import type { ConnectionWire, OverheadRow, TranscriptFile, TranscriptStats, WireMessage } from '../types.ts';
import type { ConnectionFacts } from './context.ts';
import { annotateConnection } from './connection.ts';

/** A whole session decoded: its connections, every message in time order, the overhead table and counts. */
export interface DecodedSession {
  connections: ConnectionWire[];
  messages: WireMessage[];
  overhead: OverheadRow[];
  stats: TranscriptStats;
  facts: ConnectionFacts[];
}

export function decodeTranscript(transcript: TranscriptFile): DecodedSession {
  const annotated = transcript.connections.map(annotateConnection);
  const connections = annotated.map((a) => a.connection);
  const messages = annotated.flatMap((a) => a.messages).sort((a, b) => a.t - b.t || a.conn - b.conn);
  return {
    connections,
    messages,
    overhead: overheadTable(messages, connections),
    stats: transcriptStats(connections, messages),
    facts: annotated.map((a) => a.facts),
  };
}
