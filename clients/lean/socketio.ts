/**
 * Lean socket.io reader: the engine.io v4 / socket.io v5 text protocol spoken straight over one
 * WebSocket opened by hand (websocket.ts, /socket.io/?EIO=4&transport=websocket), skipping
 * socket.io-client's Manager, reconnection timers and the HTTP long-polling start. The server side
 * is socket.io's own, as a socket.io-client with `transports: ['websocket']` would meet it.
 *
 *   server -> `0{"sid",...}`     engine.io OPEN          client -> `40{"format":"json"}`  CONNECT with auth
 *   server -> `40{"sid","pid"}`  CONNECT ack (open)      server -> `44{...}`              CONNECT refused
 *   server -> `42["quote",{..},"<offset>"]`  an event    server -> `2` PING, client -> `3` PONG
 *   client -> `42<id>["ping",{"t"}]`, server -> `43<id>[{"type":"pong",...}]`  an ack round trip
 */
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS } from '../constants.ts';
import { fieldsOf, PLAIN, quoteAt } from './quote-json.ts';
import { ConnectError, deadline, type LeanOptions, type LeanReader, roundTrip } from './types.ts';
import { openWebSocket } from './websocket.ts';

/** http(s)://host:port (the ready line's url) -> the engine.io WebSocket endpoint, ws(s)://host:port/socket.io/. */
function engineUrl(url: string): string {
  const base = new URL(url);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  base.pathname = '/socket.io/';
  base.search = '?EIO=4&transport=websocket';
  return base.toString();
}

/** A quote event as socket.io writes it, `42["quote",<quote>` then its recovery offset or not: the quote read by quote-json.ts. */
const QUOTE_EVENT = '42["quote",';
const EVENT_END = new RegExp(`(?:,"${PLAIN}")?\\]`, 'y');

/** The quote of a quote event as socket.io writes it, or null for any other text. */
function quoteEvent(text: string): ReturnType<typeof quoteAt> {
  if (!text.startsWith(QUOTE_EVENT)) return null;
  const quote = quoteAt(text, QUOTE_EVENT.length);
  if (!quote) return null;
  EVENT_END.lastIndex = quote.end;
  return EVENT_END.test(text) && EVENT_END.lastIndex === text.length ? quote : null;
}

export function connect(options: LeanOptions): Promise<LeanReader> {
  const started = performance.now();
  const acks = new Map<number, (rttMs: number) => void>();
  let nextAck = 0;
  return new Promise((resolve, reject) => {
    let open = false;
    const refuse = (error: ConnectError) => {
      disarm();
      socket.get.close();
      reject(error);
    };
    const socket = openWebSocket(
      {
        ...options,
        url: engineUrl(options.url),
        onClose(reason) {
          if (open) return options.onClose?.(reason);
          const code = /^close (\d+)$/.exec(reason)?.[1];
          refuse(new ConnectError(code ? `WS_${code}` : 'ECONNRESET', `${reason} before the CONNECT ack`));
        },
      },
      (text, receivedAt) => {
        const quote = quoteEvent(text);
        if (quote) {
          options.onQuote(quote.seq, quote.ts, receivedAt);
        } else if (text.startsWith('42')) {
          const [event, message] = JSON.parse(text.slice(2)) as [string, unknown];
          const fields = event === 'quote' ? fieldsOf(message) : null;
          if (fields) options.onQuote(fields.seq, fields.ts, receivedAt);
        } else if (text === '2') {
          socket.send('3');
        } else if (text.startsWith('43')) {
          const digits = /^43(\d+)/.exec(text)?.[1] ?? '';
          const [pong] = JSON.parse(text.slice(2 + digits.length)) as [{ t: number }];
          acks.get(Number(digits))?.(receivedAt - pong.t);
        } else if (text.startsWith('0')) {
          socket.send(`40${JSON.stringify({ format: 'json' })}`);
        } else if (text.startsWith('40') && !open) {
          disarm();
          open = true;
          resolve({ ...reader, connectMs: performance.now() - started });
        } else if (text.startsWith('44')) {
          const { message } = JSON.parse(text.slice(2)) as { message?: string };
          refuse(new ConnectError(message?.split(':')[0] || 'CONNECT_ERROR', message ?? 'socket.io refused the connection'));
        }
      },
    );
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () =>
      refuse(new ConnectError('ETIMEDOUT', 'no socket.io CONNECT ack in time')),
    );
    socket.get.opened.catch((error: ConnectError) => {
      disarm();
      reject(error);
    });
    const reader: LeanReader = {
      connectMs: 0,
      ping() {
        const id = nextAck++;
        const t = now();
        return roundTrip(acks, id, 'ack', () => socket.send(`42${id}${JSON.stringify(['ping', { t }])}`));
      },
      close: () => socket.get.close(),
    };
  });
}
