/**
 * "Article A's code, run" and "Article B's code, run": each source article's server and client as scenario `articles`
 * runs them (scenarios/articles/), the changes the lab made (read from the files' `// lab:` comments, so the list
 * cannot drift from the code), what happened in each engine, what that means, and the corrected code. Every outcome
 * in the text is read from the records; a case missing from the results shows "not run".
 */
import { readFileSync } from 'node:fs';
import type { ScenarioRecord } from '../../scenarios/types.ts';
import { ENGINE_NAME, ENGINES, type Engine } from '../lib/browser.ts';
import { CLAIMS, type ClaimId } from '../lib/claims.ts';
import { ROOT } from '../lib/paths.ts';
import { type Block, type Cell, formatValue, type Section } from './blocks.ts';
import { excerpt } from './code.ts';
import { ranIn, spoken } from './engines.ts';
import type { ReportInputs } from './inputs.ts';

const DIR = 'scenarios/articles/';
const CLIENTS = `${DIR}article-clients.js`;
const NOT_RUN = 'not run';
const READY_STATE = ['CONNECTING', 'OPEN', 'CLOSED'];

const p = (text: string): Block => ({ kind: 'p', text });
const lines = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8').split('\n');
/** The code between `// BEGIN <name>` and `// END <name>` in a file (code.ts throws if either is gone). */
const between = (file: string, name: string): Block => ({
  kind: 'code',
  ...excerpt(file, new RegExp(`// BEGIN ${name}$`), new RegExp(`// END ${name}$`), 60),
});
const inline = (code: string) => (code.includes('`') ? code : `\`${code}\``);
/** A string with its line ends shown, as on the wire: `:ok\n\n`. */
const escaped = (s: string) => inline(s.replace(/\r/g, '\\r').replace(/\n/g, '\\n'));
const claimLinks = (ids: ClaimId[]) =>
  `The claims this bears on: ${ids.map((id) => `[${CLAIMS.find((c) => c.id === id)!.statement}](#claim-${id})`).join('; ')}.`;

/** A file's opening comment, one string per line without its ` * `. */
const headerOf = (source: string[]) =>
  source
    .slice(
      0,
      source.findIndex((l) => l.trim() === '*/'),
    )
    .map((l) => l.replace(/^\s*\/?\*+ ?/, ''));

/** One change per line that carries a `// lab:` comment: the code (the next line's, for a comment alone), then why. */
function labChanges(source: string[]): string[] {
  return source.flatMap((line, i) => {
    const at = line.indexOf('// lab:');
    if (at === -1) return [];
    const code = line.slice(0, at).trim() || (source.slice(i + 1).find((l) => l.trim()) ?? '').trim();
    return [`${inline(code)}: ${line.slice(at + '// lab:'.length).trim()}`];
  });
}

/**
 * The lab's part of an article's client: the wrapping function's lines outside BEGIN/END, with the reason the client
 * file's header gives in `(lab: …)`, then any `// lab:` line inside the function.
 */
function clientChanges(fn: string, name: string): string[] {
  const source = lines(CLIENTS);
  const from = source.findIndex((l) => l.startsWith(`function ${fn}(`));
  const begin = source.findIndex((l, i) => i > from && l.trim() === `// BEGIN ${name}`);
  const end = source.findIndex((l, i) => i > begin && l.trim() === `// END ${name}`);
  const to = source.findIndex((l, i) => i > end && l.startsWith('}'));
  const why = /\(lab: ([^)]*)\)/.exec(headerOf(source).join(' '))?.[1];
  if (from === -1 || begin === -1 || end === -1 || to === -1 || !why)
    throw new Error(`lab: report: ${fn} or its (lab: …) gone from ${CLIENTS}`);
  const join = (part: string[]) => part.map((l) => l.trim()).join(' ');
  const wrapper = `${join(source.slice(from, begin))} … ${join(source.slice(end + 1, to + 1))}`;
  return [`${inline(wrapper)}: ${why}`, ...labChanges(source.slice(from, to + 1))];
}

/** The `- ` items of a file's header comment, each with its continuation lines: a corrected file lists its changes there. */
function headerItems(file: string): string[] {
  const items: string[] = [];
  for (const line of headerOf(lines(file))) {
    if (line.startsWith('- ')) items.push(line.slice(2).trim());
    else if (items.length && line.startsWith('  ')) items[items.length - 1] += ` ${line.trim()}`;
    else if (items.length) break;
  }
  if (items.length === 0) throw new Error(`lab: report: no list of changes in the header of ${file}`);
  return items;
}

