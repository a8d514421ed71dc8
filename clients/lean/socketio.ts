/**
 * Lean socket.io reader: the engine.io v4 / socket.io v5 text protocol spoken straight over one
 * `ws` WebSocket (/socket.io/?EIO=4&transport=websocket), skipping socket.io-client's Manager,
 * reconnection timers and the HTTP long-polling start. The server side is socket.io's own, as
 * a socket.io-client with `transports: ['websocket']` would meet it.
 *
 *   server -> `0{"sid",...}`     engine.io OPEN          client -> `40{"format":"json"}`  CONNECT with auth
 *   server -> `40{"sid","pid"}`  CONNECT ack (open)      server -> `44{...}`              CONNECT refused
 *   server -> `42["quote",{..},"<offset>"]`  an event    server -> `2` PING, client -> `3` PONG
 *   client -> `42<id>["ping",{"t"}]`, server -> `43<id>[{"type":"pong",...}]`  an ack round trip
 */
import WebSocket from 'ws';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS, PING_TIMEOUT_MS } from '../constants.ts';
import { fieldsOf, PLAIN, QUOTE_PATTERN } from './quote-json.ts';
import { ConnectError, deadline, type LeanOptions, type LeanReader, trusting } from './types.ts';

/** http(s)://host:port (the ready line's url) -> the engine.io WebSocket endpoint, ws(s)://host:port/socket.io/. */
function engineUrl(url: string): string {
  const base = new URL(url);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  base.pathname = '/socket.io/';
  base.search = '?EIO=4&transport=websocket';
  return base.toString();
}

/** A quote event as socket.io writes it, with or without its recovery offset: seq and ts read as quote-json.ts reads them. */
const QUOTE_EVENT = new RegExp(`^42\\["quote",${QUOTE_PATTERN}(?:,"${PLAIN}")?\\]$`);

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  const acks = new Map<number, (rttMs: number) => void>();
  let nextAck = 0;
  return new Promise((resolve, reject) => {
    let open = false;
    let closed = false;
    const socket = new WebSocket(engineUrl(options.url), {
      ...trusting(options.ca),
      perMessageDeflate: false,
      skipUTF8Validation: true, // as in ws.ts
      localAddress: options.localAddress,
    });
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () => {
      socket.terminate();
      reject(new ConnectError('ETIMEDOUT', 'no socket.io CONNECT ack in time'));
    });
    const reader: LeanReader = {
      connectMs: 0,
      ping() {
        const id = nextAck++;
        const t = now();
        return new Promise((resolvePing, rejectPing) => {
          const disarmPing = deadline(PING_TIMEOUT_MS, () => {
            acks.delete(id);
            rejectPing(new Error(`lab: no ack within ${PING_TIMEOUT_MS / 1000} s`));
          });
          acks.set(id, (rttMs) => {
            disarmPing();
            acks.delete(id);
            resolvePing(rttMs);
          });
          socket.send(`42${id}${JSON.stringify(['ping', { t }])}`);
        });
      },
      close() {
        closed = true;
        socket.terminate();
      },
    };

    socket.on('unexpected-response', (_req, res) => {
      disarm();
      res.resume();
      socket.terminate();
      reject(new ConnectError(`HTTP_${res.statusCode}`, `upgrade answered ${res.statusCode}`));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (open) return;
      disarm();
      reject(new ConnectError(error.code ?? 'UNKNOWN', error.message));
    });
    socket.on('message', (data: Buffer) => {
      const receivedAt = now();
      const text = data.toString('utf8');
      const match = QUOTE_EVENT.exec(text);
      if (match) {
        options.onQuote(Number(match[1]), Number(match[2]), receivedAt);
      } else if (text.startsWith('42')) {
        const [event, quote] = JSON.parse(text.slice(2)) as [string, unknown];
        const fields = event === 'quote' ? fieldsOf(quote) : null;
        if (fields) options.onQuote(fields.seq, fields.ts, receivedAt);
      } else if (text === '2') {
        socket.send('3');
      } else if (text.startsWith('43')) {
        const digits = /^43(\d+)/.exec(text)?.[1] ?? '';
        const [pong] = JSON.parse(text.slice(2 + digits.length)) as [{ t: number }];
        acks.get(Number(digits))?.(receivedAt - pong.t);
      } else if (text.startsWith('0')) {
        socket.send(`40${JSON.stringify({ format: 'json' })}`);
      } else if (text.startsWith('40')) {
        disarm();
        open = true;
        resolve({ ...reader, connectMs: performance.now() - started });
      } else if (text.startsWith('44')) {
        disarm();
        const { message } = JSON.parse(text.slice(2)) as { message?: string };
        socket.terminate();
        reject(new ConnectError(message?.split(':')[0] || 'CONNECT_ERROR', message ?? 'socket.io refused the connection'));
      }
    });
    socket.on('close', (code: number) => {
      if (!open) {
        disarm();
        return reject(new ConnectError(`WS_${code}`, `closed with ${code} before the CONNECT ack`));
      }
      if (closed) return;
      closed = true;
      options.onClose?.(`close ${code}`);
    });
  });
}
