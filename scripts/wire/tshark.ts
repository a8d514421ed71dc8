/**
 * tshark, the command-line Wireshark: where it is, and its dissection of a capture as JSON. The
 * HTTP/2 session is TLS, so the relay sees only ciphertext; tshark decrypts it with the TLS key log
 * Chromium wrote and dissects the HTTP/2 frames, HPACK included. The wire step annotates from that
 * dissection and never decodes HPACK itself.
 *
 * The JSON is tshark's own (`-T json --no-duplicate-keys -x`), trimmed to what the annotator reads:
 * per packet its number and time, the TCP ports, stream, length and SYN/FIN/RST, the TLS record
 * and handshake fields, and the whole HTTP/2 layer with the raw bytes and positions of each field.
 * Pure ACKs are left out. The names of frame types, settings, flags, error codes and cipher suites
 * come from tshark too (`-G values`, `-G fields`), kept beside the packets so the file reads alone.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fieldValues, PayloadCounter } from './decode/h2.ts';
import type { TsharkCapture, TsharkNames, TsharkPacket } from './types.ts';

const run = promisify(execFile);
/** A short session dissects to a few MB of JSON; this bounds a runaway one. */
const MAX_OUTPUT = 512 * 1024 * 1024;

export function tsharkPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/** The first line of `tshark --version`, e.g. 'TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).' */
export async function tsharkVersion(tshark: string): Promise<string> {
  const { stdout } = await run(tshark, ['--version'], { maxBuffer: 1024 * 1024 });
  return stdout.split('\n')[0]!.trim();
}

type Json = Record<string, unknown>;

/** Fields kept outside the HTTP/2 layer (values only; their `_raw` twins are dropped). */
const KEEP: Record<string, Set<string>> = {
  frame: new Set(['frame.number', 'frame.time_epoch']),
  tcp: new Set(['tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.seq', 'tcp.len', 'tcp.flags.syn', 'tcp.flags.fin', 'tcp.flags.reset']),
  tls: new Set([
    'tls.record.content_type',
    'tls.record.opaque_type',
    'tls.record.length',
    'tls.handshake.type',
    'tls.handshake.length',
    'tls.handshake.ciphersuite',
    'tls.handshake.extensions.supported_version',
    'tls.handshake.extensions_alpn_str',
  ]),
};
/** Containers not worth keeping: the client's offered cipher suites and versions (the server's choice is kept). */
const SKIP = new Set(['tls.handshake.ciphersuites', 'tls.handshake.extensions.supported_versions', 'tls.handshake.extension']);

/** The keys of `value` that `keep` accepts, and the objects and arrays that lead to them; null when nothing is left. */
function prune(value: unknown, keep: (key: string) => boolean): unknown {
  if (Array.isArray(value)) {
    const kept = value.map((v) => prune(v, keep)).filter((v) => v !== null);
    return kept.length ? kept : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const out: Json = {};
  for (const [key, v] of Object.entries(value as Json)) {
    if (SKIP.has(key)) continue;
    if (typeof v === 'string' || (Array.isArray(v) && typeof v[0] === 'string')) {
      if (keep(key)) out[key] = v;
    } else {
      const kept = prune(v, keep);
      if (kept !== null) out[key] = kept;
    }
  }
  return Object.keys(out).length ? out : null;
}

/** Header fields tshark also shows under their own names (http2.headers.user_agent...); these three are frame fields. */
const FRAME_FIELDS = /^http2\.headers\.(weight|weight_real|padding)(_raw)?$/;

/** Fields whose value is the same bytes as their `_raw` hex (kept), or a length the rows already show. */
const SAME_AS_RAW = new Set([
  'http2.data.data',
  'http2.headers',
  'http2.ping',
  'http2.pong',
  'http2.header.name.length',
  'http2.header.value.length',
]);

/**
 * Parts of tshark's HTTP/2 tree that repeat what the rest holds: the bodies it reassembles and dissects further
 * (JSON), each header again under its own field name and unescaped, byte fields whose `_raw` has the same bytes,
 * the raw positions inside a header (they count in the decompressed block; the frame's own `http2.header_raw`
 * places each field), and the raw twins of the frame header's fields and flag bits (the frame's raw bytes hold them).
 */
function repeats(key: string, parent: string): boolean {
  if (key.startsWith('json') || key.startsWith('http2.body.') || key === 'http2.header.unescaped' || SAME_AS_RAW.has(key)) return true;
  if (key.startsWith('http2.headers.') && !FRAME_FIELDS.test(key)) return true;
  if (/^http2\.(length|type|flags|r|streamid|pad_length)_raw$/.test(key)) return true;
  return key.endsWith('_raw') && (parent === 'http2.header' || parent === 'http2.flags_tree');
}

/** `value` without the keys `drop` names (given the key that holds them), at any depth. */
function withoutKeys(value: unknown, drop: (key: string, parent: string) => boolean, parent = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutKeys(v, drop, parent));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (drop(k, parent) ? [] : [[k, withoutKeys(v, drop, k)]])));
}

