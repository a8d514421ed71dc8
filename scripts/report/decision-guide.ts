/**
 * "Which should I use?": a table of the situations people choose a transport for, the choice, and the reason as this
 * run measured it, each row linking to the claims whose evidence it rests on. Every number in a reason is read from
 * claims.json's figures or a scenario record; a row whose figures are not in these results says so instead of a
 * reason. Browser figures are Chromium's where it ran, else Firefox's (the claim's own section gives both engines);
 * where a row rests on something this run did not measure, it says so.
 */
import type { ScenarioRecord } from '../../scenarios/types.ts';
import type { ClaimId } from '../lib/claims.ts';
import type { Block, Section } from './blocks.ts';
import type { ReportInputs } from './inputs.ts';

/** A figure the row needs and these results lack: the row says "not measured" and names it. */
class Missing extends Error {}

type Figure = number | string | boolean;

/** What a reason reads: a claim's figure (Chromium's, else Firefox's, for a browser claim) and a scenario record's count. */
interface Reads {
  fig(claim: ClaimId, key: string): Figure;
  count(recordId: string, key: string): number;
}

interface Row {
  situation: string;
  choice: string;
  /** The reason, worded from the figures it reads. */
  why(r: Reads): string;
  evidence: ClaimId[];
}

const ROWS: Row[] = [
  {
    situation: 'A one-way feed to browsers (quotes, notifications, progress)',
    choice: 'SSE (EventSource)',
    why: (r) => {
      const [ws, sse] = [
        r.fig('ws-heavier-than-sse', 'wsHeapPerConnectionBytes'),
        r.fig('ws-heavier-than-sse', 'sseHeapPerConnectionBytes'),
      ];
      const clients = r.fig('ws-heavier-than-sse', 'clients');
      const heap = `at ${clients} clients the ws server held ${kb(ws)} of heap per connection against SSE's ${kb(sse)}`;
      return (
        `The browser reconnected by itself after ${r.fig('sse-auto-reconnect', 'reconnectedDrops')} of ` +
        `${r.fig('sse-auto-reconnect', 'drops')} drops and resumed by Last-Event-ID with nothing lost after ` +
        `${r.fig('sse-event-ids-resume', 'cleanDrops')} of ${r.fig('sse-event-ids-resume', 'drops')}. ` +
        (Number(ws) < Number(sse) ? `Pick it for that, not for cost: ${heap}.` : `It was the lighter one too: ${heap}.`)
      );
    },
    evidence: ['sse-auto-reconnect', 'sse-event-ids-resume', 'ws-heavier-than-sse'],
  },
  {
    situation: 'Chat or games: two-way and frequent',
    choice: 'WebSocket (or socket.io)',
    why: (r) =>
      `A round trip cost ${r.fig('sse-one-way', 'wsBytesPerRoundTrip')} bytes over ws against ` +
      `${r.fig('sse-one-way', 'sseFetchBytesPerRoundTrip')} for an SSE stream plus a fetch POST (median ` +
      `${r.fig('sse-one-way', 'wsP50Ms')} ms against ${r.fig('sse-one-way', 'sseFetchP50Ms')} ms on loopback): the ` +
      'stream carries nothing upstream, so every message up is a new HTTP request.',
    evidence: ['sse-one-way'],
  },
  {
    situation: 'Binary data (images, audio, protobuf)',
    choice: 'WebSocket',
    why: (r) =>
      `64 KiB of random bytes took ${r.fig('sse-base64-costs-bandwidth', 'ws 65536')}× the payload on the wire as ws ` +
      `frames and ${r.fig('sse-base64-costs-bandwidth', 'sse 65536')}× as SSE base64; raw bytes written as SSE text ` +
      `arrived with ${r.fig('sse-text-only', 'replacementChars')} replacement characters in them.`,
    evidence: ['sse-base64-costs-bandwidth', 'sse-text-only'],
  },
  {
    situation: 'Many tabs per user on one site',
    choice: 'WebSocket, or SSE over HTTP/2',
    why: (r) =>
      `Over HTTP/1.1 only ${r.fig('sse-six-connections-per-origin', 'http1Opened')} of ` +
      `${r.fig('sse-six-connections-per-origin', 'asked')} EventSources to one origin opened (the cap is per browser ` +
      `profile, shared by every tab); over HTTP/2 ${r.fig('sse-six-connections-per-origin', 'http2Opened')} did, as streams of ` +
      `one connection, and ${r.fig('sse-six-connections-per-origin', 'websocketsOpened')} WebSockets did.`,
    evidence: ['sse-six-connections-per-origin'],
  },
  {
    situation: 'Behind a proxy you do not control (corporate, CDN)',
    choice: 'socket.io (it falls back to long-polling), or SSE with `:` comments',
    why: (r) => {
      const held = Number(r.fig('proxies-buffer-sse', 'stockNoHeaderNotArrived'));
      return (
        `Through nginx's stock config a raw WebSocket got no 101 (close ${r.fig('sse-needs-no-special-server', 'wsStockCloseCode')}) ` +
        `and socket.io fell back to ${r.fig('sse-needs-no-special-server', 'socketioStockTransport')}; SSE passed` +
        (held > 0
          ? `, but buffered: ${held} events had not arrived when the case ended, until the server sent \`X-Accel-Buffering: no\` ` +
            '(a header only nginx reads: it helps with an nginx you run, not with a proxy you do not)'
          : ' in time') +
        '; nginx with a short read timeout cut a silent stream: ' +
        `${r.fig('sse-heartbeat-comments-needed', 'nginxSilentCut') ? 'yes' : 'no'}, one with comments more often than the ` +
        `timeout: ${r.fig('sse-heartbeat-comments-needed', 'nginxShorterCommentsCut') ? 'yes' : 'no'}.`
      );
    },
    evidence: ['sse-needs-no-special-server', 'proxies-buffer-sse', 'sse-heartbeat-comments-needed'],
  },
  {
    situation: 'HTTP-only or serverless hosting',
    choice: 'SSE',
    why: (r) =>
      'An event stream is one ordinary, long HTTP response; a WebSocket needs every hop to pass `Upgrade` (stock nginx ' +
      `here did not: the WebSocket ${r.fig('sse-needs-no-special-server', 'wsStockOpened') ? 'opened' : 'never opened'}, ` +
      `close ${r.fig('sse-needs-no-special-server', 'wsStockCloseCode')}). Not measured: ` +
      "a platform's limits on response duration and buffering, which decide whether a long response works there.",
    evidence: ['sse-needs-no-special-server'],
  },
  {
    situation: 'Nothing may be lost across drops',
    choice: 'SSE with ids and a server-side log, or socket.io with connection state recovery',
    why: (r) =>
      `EventSource sent Last-Event-ID on ${r.fig('sse-event-ids-resume', 'headerMatches')} of ` +
      `${r.fig('sse-event-ids-resume', 'drops')} drops; a raw WebSocket stayed down after ` +
      `${r.fig('ws-needs-library-to-reconnect', 'rawNoReconnect')} drops of its own, a hand-written reconnect and resume ` +
      `took ${r.fig('ws-needs-library-to-reconnect', 'handWrittenLines')} lines, and socket.io recovered: ` +
      `${r.fig('ws-needs-library-to-reconnect', 'socketioRecovered') ? 'yes' : 'no'}. The log is the server's job either way: ` +
      `after a server restart the browser's Last-Event-ID resumed: ${r.fig('sse-event-ids-resume', 'restartResumed') ? 'yes' : 'no'}.`,
    evidence: ['sse-event-ids-resume', 'ws-needs-library-to-reconnect', 'ws-needs-own-resume-protocol'],
  },
  {
    situation: 'Mobile pages that go to the background',
    choice: 'SSE, or socket.io; a raw WebSocket needs its own reconnect',
    why: (r) => {
      const frozen = (t: string) => `lifecycle/${t}/frozen@chromium`;
      const fate = (t: string) =>
        r.count(frozen(t), 'reconnectAttempts') > 0
          ? 'reconnected'
          : r.count(frozen(t), 'closesAfterBack') > 0
            ? 'was closed and stayed so'
            : 'kept its connection';
      return (
        `A page frozen in the background for ${r.count(frozen('sse'), 'awayS')} s (Chromium): SSE ${fate('sse')} and lost ` +
        `${r.count(frozen('sse'), 'lostWhileAway')} of the quotes sent while it was away, socket.io ${fate('socketio')} and ` +
        `lost ${r.count(frozen('socketio'), 'lostWhileAway')}, a raw WebSocket ${fate('ws')} and lost ` +
        `${r.count(frozen('ws'), 'lostWhileAway')}.`
      );
    },
    evidence: ['sse-auto-reconnect', 'ws-needs-library-to-reconnect'],
  },
];