// Reading the records.

type Read = (r: ScenarioRecord) => Cell | undefined;
/** One row of "What happened": what it shows, and how to read it from a record (undefined: the record lacks it). */
type Observation = [label: string, read: Read];
interface CaseRows {
  case: string;
  /** Short, for the table's first column. */
  title: string;
  rows: Observation[];
}

const recordOf = (inputs: ReportInputs, kase: string, engine?: Engine): ScenarioRecord | undefined =>
  inputs.scenarios?.records.find((r) => r.id === `articles/sse/${kase}${engine ? `@${engine}` : ''}` && r.status === 'observed');
/** The engines a case has an observed record in, with that record. */
const ranCase = (inputs: ReportInputs, kase: string): [Engine, ScenarioRecord][] =>
  ENGINES.flatMap((e) => {
    const r = recordOf(inputs, kase, e);
    return r ? [[e, r] as [Engine, ScenarioRecord]] : [];
  });

const count =
  (name: string): Read =>
  (r) =>
    r.observed.counts?.[name];
const fact =
  (name: string): Read =>
  (r) => {
    const v = r.observed.facts?.[name];
    return v === undefined || v === null || typeof v === 'string' || typeof v === 'number' ? v : formatValue(v);
  };
/** An event id as a reader sees it: `none` for no header or id, `empty` for an empty one. */
const idOf = (v: unknown): string => (v === null || v === undefined ? 'none' : v === '' ? 'empty' : String(v));
const eventId =
  (name: string): Read =>
  (r) =>
    name in (r.observed.facts ?? {}) ? idOf(r.observed.facts![name]) : undefined;
const readyState: Read = (r) =>
  typeof r.observed.readyState === 'number' ? `${r.observed.readyState} ${READY_STATE[r.observed.readyState] ?? ''}`.trim() : undefined;
const msOf = (v: unknown) => (typeof v === 'number' ? `${Math.round(v)} ms` : undefined);
const delay: Read = (r) => {
  const ms = msOf(r.observed.facts?.reconnectDelayMs);
  return ms && (r.setup.retryMs !== undefined ? `${ms} (\`retry: ${r.setup.retryMs}\`)` : ms);
};
const yesNo =
  (name: string): Read =>
  (r) => {
    const v = r.observed.facts?.[name];
    return typeof v === 'boolean' ? (v ? 'yes' : 'no') : undefined;
  };
/** The first line of the page's console that names CORS (Firefox over WebDriver BiDi passes on no network errors). */
const corsLine = (r: ScenarioRecord): string | undefined => {
  const logged = r.observed.facts?.console;
  return Array.isArray(logged) ? logged.map(String).find((l) => /CORS|Access-Control/i.test(l)) : undefined;
};
const asEscaped =
  (name: string): Read =>
  (r) => {
    const v = r.observed.facts?.[name];
    return typeof v === 'string' ? escaped(v) : undefined;
  };

/**
 * The engines a table has a column for: each one the articles' records (run or not) or the run itself used; every
 * engine when there are no results at all. A run in one engine names only that one.
 */
function enginesShown(inputs: ReportInputs): Engine[] {
  const records = inputs.scenarios?.records.filter((r) => r.scenario === 'articles') ?? [];
  const used = ENGINES.filter(
    (e) => records.some((r) => r.engine === e) || inputs.scenarios?.browsers.some((b) => b.engine === e && b.found),
  );
  return used.length ? used : [...ENGINES];
}

/** A table with a column per engine (or one for Node), a row per observation, `not run` where a case has no record. */
function happened(inputs: ReportInputs, cases: CaseRows[], caption: string, engines: (Engine | undefined)[]): Block {
  const rows: Cell[][] = cases.flatMap((c) =>
    c.rows.map(([label, read], i) => [
      i === 0 ? `${c.title} (\`${c.case}\`)` : '',
      label,
      ...engines.map((e) => {
        const r = recordOf(inputs, c.case, e);
        return r ? (read(r) ?? 'not recorded') : NOT_RUN;
      }),
    ]),
  );
  return { kind: 'table', caption, head: ['case', 'observation', ...engines.map((e) => (e ? ENGINE_NAME[e] : 'Node'))], rows };
}