/** One packet of `tshark -T json` output, trimmed; null for a pure ACK. */
export function trimPacket(layers: Json): TsharkPacket | null {
  const out: Json = {};
  for (const layer of ['frame', 'tcp', 'tls'] as const) {
    const kept = prune(layers[layer], (key) => KEEP[layer]!.has(key));
    if (kept !== null) out[layer] = kept;
  }
  // The HTTP/2 layer with every field and the raw bytes and positions the rows are made from, less what repeats it.
  if (layers.http2 !== undefined) out.http2 = withoutKeys(layers.http2, repeats);
  if (layers.http2_raw !== undefined) out.http2_raw = layers.http2_raw;
  const flagged = ['tcp.flags.syn', 'tcp.flags.fin', 'tcp.flags.reset'].some((f) => fieldValues(out.tcp, f).includes('1'));
  if (Number(fieldValues(out.tcp, 'tcp.len')[0] ?? 0) === 0 && !flagged) return null;
  return out as TsharkPacket;
}

/**
 * Dissects a capture: TLS on `port` decrypted with `keylog`, HTTP/2 inside it (tshark finds it by
 * ALPN). Resolves to the trimmed packets in capture order.
 */
export async function dissect(tshark: string, pcap: string, keylog: string, port: number): Promise<TsharkPacket[]> {
  const args = [
    '-r',
    pcap,
    '-o',
    `tls.keylog_file:${keylog}`,
    '-d',
    `tcp.port==${port},tls`,
    '-T',
    'json',
    '--no-duplicate-keys',
    '-x',
    '-J',
    'frame tcp tls http2',
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(tshark, args, { maxBuffer: MAX_OUTPUT }));
  } catch (error) {
    // A capture still being written may end inside a packet: tshark says so, exits non-zero, and has dissected the rest.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout.trimStart().startsWith('[')) throw error;
  }
  const packets = JSON.parse(stdout) as { _source: { layers: Json } }[];
  return packets.map((p) => trimPacket(p._source.layers)).filter((p): p is TsharkPacket => p !== null);
}

/** TCP payload bytes per browser port and direction in a capture (`c2s`: to `port`), read as it is being written. */
export async function capturedBytes(tshark: string, pcap: string, port: number): Promise<Map<number, { c2s: number; s2c: number }>> {
  const fields = ['tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.len'].flatMap((f) => ['-e', f]);
  const args = ['-r', pcap, '-Y', 'tcp.len > 0', '-T', 'fields', ...fields];
  let stdout: string;
  try {
    ({ stdout } = await run(tshark, args, { maxBuffer: MAX_OUTPUT }));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? ''; // a file still being written may end inside a packet
  }
  const bytes = new Map<number, { c2s: number; s2c: number }>();
  const counter = new PayloadCounter();
  for (const line of stdout.split('\n')) {
    const [src, dst, seq, len] = line.split('\t').map(Number);
    if (!src || !dst || seq === undefined || !len) continue;
    const c2s = dst === port;
    const entry = bytes.get(c2s ? src : dst) ?? { c2s: 0, s2c: 0 };
    entry[c2s ? 'c2s' : 's2c'] += counter.add(`${src}>${dst}`, seq, len);
    bytes.set(c2s ? src : dst, entry);
  }
  return bytes;
}

