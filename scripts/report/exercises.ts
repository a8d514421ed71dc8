/**
 * "Try it yourself": for the sections where a student can see the thing with their own eyes, the command to run, what
 * to look for, and the answer collapsed under it. Every command is the lab's own CLI (`npm run --silent server`, which
 * prints one JSON line whose `url` is the stream, and `npm run serve`, the demo page) plus curl or the browser's
 * DevTools, on loopback; each was run on this lab before it was written here.
 */
import type { Block, Section } from './blocks.ts';

interface Exercise {
  /** What to run, as a shell line (or the steps in the browser). */
  run: string;
  lookFor: string;
  answer: string;
}

const SERVER = 'npm run --silent server --';
const UPGRADE =
  "curl -s -N -i -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' " +
  "-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='";

/** By the id of the section each belongs to. */
const EXERCISES: Record<string, Exercise> = {
  handshakes: {
    run: `\`${SERVER} sse --rate 2\`, then in another terminal \`curl -N -i <url>\` with the \`url\` it printed`,
    lookFor: 'the status line and headers, then the first lines of the body, and how often new lines come',
    answer:
      '`HTTP/1.1 200 OK`, `Content-Type: text/event-stream`, `Transfer-Encoding: chunked` (curl removes the chunk sizes), ' +
      'then `retry: 3000` and an empty line, then an event every half second: `id: n`, `event: quote`, `data: {…}` and an ' +
      'empty line that ends it. The response never ends: that is the whole protocol.',
  },
  'claim-sse-event-ids-resume': {
    run: `with the same server running, \`curl -N -H 'Last-Event-ID: 3' <url>\`, then \`curl -N '<url>?lastEventId=3'\``,
    lookFor: 'the id of the first event in each answer',
    answer:
      'Both start at `id: 4`: the server replays what it still holds after the id it was given (the header is what ' +
      'EventSource sends; the query parameter is what event-source-polyfill sends). Ask for an id older than its replay ' +
      'buffer and the lab sends a `reset` event naming the gap first.',
  },
  'claim-ws-tcp-sse-http': {
    run: `\`${SERVER} ws --rate 2\`, then \`${UPGRADE} <http:// form of its url> --output - | cat -v\``,
    lookFor: 'the status line, and what follows the empty line after the headers',
    answer:
      '`HTTP/1.1 101 Switching Protocols` with `Sec-WebSocket-Accept`, then no more HTTP: binary frames, each `M-^A` ' +
      '(0x81: final frame, text) and one length byte before the JSON of a quote. Same TCP connection, another protocol.',
  },
  'claim-ws-ignores-cross-origin': {
    run: `the same upgrade with \`-H 'Origin: http://evil.example'\` added`,
    lookFor: 'the status line',
    answer:
      '`HTTP/1.1 403 Forbidden`: the lab server checks Origin against its allowlist. The browser would have opened that ' +
      'WebSocket from any page (no CORS for WebSockets); only the server’s own check stops it.',
  },
  'claim-proxies-buffer-sse': {
    run: `\`${SERVER} sse --rate 5 --no-accel-buffering --proxy stock\`, then \`curl -N <url>\`; again without \`--no-accel-buffering\``,
    lookFor: 'when the events arrive',
    answer:
      'Through stock nginx with no `X-Accel-Buffering: no` header nothing arrives for many seconds, then a burst: nginx ' +
      'fills its proxy buffers first. With the header (the lab’s default) every event arrives as it is sent.',
  },
  'claim-sse-heartbeat-comments-needed': {
    run:
      `\`${SERVER} sse --rate 0 --heartbeat off --proxy tuned --proxy-read-timeout 3\`, then \`curl -N <url>\`; ` +
      'again with `--heartbeat 1000`',
    lookFor: 'how long curl stays connected',
    answer:
      'Without comments nginx cuts the silent stream after its 3 s read timeout (curl exits with code 18, "transfer ' +
      'closed"); with a `:` comment every second it stays open: each comment resets the timer.',
  },
  'claim-sse-six-connections-per-origin': {
    run:
      '`npm run serve`, open the demo page in seven tabs of a Chromium started with the command it prints (which trusts ' +
      'the lab certificate for the HTTP/2 panel), DevTools’ Network panel in the seventh',
    lookFor: 'the SSE panel of the seventh tab and its request',
    answer:
      'Six tabs stream; in the seventh the SSE request stays pending (HTTP/1.1: six connections per host, shared by every ' +
      'tab) until you close one. Its SSE over HTTP/2 panel streams in all seven: one connection carries them all.',
  },
  'claim-sse-named-events-need-listener': {
    run:
      "`npm run serve`, then in DevTools' console on its page: `const es = new EventSource('<the sse url it printed>'); " +
      "es.onmessage = (e) => console.log('message', e.data); es.addEventListener('quote', (e) => console.log('quote', e.data));`",
    lookFor: 'which of the two handlers logs',
    answer:
      'Only `quote` lines: every event the lab sends has `event: quote`, and `onmessage` hears only events with no ' + '`event:` field.',
  },
};

/** The section with its exercise, if it has one: before its collapsed evidence ('Evidence' or 'Details'), else at its end. */
export function withExercise(section: Section): Section {
  const exercise = EXERCISES[section.id];
  if (!exercise) return section;
  // Folded: the main text stays short; the answer folds once more inside, so opening the exercise does not give it away.
  const blocks: Block[] = [
    {
      kind: 'details',
      summary: 'Try it yourself',
      blocks: [
        { kind: 'p', text: `Run ${exercise.run}. Look for ${exercise.lookFor}.` },
        { kind: 'details', summary: 'Answer', blocks: [{ kind: 'p', text: exercise.answer }] },
      ],
    },
  ];
  const at = section.blocks.findIndex((b) => b.kind === 'details' && (b.summary === 'Evidence' || b.summary === 'Details'));
  const before = at === -1 ? section.blocks.length : at;
  return { ...section, blocks: [...section.blocks.slice(0, before), ...blocks, ...section.blocks.slice(before)] };
}

/** The sections that have an exercise (for tests). */
export const EXERCISE_SECTIONS = Object.keys(EXERCISES);