/** Each engine's value said once per value, with the engines that share it: one clause per value. */
function clauses(pairs: [Engine, string][], say: (value: string, names: string, count: number) => string): string[] {
  const groups = new Map<string, Engine[]>();
  for (const [e, v] of pairs) groups.set(v, [...(groups.get(v) ?? []), e]);
  return [...groups].map(([v, es]) => say(v, spoken(es.map((e) => ENGINE_NAME[e])), es.length));
}
/** Clauses joined as one sentence's parts. */
const byValue = (pairs: [Engine, string][], say: (value: string, names: string, count: number) => string) => clauses(pairs, say).join('; ');
/** "3 in Chromium and 4 in Firefox", or "3 in Chromium and Firefox" when they agree. */
const valuesIn = (pairs: [Engine, string][]) => spoken(clauses(pairs, (v, names) => `${v} in ${names}`));
const each = (ran: [Engine, ScenarioRecord][], read: (r: ScenarioRecord) => unknown): [Engine, string][] =>
  ran.map(([e, r]) => [e, String(read(r) ?? '?')]);
/** Some records' values, said per engine: "10 in Chromium and 11 in Firefox". */
const valuesOf = (ran: [Engine, ScenarioRecord][], read: (r: ScenarioRecord) => unknown) => valuesIn(each(ran, read));

// Article A.

const A_CASES: CaseRows[] = [
  {
    case: 'article-a-as-written',
    title: 'As written, the page on another origin',
    rows: [
      ["constructor the article's code picked", fact('client')],
      ['messages received', count('messages')],
      ['readyState at the end', readyState],
      ['requests the server saw', count('requests')],
      ["the console's CORS message", (r) => corsLine(r) ?? 'none, as the lab reads this engine’s console'],
    ],
  },
  {
    case: 'article-a-polyfill',
    title: 'Its polyfill branch, from another origin',
    rows: [
      ["constructor the article's code picked", fact('client')],
      ['messages received', count('messages')],
      ['requests the server saw', count('requests')],
      ['readyState at the end (0: still retrying)', readyState],
    ],
  },
  {
    case: 'article-a-same-origin-drop',
    title: 'As written, from its own origin, with a drop',
    rows: [
      ['messages received', count('messages')],
      ["the page's last event id before the drop", eventId('lastEventIdBeforeDrop')],
      ['Last-Event-ID sent on the reconnect', eventId('lastEventIdSent')],
      ['reconnected after', delay],
      ['messages missed across the drop', count('missed')],
    ],
  },
  {
    case: 'article-a-corrected-drop',
    title: 'Corrected, from another origin, with a drop',
    rows: [
      ['delivered cross-origin', yesNo('delivered')],
      ['Last-Event-ID sent on the reconnect', eventId('lastEventIdSent')],
      ['reconnected after', delay],
      ['messages missed across the drop', count('missed')],
      ['messages received twice', count('duplicated')],
    ],
  },
];

