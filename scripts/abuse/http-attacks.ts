/**
 * Attacks on the plain HTTP surfaces: the TCP floor's side /stats port, the SSE servers' routes and
 * stream (HTTP/1.1 and HTTP/2), and /stats?gc=1 on every server. HTTP/1.1 requests are raw bytes
 * (scripts/lib/raw), so request targets and headers go out exactly as written; HTTP/2 ones go through
 * node's client (scripts/lib/raw/h2.ts), which sends whatever HTTP/2 can carry.
 */
import { speaksHttp2, TRANSPORT_NAMES } from '../../servers/transports.ts';
import { ANSWER_MS } from '../lib/raw/connection.ts';
import { requestIn } from '../lib/raw/any-http.ts';
import type { H2Answer } from '../lib/raw/h2.ts';
import { type Header, host, type HttpResponse, request, send } from '../lib/raw/http.ts';
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
export function sseHttpEdges(target: Target) {
  return sseEdges(target, ['http://x:99999/stats', '//']);
}

/**
 * The same three edges over HTTP/2, against sse-h2 (raw HTTP/1.1 bytes cannot reach a server that speaks only HTTP/2
 * over TLS). A `:path` cannot be absolute-form, so the targets `new URL()` cannot parse are `//x:99999/stats` (an
 * authority with a bad port) and `//`.
 */
export function sseH2HttpEdges(target: Target) {
  return sseEdges(target, ['//x:99999/stats', '//']);
}

/** Defect 10's SSE edges, sent in the server's own HTTP version (requestIn). */
async function sseEdges(target: Target, unparsable: string[]) {
  const ask = (method: string, path: string, headers: Header[], body?: string, enough?: (r: HttpResponse) => boolean) =>
    requestIn(target.ready, method, path, headers, body, { enough });
  const badTargets = [];
  for (const path of unparsable) badTargets.push({ target: path, ...answerIn(await ask('GET', path, [])) });
  const encoded: Header[] = [
    ['Content-Type', 'application/json'],
    ['Content-Encoding', 'foo'],
    ['Content-Length', '7'],
  ];
  const ping = await ask('POST', '/sse/ping', encoded, '{"t":1}');
  // Resume after 5 and a fresh start differ only once the feed is well past 5.
  let latestSeq = (await target.stats())?.latestSeq ?? null;
  for (let tries = 0; latestSeq !== null && latestSeq < 10 && tries < 40; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    latestSeq = (await target.stats())?.latestSeq ?? null;
  }
  const resume: Header[] = [
    ['Accept', 'text/event-stream'],
    ['Last-Event-ID', ''],
  ];
  const stream = await ask('GET', '/sse?lastEventId=5', resume, undefined, (r) => /^id: \d+$/m.test(r.body.toString()));
  const body = stream.kind === 'response' ? bodyOf(stream) : '';
  const firstId = /^id: (\d+)$/m.exec(body)?.[1];
  const http = speaksHttp2(target.ready.transport) ? 'HTTP/2: ' : '';
  return {
    attack:
      `${http}GET ${unparsable.join(' and GET ')}; POST /sse/ping with Content-Encoding: foo; ` +
      'GET /sse?lastEventId=5 with an empty Last-Event-ID header',
    answer: {
      badTargets,
      unsupportedEncoding: answerIn(ping),
      emptyLastEventId: {
        status: answerIn(stream).status,
        latestSeqBefore: latestSeq,
        firstId: firstId === undefined ? null : Number(firstId),
        reset: /^event: reset$/m.test(body),
      },
    },
    held: 1,
  };
}

/** answerOf for either HTTP version: a request node's HTTP/2 client would not send counts as no answer, with its reason. */
const answerIn = (answer: H2Answer) =>
  answer.kind === 'unsendable' ? { status: null, code: null, error: answer.error } : answerOf(answer);

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
        let answered = 0;
        for (let i = 0; i < PLAIN_REQUESTS; i++) {
          const snapshot = await readStats(plain.ready, true);
          if (snapshot) answered++;
          if (snapshot?.gc) runs++;
        }
        return [transport, { requests: PLAIN_REQUESTS, answered, gcRuns: runs }] as const;
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
