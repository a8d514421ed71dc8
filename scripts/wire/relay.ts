/**
 * A recording TCP relay on loopback: browser -> relay -> server. Every connection the browser opens
 * to the relay gets its own connection to the server; each read from either side is timestamped,
 * kept, and forwarded unchanged. The transcript is the TCP payload each side sent, in order, as a
 * reader would see it in Wireshark's "Follow TCP Stream" (TCP/IP headers are only in the pcapng).
 *
 * Ends are passed through as they happened: a FIN from one side becomes a FIN to the other
 * (half-open allowed, so nothing is cut early), a reset becomes a reset, and the transcript says
 * which side ended the connection first and how.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { now } from '../../servers/contract.ts';
import type { ConnectionTranscript, Direction } from './types.ts';

interface Recording {
  conn: number;
  clientPort: number;
  openedAt: number;
  closedAt: number | null;
  closedBy: string;
  chunks: { dir: Direction; t: number; bytes: Buffer }[];
}

export interface Relay {
  /** The relay's port on 127.0.0.1. */
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections not yet closed on both sides. */
  readonly open: number;
  /** The transcripts so far (a snapshot; bytes as base64). */
  transcripts(): ConnectionTranscript[];
  /** The raw bytes of one direction of one connection so far (for live checks during a session). */
  bytes(conn: number, dir: Direction): Buffer;
  /** Stops accepting and cuts whatever is still open; resolves when closed. */
  close(): Promise<void>;
}

/** Starts a relay to `targetPort` on 127.0.0.1; times are ms since `sessionStart` (epoch ms, from now()). */
export async function startRelay(targetPort: number, sessionStart: number): Promise<Relay> {
  const recordings: Recording[] = [];
  const sockets = new Set<Socket>();
  const since = () => now() - sessionStart;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const rec: Recording = {
      conn: recordings.length + 1,
      clientPort: client.remotePort ?? 0,
      openedAt: since(),
      closedAt: null,
      closedBy: 'open',
      chunks: [],
    };
    recordings.push(rec);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    const ended = (how: string) => {
      if (rec.closedBy === 'open') rec.closedBy = how;
    };
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) rec.closedAt = since();
    };

    const forward = (from: Socket, to: Socket, dir: Direction) => {
      const side = dir === 'c2s' ? 'client' : 'server';
      from.on('data', (bytes: Buffer) => {
        rec.chunks.push({ dir, t: since(), bytes });
        if (!to.write(bytes)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => {
        ended(`${side} FIN`);
        to.end();
      });
      from.on('error', () => {
        ended(`${side} reset`);
        if (!to.destroyed) to.resetAndDestroy();
      });
      from.once('close', onClose);
    };

    // Until the server side is up, an error on either side ends both.
    const early = (error: Error) => {
      ended(`relay could not connect the two sides: ${error.message}`);
      rec.closedAt = since();
      client.destroy();
      upstream.destroy();
    };
    client.on('error', early);
    upstream.on('error', early);
    upstream.once('connect', () => {
      client.off('error', early);
      upstream.off('error', early);
      forward(client, upstream, 'c2s');
      forward(upstream, client, 's2c');
      client.resume();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return recordings.length;
    },
    get open() {
      return recordings.filter((rec) => rec.closedAt === null).length;
    },
    transcripts: () =>
      recordings.map((rec) => ({
        conn: rec.conn,
        clientPort: rec.clientPort,
        openedAt: rec.openedAt,
        closedAt: rec.closedAt,
        closedBy: rec.closedBy,
        chunks: rec.chunks.map((c) => ({ dir: c.dir, t: c.t, data: c.bytes.toString('base64') })),
      })),
    bytes: (conn, dir) => Buffer.concat(recordings[conn - 1]?.chunks.filter((c) => c.dir === dir).map((c) => c.bytes) ?? []),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const rec of recordings) if (rec.closedBy === 'open') rec.closedBy = 'relay closed at end of session';
        for (const socket of sockets) socket.destroy();
      }),
  };
}