function meaningA(inputs: ReportInputs): string[] {
  const said: string[] = [];
  const asWritten = ranCase(inputs, 'article-a-as-written');
  if (asWritten.length) {
    const cors = asWritten.map(([e, r]) => [e, corsLine(r)] as const).find(([, l]) => l);
    const quote = cors ? ` (${ENGINE_NAME[cors[0]]}'s console: “${cors[1]!.replace(/^.*blocked by CORS policy: /, '')}”)` : '';
    const picked = [...new Set(asWritten.map(([, r]) => String(r.observed.facts?.client)))];
    // CORS is the cause only where the same code delivered from its own origin: else the setup itself failed.
    const sameOrigin = ranCase(inputs, 'article-a-same-origin-drop');
    const worksSameOrigin = sameOrigin.length > 0 && sameOrigin.every(([, r]) => (r.observed.counts?.messages ?? 0) > 0);
    said.push(
      `From another origin, the article's \`NativeEventSource || EventSourcePolyfill\` picked ${spoken(picked.map(inline))}, and ` +
        byValue(
          each(asWritten, (r) => r.observed.counts?.messages),
          (n, names) =>
            n !== '0'
              ? `${n} message(s) arrived in ${names}`
              : worksSameOrigin
                ? `nothing arrived in ${names}: the browser refused the response, whose \`Access-Control-Allow-Origin: *\` is ` +
                  `not allowed for a request with credentials${quote}`
                : `nothing arrived in ${names}, and nothing from its own origin either, so this run cannot name the cause`,
        ) +
        '.',
    );
  }
  const polyfill = ranCase(inputs, 'article-a-polyfill');
  if (polyfill.length) {
    const retrying = polyfill.filter(([, r]) => r.observed.readyState === 0);
    said.push(
      'Forced onto its polyfill branch, ' +
        byValue(
          each(polyfill, (r) => r.observed.counts?.messages),
          (n, names) => (n === '0' ? `nothing arrived in ${names} either` : `${n} message(s) arrived in ${names}`),
        ) +
        (retrying.length
          ? `; the polyfill kept retrying (readyState 0 at the end; requests in ${Number(retrying[0]![1].setup.watchMs) / 1000} s: ` +
            `${valuesOf(retrying, (r) => r.observed.counts?.requests)}).`
          : '.'),
    );
  }
  const drop = ranCase(inputs, 'article-a-same-origin-drop');
  if (drop.length) {
    const { retryMs, clientId } = drop[0]![1].setup;
    const sent = byValue(
      each(drop, (r) => idOf(r.observed.facts?.lastEventIdSent)),
      (id, names, n) =>
        id === String(clientId)
          ? `${names} sent Last-Event-ID ${id}: the client's own id, which the server writes once, in a block with no data ` +
            `(${escaped(`retry: ${retryMs}\nid: ${clientId}\n\n`)})`
          : id === 'none'
            ? `${names} sent none: the only \`id:\` comes in that block, and ${names} ${n > 1 ? 'keep' : 'keeps'} an id only ` +
              'with an event that has data (the WHATWG parser sets the last event ID even from a block with no data)'
            : `${names} sent Last-Event-ID ${id}`,
    );
    const lost = drop.filter(([, r]) => (r.observed.counts?.missed ?? 0) > 0);
    said.push(
      `From the server's own origin, where CORS does not apply, the messages arrived ` +
        `(${valuesOf(drop, (r) => r.observed.counts?.messages)}). When the server dropped the connection, the browser ` +
        `reconnected after ${valuesOf(drop, (r) => msOf(r.observed.facts?.reconnectDelayMs))}, as its ` +
        `\`retry: ${retryMs}\` asks. ${sent}.`,
    );
    if (lost.length)
      said.push(
        'Either way nothing could be resumed: no `data:` line carries an id and the server keeps no history, so the ' +
          `messages sent during the wait were lost (${valuesOf(lost, (r) => r.observed.counts?.missed)}).`,
      );
  }
  const corrected = ranCase(inputs, 'article-a-corrected-drop');
  const parts: [string, (r: ScenarioRecord) => unknown][] = [
    ['delivered:', (r) => (r.observed.facts?.delivered ? 'yes' : 'no')],
    ['Last-Event-ID sent:', (r) => idOf(r.observed.facts?.lastEventIdSent)],
    ['reconnected after', (r) => msOf(r.observed.facts?.reconnectDelayMs)],
    ['missed:', (r) => r.observed.counts?.missed],
    ['received twice:', (r) => r.observed.counts?.duplicated],
  ];
  said.push(
    corrected.length
      ? 'The corrected version below, from another origin with the same drop: ' +
          `${parts.map(([say, read]) => `${say} ${valuesOf(corrected, read)}`).join('; ')}.`
      : 'The corrected version below has no record in these results (case `article-a-corrected-drop`: not run).',
  );
  return said;
}

function articleA(inputs: ReportInputs): Section {
  const engines = enginesShown(inputs);
  const server = `${DIR}article-a-server.ts`;
  const ran =
    inputs.scenarios?.records.filter((r) => r.scenario === 'articles' && r.status === 'observed' && r.case.startsWith('article-a')) ?? [];
  return {
    id: 'article-a-code',
    title: "Article A's code, run",
    blocks: [
      p(
        "Article A shows an express server over https that keeps each client's response by id, sends " +
          '`Access-Control-Allow-Origin: *`, writes `retry: 10000` and the client’s own id as `id:` on connect and a ' +
          '`data:` line every second, and an event-source-polyfill client with `withCredentials: true`. The lab holds the ' +
          'article’s description of that code (shared/SEED-CLAIMS.md), not a printed listing, and runs it written out, ' +
          `with only the changes listed below (scenario \`articles\`, ${ran.length ? ranIn(ran) : 'not run in these results'}). ` +
          claimLinks(['seed-credentials-with-wildcard-cors', 'sse-auto-reconnect', 'sse-event-ids-resume']),
      ),
      p('The code as the article describes it: the server, then the client.'),
      between(server, 'article-a'),
      between(CLIENTS, 'article-a-client'),
      p('The changes the lab made to run it, read from the `lab:` comments in those files:'),
      { kind: 'list', items: [...labChanges(lines(server)), ...clientChanges('articleAClient', 'article-a-client')] },
      happened(inputs, A_CASES, `What happened, in ${spoken(engines.map((e) => ENGINE_NAME[e]))}:`, engines),
      p(`**What it means.** ${meaningA(inputs).join(' ')}`),
      p('The corrected version, what it changes (from its header) and its code:'),
      { kind: 'list', items: headerItems(`${DIR}article-a-corrected.ts`) },
      between(`${DIR}article-a-corrected.ts`, 'article-a-corrected'),
      between(CLIENTS, 'article-a-corrected-client'),
    ],
  };
}

