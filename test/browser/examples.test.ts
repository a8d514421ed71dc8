/**
 * examples/, run the way a student runs them: each example server as its own process (`node examples/<x>/server.js`,
 * here with PORT=0 and EVERY_MS=100), its page in real Chromium and real Firefox, through a TCP relay. The relay then
 * cuts every connection while the server runs on; each page must come back by itself, asking to resume (SSE by
 * Last-Event-ID, ws by ?since=, socket.io by connection state recovery), and then hold every n from its first to its
 * last exactly once. Each server prints one line and exits 0 on its signal. The ws example refuses another origin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ENGINE_NAME, ENGINES, LabBrowser } from '../../scripts/lib/browser.ts';
import { ROOT } from '../../scripts/lib/paths.ts';

const EXAMPLES = ['sse', 'ws', 'socketio'] as const;
type Example = (typeof EXAMPLES)[number];

/** What each example page keeps for a test (socket.io's page also keeps socket.recovered per connect). */
interface PageState {
  received: number[];
  opens: number;
  recovered?: boolean[];
}

/** Every example process this file started: killed after it, whatever happened. */
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
});

interface Running {
  url: string;
  port: number;
  /** Every line the server printed to stdout. */
  lines: string[];
  /** What it printed to stderr. */
  stderr(): string;
  /** Sends `signal` and resolves the exit code (null if a signal ended it). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

async function startExample(name: Example): Promise<Running> {
  const env = { ...process.env, PORT: '0', EVERY_MS: '100' };
  const child = spawn(process.execPath, [`examples/${name}/server.js`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  const input = createInterface({ input: child.stdout! });
  input.on('line', (line) => lines.push(line));
  const [first] = (await Promise.race([
    once(input, 'line'),
    exited.then((code) => Promise.reject(new Error(`examples/${name} exited (${code}) before it listened: ${stderr}`))),
  ])) as [string];
  const url = /^listening on (http:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(first);
  expect(url, first).not.toBeNull();
  return {
    url: url![1]!,
    port: Number(url![2]),
    lines,
    stderr: () => stderr,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
      // A server that does not stop is a failure of its own, named, not the test's timeout.
      const hung = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`examples/${name} still running 10 s after ${signal}: ${stderr}`)), 10_000).unref(),
      );
      return Promise.race([exited, hung]);
    },
  };
}

/**
 * A plain TCP relay in front of a server: cut() destroys every connection through it (both sides), the server runs on
 * and new connections are relayed as before. It keeps each HTTP request head the client sent, to see how it came back.
 */
async function startRelay(port: number) {
  const sockets = new Set<Socket>();
  const heads: string[] = [];
  const track = (socket: Socket, other: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // a cut socket may still report ECONNRESET
    socket.on('close', () => {
      sockets.delete(socket);
      other.destroy();
    });
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    track(client, upstream);
    track(upstream, client);
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (/^[A-Z]+ \/\S* HTTP\/1\.1\r\n/.test(text)) heads.push(text.slice(0, text.indexOf('\r\n\r\n')));
    });
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    heads,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** How each example's page asks, on a new connection, for what it missed. */
const RESUME: Record<Exclude<Example, 'socketio'>, RegExp> = {
  sse: /^GET \/events HTTP\/1\.1\r\n[\s\S]*\r\nlast-event-id: \d+(\r\n|$)/i,
  ws: /^GET \/ws\?since=\d+ HTTP\/1\.1\r\n/,
};

describe.each(ENGINES)('examples in %s', (engine) => {
  let browser: LabBrowser;
  beforeAll(async () => {
    browser = await LabBrowser.launch(engine);
  });
  afterAll(() => browser?.close());

  it.each(EXAMPLES)('%s: after every connection is cut, the page comes back with nothing missing and nothing twice', async (name) => {
    const server = await startExample(name);
    const relay = await startRelay(server.port);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(relay.url);
      const read = () =>
        page.evaluate(() => {
          const { received, opens, recovered } = window as unknown as PageState;
          return { received, opens, recovered };
        });
      await expect.poll(async () => (await read()).received.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(5);
      relay.cut();
      const before = (await read()).received.length;
      await expect
        .poll(
          async () => {
            const state = await read();
            return state.opens >= 2 && state.received.length >= before + 5;
          },
          { timeout: 30_000 },
        )
        .toBe(true);

      const { received, opens, recovered } = await read();
      const first = received[0]!;
      expect(received, ENGINE_NAME[engine]).toEqual(Array.from({ length: received.at(-1)! - first + 1 }, (_, i) => first + i));
      expect(opens).toBeGreaterThanOrEqual(2);
      if (name === 'socketio') expect(recovered).toEqual([false, ...Array(opens - 1).fill(true)]);
      else
        expect(
          relay.heads.some((head) => RESUME[name].test(head)),
          relay.heads.join('\n\n'),
        ).toBe(true);
      expect(errors).toEqual([]);
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.lines).toEqual([`listening on ${server.url}`]);
      expect(server.stderr()).toBe('');
    } finally {
      await context.close();
      await relay.close();
      await server.stop('SIGKILL');
    }
  });
});

describe('examples/ws on its own', () => {
  it('refuses a socket from another origin (403) and a message over maxPayload (1009), and stops on SIGINT', async () => {
    const server = await startExample('ws');
    try {
      const url = `ws://127.0.0.1:${server.port}/ws`;
      const evil = new WebSocket(url, { origin: 'http://evil.example' });
      const [refused] = (await once(evil, 'error')) as [Error];
      expect(refused.message).toBe('Unexpected server response: 403');

      const own = new WebSocket(url, { origin: `http://127.0.0.1:${server.port}` });
      await once(own, 'open');
      own.send('x'.repeat(5000));
      const [code] = (await once(own, 'close')) as [number];
      expect(code).toBe(1009);
      await expect.poll(server.stderr).toContain('Max payload size exceeded');
      expect(await server.stop('SIGINT')).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});
