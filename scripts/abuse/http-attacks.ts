/**
 * Attacks on the plain HTTP surfaces: the TCP floor's side /stats port, the SSE server's express
 * routes and stream, and /stats?gc=1 on every server. Requests are raw bytes (scripts/raw), so
 * request targets and headers go out exactly as written.
 */
import { TRANSPORT_NAMES } from '../../servers/transports.ts';
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { host, request, send } from '../lib/raw/http.ts';
import { spawnServer } from '../lib/spawn-server.ts';
import { RATE } from './harness.ts';
import { readStats, stopTimed } from './measure.ts';
import type { Target } from './types.ts';
import { answerOf, bodyOf } from './observe.ts';

async function getEach(port: number, targets: string[]): Promise<{ target: string; status: number | null; code: string | null }[]> {
  const answers = [];
  for (const target of targets) answers.push({ target, ...answerOf(await send(port, request('GET', target, [host(port)]), ANSWER_MS)) });
  return answers;
}

/**
 * Defect 4. The TCP floor's side HTTP port, with a path other than /stats and with request targets
 * `new URL()` cannot parse. It served /stats for every path, and parsed the target unguarded in the
 * request handler, so `GET //` threw and ended the process. The path it survives goes first.
 */
export async function oddTargetsOnStatsPort(target: Target) {
  const targets = ['/nope', '//', 'http://x:99999/stats'];
  const requests = await getEach(target.statsPort, targets);
  return { attack: `GET ${targets.join(', GET ')} on the side /stats port, one connection each`, answer: { requests }, held: 1 };
}

/**
 * Defect 10 (SSE side). Three HTTP edges of the SSE server: request targets `new URL()` cannot parse
 * (they reached /stats's parser through express and came back as "body is not valid JSON"), a POST
 * /sse/ping with an unknown Content-Encoding (body-parser's 415, relabelled LAB_BAD_MESSAGE), and a
 * stream request with an empty Last-Event-ID header next to ?lastEventId=5 (the empty header won over
 * the query, and the stream started fresh instead of after 5).
 */
export async function sseHttpEdges(target: Target) {
  const port = target.port;
  const badTargets = await getEach(port, ['http://x:99999/stats', '//']);
  const headers = [host(port), ['Content-Type', 'application/json'], ['Content-Encoding', 'foo'], ['Content-Length', '7']] as const;
  const ping = await send(port, request('POST', '/sse/ping', headers, '{"t":1}'), ANSWER_MS);
  // Resume after 5 and a fresh start differ only once the feed is well past 5.
  let latestSeq = (await target.stats())?.latestSeq ?? null;
  for (let tries = 0; latestSeq !== null && latestSeq < 10 && tries < 40; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    latestSeq = (await target.stats())?.latestSeq ?? null;
  }
  const resume = request('GET', '/sse?lastEventId=5', [host(port), ['Accept', 'text/event-stream'], ['Last-Event-ID', '']]);
  const stream = await send(port, resume, ANSWER_MS, { enough: (response) => /^id: \d+$/m.test(response.body.toString()) });
  const firstId = /^id: (\d+)$/m.exec(bodyOf(stream))?.[1];
  return {
    attack:
      'GET http://x:99999/stats and GET //; POST /sse/ping with Content-Encoding: foo; ' +
      'GET /sse?lastEventId=5 with an empty Last-Event-ID header',
    answer: {
      badTargets,
      unsupportedEncoding: answerOf(ping),
      emptyLastEventId: {
        status: answerOf(stream).status,
        latestSeqBefore: latestSeq,
        firstId: firstId === undefined ? null : Number(firstId),
        reset: /^event: reset$/m.test(bodyOf(stream)),
      },
    },
    held: 1,
  };
}

/** How long defect 8 asks for a GC over and over, and the most requests it sends. */
const HAMMER_MS = 2500;
const HAMMER_MAX = 2000;
/** Requests to each server started without --stats-gc. */
const PLAIN_REQUESTS = 20;

/**
 * Defect 8. /stats?gc=1, asked back to back for 2.5 s on this server (started with --stats-gc), and
 * 20 times on one server of each transport started without it. Every request ran a full,
 * stop-the-world GC, so anyone who could reach /stats could stall the process at will.
 */
export async function statsGcOnDemand(target: Target) {
  const started = performance.now();
  let requests = 0;
  let gcRuns = 0;
  let unanswered = 0;
  while (performance.now() - started < HAMMER_MS && requests < HAMMER_MAX) {
    const snapshot = await target.stats(true);
    requests++;
    if (!snapshot) unanswered++;
    else if (snapshot.gc) gcRuns++;
  }
  const windowMs = Math.round(performance.now() - started);
  const withoutFlag = await Promise.all(
    TRANSPORT_NAMES.map(async (transport) => {
      const plain = await spawnServer(transport, ['--rate', String(RATE)]);
      try {
        let runs = 0;
        for (let i = 0; i < PLAIN_REQUESTS; i++) if ((await readStats(plain.ready.stats, true))?.gc) runs++;
        return [transport, { requests: PLAIN_REQUESTS, gcRuns: runs }] as const;
      } finally {
        await stopTimed(plain);
      }
    }),
  );
  return {
    attack:
      `GET /stats?gc=1 back to back for ${HAMMER_MS} ms (--stats-gc), ` +
      `then ${PLAIN_REQUESTS} times on each transport's server without --stats-gc`,
    answer: { withFlag: { requests, gcRuns, unanswered, windowMs }, withoutFlag: Object.fromEntries(withoutFlag) },
    held: 1,
  };
}