// Article B.

const B_CASES: CaseRows[] = [
  {
    case: 'article-b-as-written',
    title: 'As written, with a drop',
    rows: [
      ['`onmessage` calls (the article’s handler)', count('onmessage')],
      ['console.log calls by that handler', count('handlerLogs')],
      ['`server-time` events (the lab’s listener)', count('serverTimeListener')],
      ['Last-Event-ID sent on the reconnect', eventId('lastEventIdSent')],
      ['reconnected after', delay],
      ['first id after the reconnect', eventId('firstIdAfterReconnect')],
    ],
  },
  {
    case: 'article-b-polyfill',
    title: 'Through event-source-polyfill',
    rows: [
      ['`onmessage` calls (the article’s handler)', count('onmessage')],
      ['`server-time` events (the lab’s listener)', count('serverTimeListener')],
    ],
  },
  {
    case: 'article-b-corrected',
    title: 'The corrected client',
    rows: [
      ['`server-time` events', count('serverTimeListener')],
      ['console.log calls by its own listener', count('handlerLogs')],
    ],
  },
];

const B_NODE: CaseRows[] = [
  {
    case: 'article-b-wire',
    title: 'The response on a raw socket',
    rows: [
      ['status line', fact('statusLine')],
      ['Transfer-Encoding', fact('transferEncoding')],
      ['first write', asEscaped('firstWrite')],
      ['body, first bytes', asEscaped('bodyStart')],
    ],
  },
  {
    case: 'ssestream-falsy-fields',
    title: 'ssestream on fields that are 0 or empty',
    rows: [
      ['messages given to `write()`', (r) => (Array.isArray(r.observed.facts?.messages) ? r.observed.facts.messages.join(' ') : undefined)],
      ['what it wrote', asEscaped('written')],
    ],
  },
];

/** The fields of the messages ssestream was given that its output has no line for, as a reader says them. */
function droppedFields(r: ScenarioRecord): string[] {
  const written = `\n${String(r.observed.facts?.written ?? '')}`;
  const messages = (r.observed.facts?.messages ?? []) as string[];
  return messages.flatMap((m) =>
    Object.entries(JSON.parse(m) as Record<string, unknown>)
      .filter(([k, v]) => !written.includes(`\n${k}: ${String(v)}\n`))
      .map(([k, v]) => (v === '' ? `an empty \`${k}\`` : `\`${k}: ${String(v)}\``)),
  );
}

