/**
 * Reconnect and resume: whether EventSource reconnects by itself (sse-auto-reconnect), whether a
 * WebSocket needs a library or code of its own to come back (ws-needs-library-to-reconnect), and
 * whether event ids carry an SSE stream over a drop (sse-event-ids-resume), from the reconnect
 * scenario's drops, restarts and answers that mean "stop". SSE over HTTP/2 (the lab's sse-h2
 * server, TLS) repeats the drops and the restart: its EventSource counts toward both SSE verdicts,
 * and its figures are stated beside HTTP/1.1's.
 */
import { clusterResume, clusterShortfall, clusterWords } from './cluster.ts';
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, esState, ms, plural, times, wsState, yes } from './words.ts';

/** The browser drops both SSE rules read: the socket destroyed under several retry values, or the response ended. */
const DROP_CASES = ['retry-100-destroy', 'retry-500-destroy', 'retry-1000-destroy', 'retry-none-destroy', 'retry-500-end'];
const SSE_DROPS = DROP_CASES.map((c) => `reconnect/sse/${c}`);
const SSE_RESTART = 'reconnect/sse/restart';
/** The same drops and restart over HTTP/2. */
const H2_DROPS = DROP_CASES.map((c) => `reconnect/sse-h2/${c}`);
const H2_RESTART = 'reconnect/sse-h2/restart';
/** Away longer than a small replay buffer holds: the resume meets a gap, on each HTTP version. */
const GAPS = ['reconnect/sse/gap-reset', 'reconnect/sse-h2/gap-reset'];

/** Over which HTTP versions the EventSource did not come back after a restart, when only one of them (else nothing). */
const notBackAfter = (s: { restarted?: boolean; h2: { restarted?: boolean } }) =>
  s.restarted === s.h2.restarted ? '' : s.restarted ? ' over HTTP/2' : ' over HTTP/1.1';

/** Whether each drop came back (a second open), the retry it was given and how long it took. */
const reconnects = (e: Evidence, ids: string[]) =>
  ids.map((id) => ({ opens: e.count(id, 'opens'), retryMs: e.setup(id, 'retryMs'), delayMs: e.fact<number>(id, 'reconnectDelayMs') }));