const kb = (bytes: Figure) => `${(Number(bytes) / 1024).toFixed(1)} KiB`;

function reads(inputs: ReportInputs): Reads {
  const records = new Map((inputs.scenarios?.records ?? []).filter((r) => r.status === 'observed').map((r) => [r.id, r]));
  return {
    fig(claim, key) {
      const figures = inputs.claims.claims[claim]?.figures ?? {};
      const value = figures[`chromium.${key}`] ?? figures[`firefox.${key}`] ?? figures[key];
      if (value === undefined || value === null) throw new Missing(`${claim}: ${key}`);
      return value;
    },
    count(id, key) {
      const record: ScenarioRecord | undefined = records.get(id);
      // The time away is a fact in ms; every other value read here is a count.
      const value = key === 'awayS' ? Number(record?.observed.facts?.awayMs) / 1000 : record?.observed.counts?.[key];
      // A figure a record could not measure is stored as null (JSON has no NaN): missing, not 0.
      if (value === undefined || value === null || !Number.isFinite(value)) throw new Missing(`${id}: ${key}`);
      return Math.round(value);
    },
  };
}

/** A claim by its id, which is short and says what it is about; its section heading quotes the claim in full. */
const claimLink = (id: ClaimId) => `[${id}](#claim-${id})`;

export function decisionGuide(inputs: ReportInputs): Section {
  const r = reads(inputs);
  const rows = ROWS.map((row) => {
    let why: string;
    try {
      why = row.why(r);
    } catch (error) {
      if (!(error instanceof Missing)) throw error;
      why = `Not measured in these results (${error.message}).`;
    }
    return [row.situation, `**${row.choice}**`, why, row.evidence.map(claimLink).join('; ')];
  });
  const blocks: Block[] = [
    {
      kind: 'p',
      text:
        'A situation, the choice this run supports, and why, in figures measured here (Chromium’s where it ran, else ' +
        'Firefox’s; each claim’s section has every engine).',
    },
    { kind: 'table', head: ['situation', 'choose', 'why (measured in this run)', 'evidence'], rows },
  ];
  return { id: 'decision-guide', title: 'Which should I use?', blocks };
}