function meaningB(inputs: ReportInputs): string[] {
  const said: string[] = [];
  const asWritten = ranCase(inputs, 'article-b-as-written');
  const polyfill = ranCase(inputs, 'article-b-polyfill');
  const browser = [...asWritten, ...polyfill];
  if (browser.length) {
    const silent = browser.every(([, r]) => r.observed.counts?.onmessage === 0);
    const heard = (ran: [Engine, ScenarioRecord][], how: string) =>
      ran.length ? [`${how}: ${valuesOf(ran, (r) => r.observed.counts?.serverTimeListener)}`] : [];
    said.push(
      silent
        ? `The article's \`onmessage\` never fired, in ${spoken([...new Set(browser.map(([e]) => ENGINE_NAME[e]))])}` +
            `${polyfill.length ? ', natively or through the polyfill' : ''}, while a \`server-time\` listener on the same ` +
            `EventSource received the events (${[...heard(asWritten, 'native'), ...heard(polyfill, 'polyfill')].join('; ')}): ` +
            'the server names every event `server-time`, and `onmessage` receives only events without a name.'
        : `The article's \`onmessage\` fired ${valuesOf(browser, (r) => r.observed.counts?.onmessage)} time(s).`,
    );
  }
  const drop = asWritten;
  if (drop.length) {
    const restarted = drop.filter(
      ([, r]) => Number(r.observed.facts?.firstIdAfterReconnect) <= Number(r.observed.facts?.lastEventIdSent ?? Number.NaN),
    );
    said.push(
      `After the drop the browser came back after ${valuesOf(drop, (r) => msOf(r.observed.facts?.reconnectDelayMs))} ` +
        `(\`retry: ${drop[0]![1].setup.retryMs}\`) with Last-Event-ID ${valuesOf(drop, (r) => idOf(r.observed.facts?.lastEventIdSent))}, ` +
        `and the new response began at id ${valuesOf(drop, (r) => idOf(r.observed.facts?.firstIdAfterReconnect))}` +
        (restarted.length
          ? ': the server ignores Last-Event-ID and starts `count` over on every connection, so ids repeat and nothing ' +
            'missed is sent again.'
          : '.'),
    );
  }
  const wire = recordOf(inputs, 'article-b-wire');
  const first = wire?.observed.facts?.firstWrite;
  if (typeof first === 'string' && first.startsWith(':'))
    said.push(`ssestream's first write is ${escaped(first)}, a comment the browser ignores: the packet article B's capture shows.`);
  const te = wire?.observed.facts?.transferEncoding;
  if (te === 'identity')
    said.push(
      'Its response carries `Transfer-Encoding: identity`, so Node sends the body unchunked and only closing the connection ends it.',
    );
  const falsy = recordOf(inputs, 'ssestream-falsy-fields');
  const dropped = falsy ? droppedFields(falsy) : [];
  if (dropped.length)
    said.push(
      `And ssestream writes no line for a field that is 0 or empty: it left out ${spoken(dropped)}` +
        (dropped.includes('`id: 0`') ? ', so a server that numbers its events from 0 sends the first without an id' : '') +
        (dropped.includes('`data: 0`')
          ? ', and an event whose data is 0 reaches the browser without data, which does not dispatch it'
          : '') +
        '.',
    );
  return said;
}

function articleB(inputs: ReportInputs): Section {
  const engines = enginesShown(inputs);
  const server = `${DIR}article-b-server.ts`;
  const ran =
    inputs.scenarios?.records.filter(
      (r) => r.scenario === 'articles' && r.status === 'observed' && /^(article-b|ssestream)/.test(r.case),
    ) ?? [];
  return {
    id: 'article-b-code',
    title: "Article B's code, run",
    blocks: [
      p(
        'Article B shows an express app on the `ssestream` package: `new SseStream(req)` piped to the response, writing ' +
          "`{ id, event: 'server-time', retry: 20000, data: { ts, count } }` every second, and a page with " +
          "`new EventSource('/sse')`. The lab holds the article’s description of that code (shared/SEED-CLAIMS.md), not a " +
          'printed listing, and runs it written out on the real package, with only the changes listed below (scenario ' +
          `\`articles\`, ${ran.length ? ranIn(ran) : 'not run in these results'}). ` +
          claimLinks(['sse-named-events-need-listener', 'sse-auto-reconnect']),
      ),
      p('The code as the article describes it: the server, then the client, with the `onmessage` handler a reader of the article writes.'),
      between(server, 'article-b'),
      between(CLIENTS, 'article-b-client'),
      p('The changes the lab made to run it, read from the `lab:` comments in those files:'),
      { kind: 'list', items: [...labChanges(lines(server)), ...clientChanges('articleBClient', 'article-b-client')] },
      happened(inputs, B_CASES, `What happened, in ${spoken(engines.map((e) => ENGINE_NAME[e]))}:`, engines),
      happened(inputs, B_NODE, 'What the server writes, read by a Node client:', [undefined]),
      p(`**What it means.** ${meaningB(inputs).join(' ')}`),
      p(
        "The corrected version: a listener for the event's name instead of `onmessage`; run on the same server (case " +
          '`article-b-corrected`), its own handler logged the events that the article’s never saw (the table’s ' +
          '“console.log calls” rows).',
      ),
      between(CLIENTS, 'article-b-corrected-client'),
    ],
  };
}

/** The two sections, article A's then article B's. */
export function articlesSections(inputs: ReportInputs): Section[] {
  return [articleA(inputs), articleB(inputs)];
}