export const RECONNECT_RULES = {
  'sse-auto-reconnect': rule({
    read: (e) => ({
      browser: e.browser,
      drops: reconnects(e, SSE_DROPS),
      restarted: e.fact<boolean>(SSE_RESTART, 'reconnected'),
      h2: { drops: reconnects(e, H2_DROPS), restarted: e.fact<boolean>(H2_RESTART, 'reconnected') },
      // Answers that mean "stop" (204, an error status, the wrong Content-Type), given to the reconnect.
      ends: ['204', '500', 'wrong-type'].map((answer) => {
        const id = `reconnect/sse/ends-${answer}`;
        return { answer, requests: e.count(id, 'requests'), readyState: e.readyState(id), afterAnswer: e.count(id, 'requestsAfterAnswer') };
      }),
      nodeReconnects: e.count('reconnect/sse/node-destroy', 'reconnects'),
      control: {
        afterAnswer: e.count('reconnect/sse/ends-control-200', 'requestsAfterAnswer'),
        watchMs: e.setup('reconnect/sse/ends-control-200', 'watchMs'),
      },
    }),
    decide(s) {
      const reconnected = s.drops.filter((d) => d.opens >= 2).length;
      const reconnectedH2 = s.h2.drops.filter((d) => d.opens >= 2).length;
      // Gave up for good: the answer was reached (a second request), then CLOSED and no request after it.
      const stopped = s.ends.filter((end) => end.requests >= 2 && end.readyState === 2 && end.afterAnswer === 0).length;
      const all = reconnected === s.drops.length && reconnectedH2 === s.h2.drops.length && s.restarted === true && s.h2.restarted === true;
      return {
        verdict: all ? 'confirmed' : reconnected + reconnectedH2 > 0 ? 'depends' : 'refuted',
        figures: {
          reconnectedDrops: reconnected,
          drops: s.drops.length,
          restartReconnected: s.restarted ?? null,
          http2ReconnectedDrops: reconnectedH2,
          http2Drops: s.h2.drops.length,
          http2RestartReconnected: s.h2.restarted ?? null,
          stoppedForGood: stopped,
          controlRequests: s.control.afterAnswer,
        },
      };
    },
    word(s, d) {
      const { reconnectedDrops, http2ReconnectedDrops, stoppedForGood } = d.figures;
      const delaysOf = (drops: typeof s.drops) =>
        drops.map((drop) => `retry ${drop.retryMs ?? 'not sent'} -> ${ms(drop.delayMs)}`).join(', ');
      const delays = delaysOf(s.drops);
      const ends = s.ends.map(
        (end) =>
          `${end.answer}: ${end.requests} requests, readyState ${esState(end.readyState)}, ${end.afterAnswer} requests after the answer`,
      );
      return (
        `Native EventSource in ${s.browser} reconnected by itself in ${reconnectedDrops} of ${s.drops.length} drops ` +
        `(socket destroyed or response ended), with these delays after the drop: ${delays}; ` +
        `after a SIGKILL and restart of the server process it reconnected: ${yes(s.restarted)}. ` +
        `Over HTTP/2 (the lab's sse-h2 server, TLS) it reconnected by itself in ${http2ReconnectedDrops} of ${s.h2.drops.length} ` +
        `of the same drops (${delaysOf(s.h2.drops)}) and after a restart: ${yes(s.h2.restarted)}. ` +
        `When the reconnect was answered with something other than a stream: ${ends.join('; ')} ` +
        `(${stoppedForGood} of ${s.ends.length} gave up for good), ` +
        `while a stream that merely ends led to ${s.control.afterAnswer} requests in the same ${s.control.watchMs} ms. ` +
        `The Node eventsource client reconnected ${times(s.nodeReconnects)} after its socket was destroyed. ` +
        'No library was involved in the browser. ' +
        closing(d.verdict, {
          confirmed:
            'EventSource reconnected by itself after every drop seen here, over HTTP/1.1 and HTTP/2: confirmed' +
            `${stoppedForGood === s.ends.length ? ', and it stopped for good on every answer that means "stop"' : ''}.`,
          depends:
            reconnectedDrops === s.drops.length && http2ReconnectedDrops === s.h2.drops.length
              ? `It reconnected after every drop, but not after the server process was killed and restarted${notBackAfter(s)}: depends.`
              : 'It reconnected after some drops but not all: depends.',
          refuted: 'It reconnected after none of the drops: refuted.',
        })
      );
    },
  }),

  'ws-needs-library-to-reconnect': rule({
    read(e) {
      const hand = 'reconnect/ws/hand-written-resume';
      const io = 'reconnect/socketio/destroy';
      const raw = [
        { id: 'reconnect/ws/destroy', how: 'after the socket was destroyed' },
        { id: 'reconnect/ws/end', how: 'after the server closed it' },
      ].map(({ id, how }) => ({
        how,
        afterDrop: e.count(id, 'connectionsAfterDrop'),
        readyState: e.readyState(id),
        closeCode: e.fact(id, 'closeCode'),
        watchedMs: e.fact(id, 'watchedMs'),
      }));
      const handDelay = e.fact<number | null>(hand, 'reconnectDelayMs');
      const ioOpens = e.count(io, 'opens');
      return {
        raw,
        hand: { delayMs: handDelay, lines: e.fact<number>(hand, 'handWrittenReconnectLines') },
        io: {
          opens: ioOpens,
          recovered: e.fact<boolean>(io, 'recovered'),
          serverDisconnectConnections: e.count('reconnect/socketio/server-disconnect', 'connectionsAfterDrop'),
          restartRecovered: e.fact<boolean>('reconnect/socketio/restart', 'recoveredAfterRestart'),
          // Cited only when it did reconnect.
          delayMs: ioOpens >= 2 ? e.fact<number>(io, 'reconnectDelayMs') : undefined,
          lost: e.count(io, 'lost'),
        },
        handLost: e.count(hand, 'lost'),
        handDuplicated: e.count(hand, 'duplicated'),
      };
    },
    decide(s) {
      const stayedDown = s.raw.filter((r) => r.afterDrop === 0 && r.readyState === 3).length;
      return {
        verdict: stayedDown === s.raw.length && s.io.opens >= 2 ? 'confirmed' : 'refuted',
        figures: {
          rawNoReconnect: stayedDown,
          handWrittenLines: s.hand.lines ?? null,
          handWrittenLost: s.handLost,
          socketioOpens: s.io.opens,
          socketioRecovered: s.io.recovered ?? null,
        },
      };
    },
    word(s, d) {
      const raw = s.raw.map(
        (r) =>
          `${r.how} (close code ${r.closeCode}) it ended in readyState ${wsState(r.readyState)} ` +
          `and the server saw ${plural(r.afterDrop, 'new connection')} within ${r.watchedMs} ms`,
      );
      const handDelay = s.hand.delayMs;
      return (
        `A raw browser WebSocket: ${raw.join('; ')} (${d.figures.rawNoReconnect} of ${s.raw.length} stayed down). ` +
        `The lab's hand-written loop (${s.hand.lines} lines: reconnect after a delay, resume with ?since=) ` +
        `${handDelay === null || handDelay === undefined ? 'did not get it back' : `got it back in ${ms(handDelay)}`} ` +
        `with ${s.handLost} lost and ${s.handDuplicated} duplicated. ` +
        `socket.io's client opened ${times(s.io.opens)} around a destroyed socket` +
        `${s.io.opens >= 2 ? `, reconnecting by itself in ${ms(s.io.delayMs)}` : ''}; ` +
        `its connection state recovery ${s.io.recovered ? 'recovered the session' : 'did not recover the session'} (lost ${s.io.lost}). ` +
        `After the server disconnected it on purpose it made ${plural(s.io.serverDisconnectConnections, 'new connection')}, ` +
        `and after a server restart its session was recovered: ${yes(s.io.restartRecovered)}. ` +
        closing(d.verdict, {
          confirmed: "A WebSocket comes back only with code for it, a library's or your own: confirmed.",
          refuted: "Either the raw WebSocket came back by itself or socket.io's client did not: refuted.",
          depends: '',
        })
      );
    },
  }),

  'sse-event-ids-resume': rule({
    read(e) {
      const drop = (id: string) => {
        const sent = e.fact(id, 'lastEventIdSent');
        // The id seen before the drop matters only when one was sent back.
        const beforeDrop = sent === null || sent === undefined ? undefined : e.fact(id, 'lastEventIdBeforeDrop');
        return { sent, beforeDrop, lost: e.count(id, 'lost'), duplicated: e.count(id, 'duplicated') };
      };
      const reconnected = e.fact<boolean>(SSE_RESTART, 'reconnected');
      return {
        browser: e.browser,
        drops: SSE_DROPS.map(drop),
        h2Drops: H2_DROPS.map(drop),
        restart: {
          reconnected,
          resumed: e.counter(SSE_RESTART, 'resumedAfterRestart') > 0,
          repeated: e.count(SSE_RESTART, 'repeatedSeqs'),
          lastEventIdSent: e.fact(SSE_RESTART, 'lastEventIdSent'),
          // The seqs around the restart are cited only when the browser came back.
          firstSeqAfter: reconnected ? e.fact(SSE_RESTART, 'firstSeqAfterRestart') : undefined,
          lastSeqBeforeKill: reconnected ? e.fact(SSE_RESTART, 'lastSeqBeforeKill') : undefined,
        },
        h2RestartResumed: e.counter(H2_RESTART, 'resumedAfterRestart') > 0,
        h2RestartReconnected: e.fact<boolean>(H2_RESTART, 'reconnected'),
        gaps: GAPS.map((id) => ({
          replay: e.setup<number>(id, 'replay'),
          reset: e.fact<{ missed?: number }>(id, 'reset'),
          lost: e.count(id, 'lost'),
          duplicated: e.count(id, 'duplicated'),
        })),
        cluster: clusterResume(e, 'sse'),
      };
    },
    decide({ drops, h2Drops, restart, h2RestartResumed, cluster }) {
      const matches = (list: typeof drops) => list.filter((d) => d.sent !== null && d.sent !== undefined && d.sent === d.beforeDrop).length;
      const cleanOf = (list: typeof drops) => list.filter((d) => d.lost === 0 && d.duplicated === 0).length;
      const [headerMatches, clean] = [matches(drops), cleanOf(drops)];
      const [http2HeaderMatches, http2Clean] = [matches(h2Drops), cleanOf(h2Drops)];
      const all =
        headerMatches + http2HeaderMatches === drops.length + h2Drops.length && clean + http2Clean === drops.length + h2Drops.length;
      const shortfall = clusterShortfall(cluster);
      const shared = shortfall === null;
      return {
        verdict: all && restart.resumed && h2RestartResumed && shared ? 'confirmed' : all ? 'depends' : 'refuted',
        shortfall,
        figures: {
          clusterClean: shared,
          headerMatches,
          drops: drops.length,
          cleanDrops: clean,
          http2HeaderMatches,
          http2Drops: h2Drops.length,
          http2CleanDrops: http2Clean,
          restartResumed: restart.resumed,
          http2RestartResumed: h2RestartResumed,
          restartRepeatedSeqs: restart.repeated,
        },
      };
    },
    word({ browser, drops, h2Drops, restart, h2RestartResumed, h2RestartReconnected, gaps, cluster }, d) {
      const lost = drops.reduce((sum, drop) => sum + drop.lost, 0);
      const duplicated = drops.reduce((sum, drop) => sum + drop.duplicated, 0);
      const h2Lost = h2Drops.reduce((sum, drop) => sum + drop.lost + drop.duplicated, 0);
      const gapWords = gaps.map(
        (gap) => `the reset named ${gap.reset?.missed ?? 'no'} missed quotes and the page lost ${gap.lost} (duplicated ${gap.duplicated})`,
      );
      return (
        `On ${d.figures.headerMatches} of ${drops.length} reconnects ${browser} sent Last-Event-ID equal to the last id it had seen, ` +
        `and with the lab server's replay buffer the page lost ${lost} and duplicated ${duplicated} quotes ` +
        `across the ${drops.length} drops (${d.figures.cleanDrops} clean). ` +
        (restart.reconnected
          ? `After the server process was killed and restarted, the browser sent Last-Event-ID ${restart.lastEventIdSent}; ` +
            `the new process resumed from it: ${yes(restart.resumed)}. ` +
            `The first quote after the restart had seq ${restart.firstSeqAfter} ` +
            `(last seen before the kill: ${restart.lastSeqBeforeKill}) ` +
            `and ${plural(restart.repeated, 'quote')} arrived with seqs the page had already seen. `
          : `After the server process was killed and restarted, ${browser} did not reconnect (Last-Event-ID on its attempt while ` +
            `the server was down: ${restart.lastEventIdSent ?? 'none seen'}), so the new process had nothing to resume. `) +
        `Over HTTP/2 (sse-h2, the browser's own account of the header it sent) Last-Event-ID matched on ` +
        `${d.figures.http2HeaderMatches} of ${h2Drops.length} reconnects with ${h2Lost} quotes lost or duplicated ` +
        `(${d.figures.http2CleanDrops} clean), and ` +
        `${h2RestartReconnected ? `its restarted process resumed: ${yes(h2RestartResumed)}` : 'after a restart it did not reconnect'}. ` +
        `Away for longer than a replay buffer of ${gaps[0]!.replay} quotes holds, the resume met a gap: over HTTP/1.1 ${gapWords[0]}; ` +
        `over HTTP/2 ${gapWords[1]}. ` +
        clusterWords(cluster, 'SSE') +
        closing(d.verdict, {
          confirmed: 'The ids carried the stream over every drop, the restart included: confirmed.',
          depends: !d.figures.clusterClean
            ? `The browser does its half on every drop, but the cluster fell short in ${d.shortfall}: depends.`
            : !restart.reconnected || !h2RestartReconnected
              ? 'The browser does its half on every drop, but it did not come back after a server restart (see sse-auto-reconnect); ' +
                'nothing is lost only while some server keeps the events the ids point to, which a shared log (Redis here) ' +
                'across nodes and restarts does: depends.'
              : restart.resumed && h2RestartResumed
                ? 'The browser does its half on every drop; nothing is lost only while some server keeps the events the ids ' +
                  'point to: depends.'
                : 'The browser does its half on every drop; nothing is lost only while some server keeps the events the ids point to: ' +
                  'a single process that restarts does not, a shared log (Redis here) across nodes and restarts does: depends.',
          refuted: 'The ids did not carry the stream over every drop: refuted.',
        })
      );
    },
  }),
} satisfies RuleSet;