/** Fields whose numbers the annotator names, and the prefixes of fields whose display names it uses. */
const VALUE_FIELDS = ['http2.type', 'http2.settings.id', 'http2.rst_stream.error', 'http2.goaway.error', 'tls.record.content_type'];
const SEEN_VALUE_FIELDS = ['tls.handshake.type', 'tls.handshake.ciphersuite', 'tls.handshake.extensions.supported_version'];
const FIELD_PREFIXES = ['http2.flags.', 'http2.settings.'];

/**
 * tshark's names for every value of the fields above and the display names of the flag and setting
 * fields: read once per run (`-G values` and `-G fields` take a second or two), then cut down per
 * capture by `namesFor`. Where tshark has two tables for a field (SSLv2's and TLS's handshake
 * types), the later one, TLS's, is kept.
 */
export async function tsharkGlossary(tshark: string): Promise<TsharkNames> {
  const names: TsharkNames = { values: {}, fields: {} };
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Values are decimal or, for some fields (TLS versions), hex.
  const values = new RegExp(`^V\t(${[...VALUE_FIELDS, ...SEEN_VALUE_FIELDS].map(literal).join('|')})\t(\\d+|0x[0-9a-f]+)\t(.*)$`, 'gim');
  const fields = new RegExp(`^F\t([^\t]+)\t((?:${FIELD_PREFIXES.map(literal).join('|')})[^\t]*)\t`, 'gm');
  await Promise.all([
    glossary(tshark, 'values', values, ([, field, value, name]) => {
      (names.values[field!] ??= {})[String(Number(value))] = name!;
    }),
    glossary(tshark, 'fields', fields, ([, name, field]) => {
      names.fields[field!] = name!;
    }),
  ]);
  return names;
}

/** The glossary cut down to what a capture needs: whole tables for the frame fields, only the values seen for the TLS ones. */
export function namesFor(glossary: TsharkNames, packets: TsharkPacket[]): TsharkNames {
  const values: TsharkNames['values'] = {};
  for (const field of VALUE_FIELDS) if (glossary.values[field]) values[field] = { ...glossary.values[field] };
  for (const field of SEEN_VALUE_FIELDS) {
    const seen = new Set(fieldValues(packets, field).map((v) => String(Number(v))));
    const table = Object.entries(glossary.values[field] ?? {}).filter(([value]) => seen.has(value));
    if (table.length) values[field] = Object.fromEntries(table);
  }
  return { values, fields: { ...glossary.fields } };
}

/**
 * Runs `tshark -G <report>` and hands on each line `pattern` (global, multiline) matches. The values
 * report is ~90 MB, so it is scanned a chunk at a time by the pattern rather than split into lines.
 */
async function glossary(
  tshark: string,
  report: 'values' | 'fields',
  pattern: RegExp,
  onMatch: (match: RegExpExecArray) => void,
): Promise<void> {
  const child = spawn(tshark, ['-G', report], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  let rest = '';
  const scan = (text: string) => {
    for (const match of text.matchAll(pattern)) onMatch(match);
  };
  for await (const chunk of child.stdout) {
    const text = rest + (chunk as Buffer).toString('utf8');
    const cut = text.lastIndexOf('\n') + 1;
    scan(text.slice(0, cut));
    rest = text.slice(cut);
  }
  scan(rest);
  const code = await exited;
  if (code !== 0) throw new Error(`lab: tshark -G ${report} exited with ${code}`);
}

/** The capture file the annotator reads: tshark's dissection of one session, with its names. */
export async function captureFile(
  tshark: string,
  glossary: TsharkNames,
  pcap: string,
  keylog: string,
  port: number,
  sessionStart: number,
): Promise<TsharkCapture> {
  const packets = await dissect(tshark, pcap, keylog, port);
  return {
    tshark: await tsharkVersion(tshark),
    command:
      `tshark -r <capture> -o tls.keylog_file:<Chromium's key log> -d tcp.port==${port},tls ` +
      "-T json --no-duplicate-keys -x -J 'frame tcp tls http2'",
    sessionStart,
    port,
    names: namesFor(glossary, packets),
    packets,
  };
}
